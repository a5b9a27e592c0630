"""An unexpected exception anywhere on the stream path is visible, and the client is answered.

Each test injects a bug (a provider double, a failing stage, a registry that raises; the SDK is
never mocked) and checks both sides: one ERROR log line, the traceback inside it naming the
function that raised, and a well-formed ending for the client: ``error`` (``internal_error``)
then ``done`` once streaming began, a JSON 500 before that.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

import stream_chat.answer.pipeline
from stream_chat.accounting.pricing import Prices
from stream_chat.cancel_handler import CancelFunction
from stream_chat.chat_request import ChatRequest
from stream_chat.deadline import Deadline
from stream_chat.handler import ChatFunction
from stream_chat.providers.anthropic import ANTHROPIC_WIRE, AnthropicStream, Wire
from stream_chat.providers.bedrock import BEDROCK_WIRE
from stream_chat.providers.events import ProviderEvent, TextDelta, UsageUpdate
from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic
from tests.function.conftest import build_function, chat_event, load_event, user
from tests.function.output import Output
from tests.function.test_faults import TEXTS, error_frames
from tests.support.protocol import read_frames, text_of, types_of


def logged_once(output: Output, message: str, raised_in: str) -> dict[str, Any]:
    """The one ERROR line; its traceback runs through ``raised_in``."""
    errors = [line for line in output.lines() if line.get("level") == "ERROR"]
    assert [line["message"] for line in errors] == [message]
    (line,) = errors
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert f", in {raised_in}\n" in line["exception"]
    return line


def internal_error(frames: list[dict[str, Any]]) -> None:
    assert frames[0]["type"] == "start"
    error = error_frames(frames, "internal_error", retryable=False)
    assert error["message"] == "The answer failed unexpectedly."


class Double:
    """A provider whose streams come from ``open_stream``."""

    def __init__(self, open_stream: Callable[[], Any]) -> None:
        self._open_stream = open_stream

    def model_label(self, request: ChatRequest) -> str:
        return request.model

    def open(self, request: ChatRequest, deadline: Deadline, paused: Any = ()) -> Any:
        return self._open_stream()


def stream(settings: Settings, provider: Any) -> list[dict[str, Any]]:
    function = ChatFunction(settings, provider, None)
    response = function(chat_event(user()), LambdaContext.local("req-bug", 30))
    assert response.status_code == 200
    return read_frames(response.body)


def send_with_a_bug() -> Any:
    raise KeyError("a bug before the response")


@pytest.mark.parametrize("wire", [ANTHROPIC_WIRE, BEDROCK_WIRE], ids=["anthropic", "bedrock"])
def test_a_bug_in_a_provider_is_an_internal_error_not_a_provider_error(
    settings: Settings, output: Output, wire: Wire
) -> None:
    frames = stream(settings, Double(lambda: AnthropicStream(send_with_a_bug, wire)))
    assert types_of(frames) == ["start", "error", "done"]
    internal_error(frames)
    line = logged_once(output, "provider failed unexpectedly", "send_with_a_bug")
    assert "KeyError: 'a bug before the response'" in line["exception"]


class BreaksMidStream:
    request_id = None

    def __iter__(self) -> Iterator[ProviderEvent]:
        yield UsageUpdate(input_tokens=12, output_tokens=1)
        yield TextDelta("partial ")
        self.break_mid_stream()

    def break_mid_stream(self) -> None:
        raise AttributeError("a bug mid-stream")

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_bug_mid_stream_keeps_the_text_and_ends_the_stream(
    settings: Settings, output: Output
) -> None:
    frames = stream(settings, Double(BreaksMidStream))
    assert types_of(frames) == ["start", "text", "error", "usage", "done"]
    assert text_of(frames) == "partial " and frames[3]["estimated"] is True
    internal_error(frames)
    logged_once(output, "provider failed unexpectedly", "break_mid_stream")


class PricesWithABug(Prices):
    def cost(self, usage: Any) -> float:
        raise ZeroDivisionError("a bug in the price table")


def test_a_price_that_cannot_be_computed_leaves_only_the_cost_out(
    settings: Settings, fake_anthropic: FakeAnthropic, output: Output
) -> None:
    prices = {settings.model: PricesWithABug(1, 1, 1, 1)}
    function = build_function(replace(settings, prices=prices))
    response = function(chat_event(user()), LambdaContext.local("req-bug", 30))
    frames = read_frames(response.body)
    # The answer was complete: it arrives whole, with its counts, only without a cost.
    assert types_of(frames) == ["start", *["text"] * len(TEXTS), "usage", "done"]
    assert "cost_usd" not in frames[-2] and frames[-2]["output_tokens"] > 0
    logged_once(output, "pricing failed", "cost")
    (summary,) = output.logs("stream ended")
    assert summary["ending"] == "completed" and summary.get("cost_usd") is None


def test_a_bug_in_the_relay_before_any_event_still_sends_start_first(
    settings: Settings, fake_anthropic: FakeAnthropic, output: Output, monkeypatch: Any
) -> None:
    def watch_with_a_bug(*args: Any) -> Iterator[Any]:
        raise LookupError("a bug before the first event")
        yield  # a generator, as the stage it stands for

    monkeypatch.setattr(stream_chat.answer.pipeline, "watch", watch_with_a_bug)
    response = build_function(settings)(chat_event(user()), LambdaContext.local("r", 30))
    frames = read_frames(response.body)
    assert types_of(frames) == ["start", "error", "done"]
    assert frames[0]["stream_id"] == response.headers["x-stream-id"]
    internal_error(frames)
    logged_once(output, "relay failed", "watch_with_a_bug")
    (summary,) = output.logs("stream ended")
    assert summary["ending"] == "internal_error"


def label_with_a_bug(request: ChatRequest) -> str:
    raise TypeError("a bug before the first byte")


def test_a_bug_before_the_first_byte_is_a_json_500(settings: Settings, output: Output) -> None:
    provider = Double(BreaksMidStream)
    provider.model_label = label_with_a_bug  # type: ignore[method-assign]
    response = ChatFunction(settings, provider, None)(
        chat_event(user()), LambdaContext.local("r", 5)
    )
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    body = json.loads(b"".join(response.body))
    assert body["error"]["code"] == "internal_error"
    logged_once(output, "request failed", "label_with_a_bug")


class RegistryWithABug:
    def cancel(self, stream_id: str, owner: str = "") -> None:
        write_cancel_record()

    def cancelled_at(self, stream_id: str, owner: str = "") -> float | None:
        return None


def write_cancel_record() -> None:
    raise RuntimeError("a bug in the registry")


def test_a_bug_in_the_cancel_function_is_logged_with_its_traceback(output: Output) -> None:
    result = CancelFunction(RegistryWithABug())(load_event("cancel"), LambdaContext.local("r", 5))
    assert result["statusCode"] == 500
    assert json.loads(result["body"])["error"]["code"] == "internal_error"
    line = logged_once(output, "cancel failed", "write_cancel_record")
    assert line["exception_name"] == "RuntimeError"
    assert line["exception"].endswith("RuntimeError: a bug in the registry")
    assert line["service"] == "stream-chat-cancel" and line["correlation_id"] == "r"
