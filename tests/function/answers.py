"""Streamed answers driven as a client would, and the checks the abort and reuse tests share."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from stream_chat.cancellation.sqlite import SQLiteRegistry
from stream_chat.handler import ChatFunction
from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.function.conftest import chat_event, user
from tests.support.protocol import iter_frames, types_of

SILENT = Reply(fault="no_head")
LONG = Reply(texts=[f"w{n} " for n in range(400)], delay_s=0.01)


class Answer:
    """One streamed answer, read by a background thread as a client would."""

    def __init__(self, function: ChatFunction) -> None:
        self.response = function(chat_event(user()), LambdaContext.local("r", 30))
        self.stream_id: str = self.response.headers["x-stream-id"]
        self.frames: list[dict[str, Any]] = []
        self._frames: Iterator[dict[str, Any]] = iter_frames(self.response.body)
        self._done = threading.Event()
        self._reader: threading.Thread | None = None

    def read(self, count: int) -> None:
        """Read ``count`` frames in this thread (the relay only runs while the body is read)."""
        for _ in range(count):
            self.frames.append(next(self._frames))

    def read_rest_in_background(self) -> Answer:
        self._reader = threading.Thread(target=self._read_rest, daemon=True)
        self._reader.start()
        return self

    def finish(self, timeout: float = 10) -> list[dict[str, Any]]:
        if self._reader is None:
            self._read_rest()
        assert self._done.wait(timeout), "the stream never ended"
        return self.frames

    def _read_rest(self) -> None:
        self.frames.extend(self._frames)
        self._done.set()


def warm(function: ChatFunction, fake: FakeAnthropic) -> None:
    """One full answer: the SDK is imported, the client built, a connection pooled."""
    fake.enqueue(Reply())
    assert Answer(function).finish()[-1] == {"type": "done", "stop_reason": "end_turn"}


def cancel(settings: Settings, stream_id: str) -> float:
    """Record the cancel as the cancel route does; returns when recording it began."""
    registry = SQLiteRegistry(settings.cancel_sqlite_path, ttl_s=60)
    started = time.time()  # the watcher may act on it before the write returns
    registry.cancel(stream_id)
    return started


def closed_after(fake: FakeAnthropic, index: int, since: float) -> float:
    fake.wait_for_close(index, timeout=5)
    record = fake.streams[index]
    assert record.client_closed and not record.completed
    assert record.closed_at is not None
    return record.closed_at - since


def assert_cancelled(frames: list[dict[str, Any]]) -> None:
    assert frames[0]["type"] == "start"
    assert frames[-1] == {"type": "done", "stop_reason": "cancelled"}
    assert "error" not in types_of(frames)
    assert types_of(frames).count("done") == 1
