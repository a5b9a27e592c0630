"""A worker process for the limits race: imports only the SQLite store, so 20 start quickly."""

from __future__ import annotations

import time
from typing import Any

from stream_chat.errors import TooManyStreams
from stream_chat.limits import Limits
from stream_chat.limits.sqlite import SQLiteLimits


def admit_in_process(path: str, barrier: Any, results: Any, n: int) -> None:
    store = SQLiteLimits(path, Limits(concurrent_streams=3))
    barrier.wait()
    try:
        store.admit("user:alice", f"lease-{n}", time.time() + 60, time.time())
        results.put("admitted")
    except TooManyStreams:
        results.put("refused")
