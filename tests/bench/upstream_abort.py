"""How fast an abort reaches a silent or a streaming upstream; how many connections answers open.

In process, through the handler and the real SDK against the fake server: a cancel recorded in
the SQLite registry (default poll interval) → the fake sees the connection end, for an upstream
that never sends its response head and for one streaming a token every 20 ms; a first-token
timeout → connection end, for a silent upstream; and TCP connections accepted over a run of
answers on one warm function, plain and over TLS. Each measurement starts after a warm-up answer.
"""

from __future__ import annotations

import os
import random
import ssl
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.bench.figures import record
from tests.fakes.anthropic_server import FakeAnthropic, Reply

RUNS = 10
ANSWERS = 10
TIMEOUT_S = 0.5
SILENT = Reply(fault="no_head")
STREAMING = Reply(texts=[f"w{n} " for n in range(2000)], delay_s=0.02)


def run() -> list[str]:
    with _function() as (function, settings, fake):
        plain = _connections(function, fake)
        cancel_silent = [_cancel(function, settings, fake, SILENT) for _ in range(RUNS)]
        cancel_streaming = [_cancel(function, settings, fake, STREAMING) for _ in range(RUNS)]
        timeout = replace(settings, first_token_timeout_s=TIMEOUT_S)
        timed_out = [_timeout(function, timeout, fake) for _ in range(RUNS)]
    with _function(tls=True) as (function, settings, fake):
        tls = _connections(function, fake)
        cancel_tls = [_cancel(function, settings, fake, SILENT) for _ in range(RUNS)]
    poll = settings.cancel_poll_s
    record("cancel → silent upstream closed max", max(cancel_silent) * 1e3, "ms")
    record("cancel → silent upstream closed max, TLS", max(cancel_tls) * 1e3, "ms")
    record("cancel → streaming upstream closed max", max(cancel_streaming) * 1e3, "ms")
    record("first-token timeout → silent upstream closed max", max(timed_out) * 1e3, "ms")
    record(f"connections for {ANSWERS + 1} answers", plain, "count")
    record(f"connections for {ANSWERS + 1} answers, TLS", tls, "count")
    return [
        f"cancel recorded → upstream closed, poll interval {poll} s, {RUNS} runs each:",
        f"  silent upstream (no response head):  {_summary(cancel_silent)}",
        f"  silent upstream over TLS:            {_summary(cancel_tls)}",
        f"  streaming upstream (token / 20 ms):  {_summary(cancel_streaming)}",
        f"first-token timeout ({TIMEOUT_S} s) → silent upstream closed, after the timeout:",
        f"  {_summary(timed_out)}",
        f"TCP connections for {ANSWERS + 1} answers in a row on one function: "
        f"{plain} plain, {tls} over TLS",
    ]


@contextmanager
def _function(*, tls: bool = False) -> Iterator[tuple[Any, Any, FakeAnthropic]]:
    from stream_chat.handler import ChatFunction
    from stream_chat.settings import Settings

    with tempfile.TemporaryDirectory() as folder, _fake(Path(folder), tls) as fake:
        settings = Settings(
            provider="anthropic",
            cancel_backend="sqlite",
            cancel_sqlite_path=str(Path(folder) / "cancel.sqlite3"),
        )
        function = ChatFunction.from_settings(settings)
        _answer(function, fake, Reply())  # warm: SDK client built, connection pooled
        yield function, settings, fake


@contextmanager
def _fake(folder: Path, tls: bool) -> Iterator[FakeAnthropic]:
    context = None
    saved = dict(os.environ)
    if tls:
        import trustme

        authority = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(context)
        authority.cert_pem.write_to_path(str(folder / "ca.pem"))
        os.environ["SSL_CERT_FILE"] = str(folder / "ca.pem")
    try:
        with FakeAnthropic(tls=context) as fake:
            os.environ.update(ANTHROPIC_BASE_URL=fake.base_url, ANTHROPIC_API_KEY=fake.api_key)
            yield fake
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _answer(function: Any, fake: FakeAnthropic, reply: Reply) -> tuple[str, threading.Thread]:
    """Start an answer read by a background thread; returns its stream id and that thread."""
    from stream_chat.runtime.context import LambdaContext
    from tests.function.conftest import chat_event, user

    fake.enqueue(reply)
    response = function(chat_event(user()), LambdaContext.local("bench", 60))
    reader = threading.Thread(target=lambda: list(response.body), daemon=True)
    reader.start()
    if reply.fault is None and reply is not STREAMING:
        reader.join(10)
    return response.headers["x-stream-id"], reader


def _cancel(function: Any, settings: Any, fake: FakeAnthropic, reply: Reply) -> float:
    from stream_chat.cancellation.sqlite import SQLiteRegistry

    index = len(fake.streams)
    stream_id, reader = _answer(function, fake, reply)
    record = fake.wait_for_stream(index, timeout=10)
    while reply is STREAMING and record.deltas_sent < 5:  # text is flowing
        time.sleep(0.005)
    time.sleep(random.uniform(0, settings.cancel_poll_s))  # any phase of the poll
    SQLiteRegistry(settings.cancel_sqlite_path, ttl_s=60).cancel(stream_id)
    recorded = time.time()
    fake.wait_for_close(index, timeout=10)
    reader.join(10)
    assert record.closed_at is not None
    return record.closed_at - recorded


def _timeout(function: Any, settings: Any, fake: FakeAnthropic) -> float:
    from stream_chat.handler import ChatFunction

    stream = function.pipeline
    timed = ChatFunction(settings, stream.provider, stream.registry)
    index = len(fake.streams)
    invoked = time.time()
    _, reader = _answer(timed, fake, SILENT)
    fake.wait_for_close(index, timeout=10)
    reader.join(10)
    closed = fake.streams[index].closed_at
    assert closed is not None
    return closed - invoked - settings.first_token_timeout_s


def _connections(function: Any, fake: FakeAnthropic) -> int:
    """Connections accepted for the warm-up answer and ``ANSWERS`` more."""
    for _ in range(ANSWERS):
        _answer(function, fake, Reply())
    return fake.connections


def _summary(delays: list[float]) -> str:
    return f"median {statistics.median(delays) * 1e3:5.0f} ms   max {max(delays) * 1e3:5.0f} ms"
