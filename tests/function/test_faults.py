"""Every provider fault ends in a well-formed stream: ``error`` then ``done``, upstream closed.

Each test drives the real SDK against the fake Anthropic server's fault shapes and asserts the
exact frame sequence.
"""

from __future__ import annotations

import math
import queue
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

import stream_chat.answer.upstream
from stream_chat.answer.inbox import Failed, Inbox
from stream_chat.answer.upstream import Upstream
from stream_chat.chat_request import ChatMessage, ChatRequest
from stream_chat.deadline import Deadline
from stream_chat.errors import ERROR_CODES, LimitExceeded, StreamChatError
from stream_chat.providers.events import ProviderEvent
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.function.conftest import Invoke, chat_event, timed_invoke, user
from tests.support.protocol import text_of, types_of

TEXTS = ["alpha ", "beta ", "gamma ", "delta"]
USAGE = {"input_tokens": 12, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}


def estimated_usage(text: str) -> dict[str, Any]:
    output_tokens = max(1, math.ceil(len(text) / 4))
    return {
        "type": "usage",
        **USAGE,
        "output_tokens": output_tokens,
        "estimated": True,
        # claude-sonnet-4-6 at $3 / $15 per million input / output tokens
        "cost_usd": round((USAGE["input_tokens"] * 3 + output_tokens * 15) / 1e6, 6),
    }


def error_frames(frames: list[dict[str, Any]], code: str, retryable: bool) -> dict[str, Any]:
    """Check the closing frames (error, usage?, done) and return the error frame."""
    error = next(frame for frame in frames if frame["type"] == "error")
    assert error["code"] == code and error["retryable"] is retryable
    assert error["message"] and "Traceback" not in error["message"]
    assert frames[-1] == {"type": "done", "stop_reason": "error"}
    assert types_of(frames).count("done") == 1
    return error


def mid_stream(
    fake: FakeAnthropic,
    invoke: Invoke,
    fault: str,
    code: str,
    retryable: bool = True,
    **overrides: Any,
) -> list[dict[str, Any]]:
    """A fault after two text deltas: the text so far arrives intact and is never retried."""
    fake.enqueue(Reply(texts=TEXTS, fault=fault, fault_after=2))  # type: ignore[arg-type]
    _, frames = invoke(chat_event(user()), **overrides)
    sent = "".join(TEXTS[:2])
    assert text_of(frames) == sent
    assert types_of(frames) == ["start", "text", "text", "error", "usage", "done"]
    assert frames[4] == estimated_usage(sent)
    error = error_frames(frames, code, retryable)
    assert len(fake.requests) == 1  # content was sent: no silent retry
    fake.wait_for_close(0, timeout=2)
    return [error]


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("overloaded_midstream", "provider_unavailable"),
        ("reset", "provider_protocol_error"),
        ("cut", "provider_protocol_error"),
        ("malformed", "provider_protocol_error"),
        ("malformed_delta", "provider_protocol_error"),
    ],
)
def test_a_mid_stream_fault_keeps_the_text_and_ends_well(
    invoke: Invoke, fake_anthropic: FakeAnthropic, fault: str, code: str
) -> None:
    (error,) = mid_stream(fake_anthropic, invoke, fault, code)
    if fault == "overloaded_midstream":  # the provider's request id is kept for support
        assert error["request_id"] == fake_anthropic.streams[0].request_id


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("http_429", "rate_limited"),
        ("http_529", "provider_unavailable"),
        ("http_500", "provider_unavailable"),
        ("http_401", "provider_rejected"),
    ],
)
def test_a_failure_before_the_stream_is_retried_then_reported(
    invoke: Invoke, fake_anthropic: FakeAnthropic, fault: str, code: str
) -> None:
    fake_anthropic.enqueue(*[Reply(fault=fault)] * 3)  # type: ignore[arg-type]
    _, frames = invoke(chat_event(user()), provider_attempts=3)
    assert types_of(frames) == ["start", "error", "done"]
    error = error_frames(frames, code, retryable=fault != "http_401")
    assert error["request_id"].startswith("req_")
    assert len(fake_anthropic.requests) == (1 if fault == "http_401" else 3)


@pytest.mark.parametrize("fault", ["http_529", "overloaded_midstream"])
def test_a_retry_before_any_text_recovers(
    invoke: Invoke, fake_anthropic: FakeAnthropic, fault: str
) -> None:
    fake_anthropic.enqueue(Reply(fault=fault, fault_after=0), Reply(texts=TEXTS))  # type: ignore[arg-type]
    _, frames = invoke(chat_event(user()))
    assert text_of(frames) == "".join(TEXTS)
    assert frames[-1] == {"type": "done", "stop_reason": "end_turn"}
    assert len(fake_anthropic.requests) == 2


def test_retries_never_outlive_the_budget(
    settings: Settings, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.enqueue(*[Reply(fault="http_529")] * 10)
    took_s, frames = timed_invoke(settings, chat_event(user()), 1.2, provider_attempts=10)
    assert took_s < 1.2
    error_frames(frames, "provider_unavailable", retryable=True)


def test_no_retry_starts_that_could_not_come_back_in_time(
    settings: Settings, fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each attempt takes 0.3 s to fail; the budget is 2 s (2.5 s less the 0.5 s margin). Retries
    # go on while one more attempt (counted twice) fits, so the last one fails by about 1.7 s and
    # its own error ends the stream. Starting every retry whose backoff fits would leave the
    # last attempt in flight at the deadline, 2 s in, to end in a timeout or ``deadline``.
    monkeypatch.setattr(stream_chat.answer.upstream, "BACKOFF_BASE_S", 0.01)
    fake_anthropic.enqueue(*[Reply(fault="http_529", head_delay_s=0.3)] * 10)
    took_s, frames = timed_invoke(settings, chat_event(user()), 2.5, provider_attempts=10)
    assert took_s < 1.85
    error_frames(frames, "provider_unavailable", retryable=True)
    assert 2 <= len(fake_anthropic.requests) <= 5


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_connection_refused(invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    _, frames = invoke(chat_event(user()), provider_attempts=2)
    assert types_of(frames) == ["start", "error", "done"]
    error = error_frames(frames, "provider_unavailable", retryable=True)
    assert error["message"] == "The model provider could not be reached."


def test_tls_failure(
    invoke: Invoke, fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.base_url.replace("http:", "https:"))
    _, frames = invoke(chat_event(user()), provider_attempts=1)
    assert types_of(frames) == ["start", "error", "done"]
    error_frames(frames, "provider_unavailable", retryable=True)


def test_a_slow_drip_is_not_a_stall(invoke: Invoke, fake_anthropic: FakeAnthropic) -> None:
    # 4 × 0.4 s is longer than the stall timeout in total, never per token (by 0.8 s, room
    # for a busy machine).
    fake_anthropic.enqueue(Reply(texts=TEXTS, delay_s=0.4))
    _, frames = invoke(chat_event(user()), stall_timeout_s=1.2, first_token_timeout_s=1.2)
    assert text_of(frames) == "".join(TEXTS)
    assert frames[-1] == {"type": "done", "stop_reason": "end_turn"}


def test_a_stall_with_pings_times_out(settings: Settings, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.enqueue(
        Reply(texts=TEXTS, fault="stall_with_pings", fault_after=2, ping_every_s=0.1)
    )
    took_s, frames = timed_invoke(settings, chat_event(user()), 30.0, stall_timeout_s=0.5)
    assert took_s < 0.5 + 1.0
    assert types_of(frames) == ["start", "text", "text", "error", "usage", "done"]
    error_frames(frames, "stall_timeout", retryable=True)
    assert fake_anthropic.wait_for_close(0, timeout=2) < 0.5 + 1.0
    assert fake_anthropic.streams[0].client_closed


def test_no_first_token_times_out(invoke: Invoke, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.enqueue(Reply(texts=TEXTS, first_delay_s=10, ping_every_s=0.1))
    _, frames = invoke(chat_event(user()), first_token_timeout_s=0.5)
    assert types_of(frames) == ["start", "error", "usage", "done"]
    error_frames(frames, "first_token_timeout", retryable=True)
    assert fake_anthropic.wait_for_close(0, timeout=2) < 0.5 + 1.0


def test_the_deadline_ends_the_stream_before_lambda_does(
    settings: Settings, fake_anthropic: FakeAnthropic
) -> None:
    texts = [f"t{n} " for n in range(40)]
    fake_anthropic.enqueue(Reply(texts=texts, delay_s=0.1))
    elapsed, frames = timed_invoke(settings, chat_event(user()), 2.0, deadline_margin_s=0.5)
    assert 1.3 < elapsed < 2.0  # stopped at the margin, well before the function's timeout
    sent = text_of(frames)
    assert sent and "".join(texts).startswith(sent)
    assert types_of(frames)[-3:] == ["error", "usage", "done"]
    assert frames[-2] == estimated_usage(sent)
    error_frames(frames, "deadline", retryable=True)
    assert fake_anthropic.wait_for_close(0, timeout=1) < 2.0


def test_an_early_stop_never_estimates_more_tokens_than_the_request_allowed(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    # 120 characters would be estimated as 30 tokens; the model cannot have generated over 5.
    fake_anthropic.enqueue(Reply(texts=["x" * 40] * 3, fault="reset", fault_after=3))
    _, frames = invoke(chat_event({**user(), "max_tokens": 5}))
    assert types_of(frames)[-3:] == ["error", "usage", "done"]
    assert len(text_of(frames)) == 120
    usage = frames[-2]
    assert (usage["output_tokens"], usage["estimated"]) == (5, True)
    assert usage["cost_usd"] == round((USAGE["input_tokens"] * 3 + 5 * 15) / 1e6, 6)


class FailingProvider:
    """Every attempt fails with ``error`` before any text; counts the attempts."""

    def __init__(self, error: StreamChatError) -> None:
        self.error = error
        self.attempts = 0

    def model_label(self, request: ChatRequest) -> str:
        return request.model

    def open(self, request: ChatRequest, deadline: Deadline, paused: Any = ()) -> FailingCall:
        self.attempts += 1
        return FailingCall(self.error)


class FailingCall:
    request_id: str | None = None

    def __init__(self, error: StreamChatError) -> None:
        self.error = error

    def __iter__(self) -> Iterator[ProviderEvent]:
        raise self.error

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass


def coded_error(cls: type[StreamChatError]) -> StreamChatError:
    if issubclass(cls, LimitExceeded):
        return cls("limited", retry_after_s=1)
    return cls("failed")


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_the_upstream_retries_an_error_when_it_is_transient_not_when_it_is_retryable(
    code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream_chat.answer.upstream, "BACKOFF_BASE_S", 0.001)
    error = coded_error(ERROR_CODES[code])
    provider = FailingProvider(error)
    request = ChatRequest((ChatMessage("user", ("Hi",)),), "", 64, "claude-sonnet-4-6")
    inbox: Inbox = queue.Queue()
    upstream = Upstream(provider, request, Deadline(time.monotonic() + 30), 3, inbox)
    assert upstream.start().join(timeout=10)
    assert provider.attempts == (3 if error.transient else 1)
    assert inbox.get_nowait() == Failed(error)
