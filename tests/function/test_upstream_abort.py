"""Abort works at every moment: before the response head, mid-stream, between attempts, over TLS.

The upstream connection is what bills: each test watches it close *at the fake server*. Bounds
the issue names (300 ms) are measured from the event that starts the clock (the cancel recorded
in the registry, or the invocation whose first-token timeout fires), after a warm-up answer has
loaded the SDK and opened the client.
"""

from __future__ import annotations

import queue
import time
from dataclasses import replace

import pytest

import stream_chat.answer.upstream
from stream_chat.answer.upstream import Upstream
from stream_chat.deadline import Deadline
from stream_chat.providers import make_provider
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.function.answers import (
    LONG,
    SILENT,
    Answer,
    assert_cancelled,
    cancel,
    closed_after,
    warm,
)
from tests.function.conftest import build_function
from tests.support.protocol import types_of

BOUND_S = 0.3  # the bound for closing a silent upstream


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
    any_fake: FakeAnthropic, settings: Settings
) -> None:
    timeout_s = 0.5
    function = build_function(replace(settings, first_token_timeout_s=timeout_s))
    warm(function, any_fake)
    any_fake.enqueue(SILENT)
    invoked_at = time.time()  # the timeout's clock starts after this, in the relay
    answer = Answer(function).read_rest_in_background()
    assert closed_after(any_fake, 1, invoked_at) < timeout_s + BOUND_S
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
    monkeypatch.setattr(stream_chat.answer.upstream, "BACKOFF_BASE_S", backoff_s)
    monkeypatch.setattr(stream_chat.answer.upstream.random, "uniform", lambda low, high: high)
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
    function = build_function(settings)
    request = function.validate(b'{"messages": [{"role": "user", "content": "Hi"}]}')
    upstream = Upstream(
        make_provider(settings), request, Deadline(time.monotonic() + 30), 3, queue.Queue()
    )
    upstream.abort()
    assert upstream.start().join(timeout=5)
    assert fake_anthropic.connections == 0 and not fake_anthropic.requests
