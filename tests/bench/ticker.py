"""A handler emitting text frames at a fixed rate, each stamped with the moment it was produced.

The stamp is taken just before the frame is handed to the runtime, so arrival minus stamp at the
HTTP client is exactly the latency the runtime loop and ``serve`` add (plus the client's read).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from stream_chat.runtime.response import StreamingResponse

HEADERS = {"content-type": "text/event-stream; charset=utf-8"}


def handler(event: dict[str, Any], context: Any) -> StreamingResponse:
    params = json.loads(event["body"])
    return StreamingResponse(200, HEADERS, frames(params["frames"], params["interval_s"]))


def frames(count: int, interval_s: float) -> Iterator[bytes]:
    next_at = time.monotonic()
    for number in range(1, count + 1):
        next_at += interval_s
        if (pause := next_at - time.monotonic()) > 0:
            time.sleep(pause)
        yield b'id: %d\nevent: text\ndata: {"type":"text","text":" token","t":%.6f}\n\n' % (
            number,
            time.time(),
        )


def produced_at(frame: bytes) -> float:
    return float(json.loads(frame.split(b"data: ", 1)[1])["t"])
