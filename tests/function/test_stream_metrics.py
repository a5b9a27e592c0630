"""Every stream, however it ends, leaves exactly one EMF document and one summary log line.

Each scenario drives the real function (and the real SDK against the fake Anthropic server) to
one ending, then reads what the function wrote to stdout, as CloudWatch Logs would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from stream_chat.access import Authorizer
from stream_chat.accounting.endings import Ending
from stream_chat.accounting.refusals import NAMESPACE
from stream_chat.cancel_handler import CancelFunction
from stream_chat.cancellation.sqlite import SQLiteRegistry
from stream_chat.chat_request import ChatRequest
from stream_chat.deadline import Deadline
from stream_chat.errors import ERROR_CODES
from stream_chat.handler import ChatFunction
from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from stream_chat.shutdown import Shutdown
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.fakes.identity_provider import FakeIdentityProvider
from tests.function.conftest import build_function, chat_event, user
from tests.function.output import Output
from tests.support.protocol import ProtocolReader

TEXTS = ["alpha ", "beta ", "gamma ", "delta"]
REQUEST_ID = "req-metrics"


@dataclass
class Run:
    stream_id: str
    frames: list[dict[str, Any]]
    heartbeats: int

    @property
    def usage(self) -> dict[str, Any]:
        (usage,) = [frame for frame in self.frames if frame["type"] == "usage"]
        return usage


def stream(function: ChatFunction, on_frame: Callable[[Run], None] | None = None) -> Run:
    response = function(chat_event(user()), LambdaContext.local(REQUEST_ID, 30))
    reader = ProtocolReader()
    run = Run(response.headers["x-stream-id"], reader.frames, 0)
    for chunk in response.body:
        reader.feed(chunk)
        if on_frame is not None:
            on_frame(run)
    reader.close()
    run.heartbeats = reader.heartbeats
    return run


def completed(fake: FakeAnthropic, settings: Settings) -> Run:
    fake.enqueue(Reply(fault="http_529"), Reply(texts=TEXTS, input_tokens=40, output_tokens=9))
    return stream(build_function(settings))


def max_tokens(fake: FakeAnthropic, settings: Settings) -> Run:
    fake.enqueue(Reply(texts=TEXTS, stop_reason="max_tokens"))
    return stream(build_function(settings))


def cancelled(fake: FakeAnthropic, settings: Settings) -> Run:
    fake.enqueue(Reply(texts=[f"w{n} " for n in range(100)], delay_s=0.05))
    canceller = CancelFunction(SQLiteRegistry(settings.cancel_sqlite_path, ttl_s=60))

    def cancel_after_two_texts(run: Run) -> None:
        if len(run.frames) == 3:
            path = f"/api/chat/stream/{run.stream_id}/cancel"
            answer = canceller(chat_event("", path=path), LambdaContext.local("cancel", 5))
            assert answer["statusCode"] == 202

    return stream(build_function(settings), cancel_after_two_texts)


def first_token_timeout(fake: FakeAnthropic, settings: Settings) -> Run:
    fake.enqueue(Reply(texts=TEXTS, first_delay_s=10, ping_every_s=0.1))
    quick = replace(settings, first_token_timeout_s=0.8, heartbeat_s=0.2)
    return stream(build_function(quick))


def stall_timeout(fake: FakeAnthropic, settings: Settings) -> Run:
    fake.enqueue(Reply(texts=TEXTS, fault="stall_with_pings", fault_after=2, ping_every_s=0.1))
    return stream(build_function(replace(settings, stall_timeout_s=0.5)))


def deadline(fake: FakeAnthropic, settings: Settings) -> Run:
    fake.enqueue(Reply(texts=[f"t{n} " for n in range(40)], delay_s=0.1))
    function = build_function(replace(settings, deadline_margin_s=0.5))
    response = function(chat_event(user()), LambdaContext.local(REQUEST_ID, 1.5))
    reader = ProtocolReader()
    for chunk in response.body:
        reader.feed(chunk)
    return Run(response.headers["x-stream-id"], reader.frames, reader.heartbeats)


def shutdown(fake: FakeAnthropic, settings: Settings) -> Run:
    fake.enqueue(Reply(texts=[f"w{n} " for n in range(100)], delay_s=0.05))
    function = build_function(settings)
    notice = Shutdown(exit_when_idle=lambda status: None)
    function.pipeline = replace(function.pipeline, shutdown=notice)

    def shut_down_after_two_texts(run: Run) -> None:
        if len(run.frames) == 3:
            notice.trigger()

    return stream(function, shut_down_after_two_texts)


def provider_error(fake: FakeAnthropic, settings: Settings) -> Run:
    fake.enqueue(Reply(fault="http_401"))
    return stream(build_function(settings))


class BrokenProvider:
    def model_label(self, request: ChatRequest) -> str:
        return request.model

    def open(self, request: ChatRequest, deadline: Deadline, paused: Any = ()) -> Any:
        raise RuntimeError("a bug in a provider")


def internal_error(fake: FakeAnthropic, settings: Settings) -> Run:
    return stream(ChatFunction(settings, BrokenProvider(), None))


SCENARIOS = {
    "completed": completed,
    "max_tokens": max_tokens,
    "cancelled": cancelled,
    "first_token_timeout": first_token_timeout,
    "stall_timeout": stall_timeout,
    "deadline": deadline,
    "provider_error": provider_error,
    "shutdown": shutdown,
    "internal_error": internal_error,
}


def test_there_is_a_scenario_for_every_ending() -> None:
    assert list(SCENARIOS) == [str(ending) for ending in Ending]


def test_each_error_code_ends_an_answer_in_the_ending_of_its_family() -> None:
    families = {
        "first_token_timeout": "first_token_timeout",
        "stall_timeout": "stall_timeout",
        "deadline": "deadline",
        "shutdown": "shutdown",
        "provider_error": "provider_error",
        "provider_unavailable": "provider_error",
        "rate_limited": "provider_error",
        "provider_rejected": "provider_error",
        "provider_protocol_error": "provider_error",
    }
    for code in ERROR_CODES:
        assert Ending.of_error(code) == families.get(code, "internal_error"), code
    # Sent by the resume function about an answer that ended elsewhere: no answer's ending.
    assert "answer_lost" in ERROR_CODES and "answer_lost" not in set(Ending)


@pytest.mark.parametrize("ending", SCENARIOS)
def test_each_ending_leaves_one_emf_document_and_one_summary_line(
    ending: str, fake_anthropic: FakeAnthropic, settings: Settings, output: Output
) -> None:
    run = SCENARIOS[ending](fake_anthropic, settings)
    (document,) = output.documents()
    (summary,) = output.logs("stream ended")

    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE == "StreamChat"
    assert directive["Dimensions"] == [["Ending", "Model"], ["Ending"], ["Model"]]
    assert (document["Ending"], document["Model"]) == (ending, settings.model)
    assert "service" not in document
    assert (document["stream_id"], document["request_id"]) == (run.stream_id, REQUEST_ID)
    values = {metric["Name"]: value(document, metric["Name"]) for metric in directive["Metrics"]}
    check_values(ending, run, values, settings)

    assert summary["ending"] == ending and summary["model"] == settings.model
    assert (summary["stream_id"], summary["request_id"]) == (run.stream_id, REQUEST_ID)
    assert summary["duration_ms"] == values["StreamDuration"]
    assert summary.get("ttft_ms") == values.get("TimeToFirstToken")
    assert summary["retries"] == values["ProviderRetries"]
    assert summary["heartbeats"] == values["Heartbeats"] == run.heartbeats
    if ending == "internal_error":  # the broken provider never made a request
        assert "provider_request_id" not in document
    else:  # the provider's id for support: its stream's, or its refusal's
        refusal = [frame for frame in run.frames if frame["type"] == "error"]
        expected = (
            fake_anthropic.streams[-1].request_id
            if fake_anthropic.streams
            else refusal[0]["request_id"]
        )
        assert expected.startswith("req_")
        assert document["provider_request_id"] == summary["provider_request_id"] == expected


def value(document: dict[str, Any], name: str) -> float:
    (number,) = document[name]  # Powertools writes each value as a one-item list
    assert isinstance(number, int | float)
    return number


def check_values(ending: str, run: Run, values: dict[str, float], settings: Settings) -> None:
    texts = [frame for frame in run.frames if frame["type"] == "text"]
    assert values["StreamDuration"] > 0
    assert ("TimeToFirstToken" in values) == bool(texts)
    if texts:
        assert 0 < values["TimeToFirstToken"] <= values["StreamDuration"]
    assert values["ProviderRetries"] == (1 if ending == "completed" else 0)
    assert ("CancelLatency" in values) == (ending == "cancelled")
    if ending == "cancelled":
        assert 0 <= values["CancelLatency"] < (settings.cancel_poll_s + 1.0) * 1000
    if ending == "first_token_timeout":
        assert values["Heartbeats"] >= 2
    if ending in ("provider_error", "internal_error"):  # refused or failed before any token
        assert not any(frame["type"] == "usage" for frame in run.frames)
        assert "EstimatedCost" not in values and values["OutputTokens"] == 0
        return
    usage = run.usage
    assert values["InputTokens"] == usage["input_tokens"]
    assert values["OutputTokens"] == usage["output_tokens"]
    assert values["CacheReadInputTokens"] == usage.get("cache_read_input_tokens", 0)
    assert values["CacheCreationInputTokens"] == usage.get("cache_creation_input_tokens", 0)
    assert values["EstimatedCost"] == usage["cost_usd"] > 0


def test_a_completed_stream_measures_what_the_client_received(
    fake_anthropic: FakeAnthropic, settings: Settings, output: Output
) -> None:
    run = completed(fake_anthropic, settings)
    assert run.usage == {
        "type": "usage",
        "input_tokens": 40,
        "output_tokens": 9,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cost_usd": 0.000255,  # 40 × $3 + 9 × $15 per million tokens
        "stop_reason": "end_turn",
    }
    (summary,) = output.logs("stream ended")
    assert summary["stop_reason"] == "end_turn" and summary["cost_usd"] == 0.000255
    assert summary["tokens_estimated"] is False
    (document,) = output.documents()
    assert document["tokens_estimated"] is False


def test_a_cut_stream_marks_its_tokens_and_cost_estimated(
    fake_anthropic: FakeAnthropic, settings: Settings, output: Output
) -> None:
    run = stall_timeout(fake_anthropic, settings)
    assert run.usage["estimated"] is True and "cost_usd" in run.usage
    (summary,) = output.logs("stream ended")
    assert summary["tokens_estimated"] is True and summary["error_code"] == "stall_timeout"
    assert output.documents()[0]["tokens_estimated"] is True


def test_an_unknown_model_gets_no_cost_and_no_cost_metric(
    fake_anthropic: FakeAnthropic, settings: Settings, output: Output
) -> None:
    unpriced = replace(settings, prices={})
    fake_anthropic.enqueue(Reply(texts=TEXTS))
    run = stream(build_function(unpriced))
    assert "cost_usd" not in run.usage
    (document,) = output.documents()
    assert "EstimatedCost" not in document
    assert "cost_usd" not in output.logs("stream ended")[0]


def test_the_demo_model_is_measured_without_a_price(settings: Settings, output: Output) -> None:
    run = stream(build_function(replace(settings, provider="demo")))
    assert run.frames[-1]["stop_reason"] == "end_turn" and "cost_usd" not in run.usage
    (document,) = output.documents()
    assert (document["Ending"], document["Model"]) == ("completed", "demo")


@pytest.mark.parametrize(
    ("event", "code", "status"),
    [
        (chat_event({"messages": []}), "invalid_messages", 400),
        (chat_event(user(), path="/api/other"), "not_found", 404),
        (chat_event(user(), method="GET"), "method_not_allowed", 405),
        (chat_event("x" * (Settings().max_body_bytes + 1)), "payload_too_large", 413),
    ],
)
def test_a_request_refused_before_its_stream_is_counted_by_code(
    event: dict[str, Any], code: str, status: int, settings: Settings, output: Output
) -> None:
    response = build_function(settings)(event, LambdaContext.local(REQUEST_ID, 5))
    assert response.status_code == status
    (document,) = output.documents()
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert (directive["Namespace"], directive["Dimensions"]) == (NAMESPACE, [["Code"]])
    assert directive["Metrics"] == [{"Name": "RejectedRequests", "Unit": "Count"}]
    assert (document["Code"], document["RejectedRequests"], document["status"]) == (code, 1, status)
    assert output.logs("stream ended") == []


def test_a_failure_before_the_stream_is_counted_apart_from_rejections(
    settings: Settings, output: Output
) -> None:
    class Unlabelled(BrokenProvider):
        def model_label(self, request: ChatRequest) -> str:
            raise RuntimeError("no label")

    function = ChatFunction(settings, Unlabelled(), None)
    assert function(chat_event(user()), LambdaContext.local(REQUEST_ID, 5)).status_code == 500
    (document,) = output.documents()
    assert (document["Code"], document["FailedRequests"]) == ("internal_error", 1)


def test_a_body_closed_early_still_leaves_one_document(
    fake_anthropic: FakeAnthropic, settings: Settings, output: Output
) -> None:
    fake_anthropic.enqueue(Reply(texts=[f"w{n} " for n in range(100)], delay_s=0.05))
    response = build_function(settings)(chat_event(user()), LambdaContext.local(REQUEST_ID, 30))
    body = iter(response.body)
    next(body), next(body)  # start and the first text, then the runtime gives up on the body
    body.close()  # type: ignore[attr-defined]
    (document,) = output.documents()
    (summary,) = output.logs("stream ended")
    assert document["Ending"] == summary["ending"] == "internal_error"
    assert "stop_reason" not in summary  # no `done` was sent
    assert value(document, "TimeToFirstToken") > 0
    fake_anthropic.wait_for_close(0, timeout=2)
    assert fake_anthropic.streams[0].client_closed


def test_the_cancel_function_counts_its_refusals_the_same_way(
    settings: Settings, output: Output
) -> None:
    canceller = CancelFunction(SQLiteRegistry(settings.cancel_sqlite_path, ttl_s=60))
    malformed = chat_event("", path="/api/chat/stream/short/cancel")
    assert canceller(malformed, LambdaContext.local(REQUEST_ID, 5))["statusCode"] == 400
    good = chat_event("", path=f"/api/chat/stream/{'x' * 32}/cancel")
    assert canceller(good, LambdaContext.local(REQUEST_ID, 5))["statusCode"] == 202
    (document,) = output.documents()  # the accepted cancel is no refusal
    assert (document["Code"], document["RejectedRequests"]) == ("invalid_stream_id", 1)


def test_sign_in_and_limit_refusals_are_counted_once_each(
    fake_anthropic: FakeAnthropic, settings: Settings, output: Output
) -> None:
    fake_anthropic.enqueue(Reply(texts=TEXTS))
    with FakeIdentityProvider("chat-client") as idp:
        signed = replace(
            settings,
            auth="cognito",
            auth_issuer=idp.issuer,
            auth_client_id=idp.client_id,
            limit_requests_per_minute=1,
        )
        function, keyless = build_function(signed), build_function(signed)
        token = {"x-authorization": f"Bearer {idp.access_token()}"}
        statuses = [call(function, None), call(function, token), call(function, token)]
        canceller = CancelFunction(
            SQLiteRegistry(signed.cancel_sqlite_path, ttl_s=60), Authorizer.from_settings(signed)
        )
        cancel = chat_event("", path=f"/api/chat/stream/{'x' * 32}/cancel")
        statuses.append(canceller(cancel, LambdaContext.local(REQUEST_ID, 5))["statusCode"])
    statuses.append(call(keyless, token))  # its keys were never fetched, and now cannot be
    assert statuses == [401, 200, 429, 401, 503]
    refusals = [doc for doc in output.documents() if "Ending" not in doc]
    codes = ["unauthorized", "limit_rate", "unauthorized", "auth_unavailable"]
    assert [doc["Code"] for doc in refusals] == codes
    assert [doc.get("RejectedRequests", doc.get("FailedRequests")) for doc in refusals] == [1] * 4
    (summary,) = output.logs("stream ended")  # the one admitted request, tokens counted
    assert summary["output_tokens"] > 0


def call(function: ChatFunction, headers: dict[str, str] | None) -> int:
    response = function(chat_event(user(), headers=headers), LambdaContext.local(REQUEST_ID, 30))
    b"".join(response.body)
    return response.status_code
