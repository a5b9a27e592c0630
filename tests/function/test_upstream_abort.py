"""Abort works at every moment: before the response head, mid-stream, between attempts, over TLS.

The upstream connection is what bills: each test watches it close *at the fake server*. Bounds
the issue names (300 ms) are measured from the event that starts the clock (the cancel recorded
in the registry, or the invocation whose first-token timeout fires), after a warm-up answer has
loaded the SDK and opened the client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

import stream_chat.upstream
from stream_chat.cancellation.sqlite import SQLiteRegistry
from stream_chat.handler import ChatFunction
from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.function.conftest import build_function, chat_event, user
from tests.support.protocol import iter_frames, types_of

BOUND_S = 0.3  # the bound for closing a silent upstream
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
    """Record the cancel as the cancel route does; returns when it was recorded."""
    SQLiteRegistry(settings.cancel_sqlite_path, ttl_s=60).cancel(stream_id)
    return time.time()


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


@pytest.fixture(params=["http", "https"])
def any_fake(request: pytest.FixtureRequest) -> FakeAnthropic:
    """The plain fake, and the fake over TLS (where the socket to shut down is an SSLSocket)."""
    fixture = "fake_anthropic" if request.param == "http" else "tls_anthropic"
    fake: FakeAnthropic = request.getfixturevalue(fixture)
    return fake


def test_a_cancel_before_the_response_head_closes_the_upstream(
    any_fake: FakeAnthropic, settings: Settings
) -> None:
    function = build_function(settings)
    warm(function, any_fake)
    any_fake.enqueue(SILENT)
    answer = Answer(function)
    answer.read(1)  # `start`: the upstream request is on its way
    answer.read_rest_in_background()
    any_fake.wait_for_stream(1, timeout=5)  # the request arrived; no head will ever come
    cancelled_at = cancel(settings, answer.stream_id)
    assert closed_after(any_fake, 1, cancelled_at) < settings.cancel_poll_s + BOUND_S
    frames = answer.finish()
    assert_cancelled(frames)
    assert types_of(frames) == ["start", "done"]


def test_the_first_token_timeout_closes_a_silent_upstream(
    fake_anthropic: FakeAnthropic, settings: Settings
) -> None:
    timeout_s = 0.5
    function = build_function(replace(settings, first_token_timeout_s=timeout_s))
    warm(function, fake_anthropic)
    fake_anthropic.enqueue(SILENT)
    invoked_at = time.time()  # the timeout's clock starts after this, in the relay
    answer = Answer(function).read_rest_in_background()
    assert closed_after(fake_anthropic, 1, invoked_at) < timeout_s + BOUND_S
    frames = answer.finish()
    assert types_of(frames) == ["start", "error", "done"]
    assert frames[1]["code"] == "first_token_timeout"


def test_a_cancel_does_not_wait_behind_queued_text(
    any_fake: FakeAnthropic, settings: Settings
) -> None:
    function = build_function(settings)
    warm(function, any_fake)
    any_fake.enqueue(LONG)
    answer = Answer(function)
    answer.read(3)  # start and two texts; then the client stops reading, the relay with it
    cancelled_at = cancel(settings, answer.stream_id)
    assert closed_after(any_fake, 1, cancelled_at) < settings.cancel_poll_s + BOUND_S
    frames = answer.finish()
    assert_cancelled(frames)
    assert types_of(frames)[-2:] == ["usage", "done"]
    assert frames[-2]["estimated"] is True


def test_a_cancel_during_a_retried_attempt_closes_that_attempt(
    fake_anthropic: FakeAnthropic, settings: Settings
) -> None:
    function = build_function(replace(settings, provider_attempts=3))
    warm(function, fake_anthropic)
    fake_anthropic.enqueue(Reply(fault="http_529"), SILENT)
    answer = Answer(function).read_rest_in_background()
    fake_anthropic.wait_for_stream(1, timeout=5)  # the second attempt is waiting for its head
    cancelled_at = cancel(settings, answer.stream_id)
    assert closed_after(fake_anthropic, 1, cancelled_at) < settings.cancel_poll_s + BOUND_S
    assert types_of(answer.finish()) == ["start", "done"]
    assert len(fake_anthropic.requests) == 3  # warm-up, the 529, the silent one


def test_a_cancel_during_the_backoff_starts_no_new_attempt(
    fake_anthropic: FakeAnthropic, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    backoff_s = 2.0
    monkeypatch.setattr(stream_chat.upstream, "BACKOFF_BASE_S", backoff_s)
    monkeypatch.setattr(stream_chat.upstream.random, "uniform", lambda low, high: high)
    function = build_function(replace(settings, provider_attempts=3))
    warm(function, fake_anthropic)
    fake_anthropic.enqueue(Reply(fault="http_529"), Reply())
    started = time.monotonic()
    answer = Answer(function).read_rest_in_background()
    while len(fake_anthropic.requests) < 2:  # the 529 is answered at once; the backoff begins
        assert time.monotonic() - started < 5
        time.sleep(0.01)
    cancel(settings, answer.stream_id)
    assert types_of(answer.finish()) == ["start", "done"]
    time.sleep(max(0.0, started + backoff_s + 0.5 - time.monotonic()))
    assert len(fake_anthropic.requests) == 2  # the backoff ended without another attempt


def test_an_abort_before_the_first_attempt_opens_no_connection(
    fake_anthropic: FakeAnthropic, settings: Settings
) -> None:
    import queue

    from stream_chat.budget import Budget
    from stream_chat.providers import make_provider
    from stream_chat.upstream import Upstream

    function = build_function(settings)
    request = function.validate(b'{"messages": [{"role": "user", "content": "Hi"}]}')
    upstream = Upstream(
        make_provider(settings), request, Budget(time.monotonic() + 30), 3, queue.Queue()
    )
    upstream.abort()
    upstream.start()
    time.sleep(0.3)
    assert fake_anthropic.connections == 0 and not fake_anthropic.requests
