from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from stream_chat.handler import ChatFunction
from stream_chat.providers.demo import DemoProvider
from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic
from tests.function.conftest import FLAWS, Invoke, chat_event, load_event, malformed_event
from tests.support.protocol import text_of, types_of

DEMO = {"provider": "demo"}


def test_chat_event_streams_the_demo_answer(invoke: Invoke) -> None:
    response, frames = invoke("chat", **DEMO)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache, no-transform"
    assert response.headers["x-accel-buffering"] == "no"
    assert types_of(frames)[0] == "start" and types_of(frames)[-2:] == ["usage", "done"]
    start = frames[0]
    assert start["model"] == "demo"
    assert start["stream_id"] == response.headers["x-stream-id"]
    assert len(start["stream_id"]) >= 22  # >= 128 bits in URL-safe base64
    assert "How does response streaming work on AWS Lambda?" in text_of(frames)
    assert frames[-1] == {"type": "done", "stop_reason": "end_turn"}


def test_multi_turn_event(invoke: Invoke) -> None:
    response, frames = invoke("multi-turn", **DEMO)
    assert response.status_code == 200
    assert "How does a browser reconnect after a drop?" in text_of(frames)


def test_base64_event_keeps_unicode(invoke: Invoke) -> None:
    _, frames = invoke("base64", **DEMO)
    assert "Grüße — streaming with emoji 🚀 and ünïcödé" in text_of(frames)


@pytest.mark.parametrize(
    ("event", "status", "code"),
    [
        ("invalid", 400, "invalid_role"),
        ("wrong-route", 404, "not_found"),
        ("wrong-method", 405, "method_not_allowed"),
    ],
)
def test_refused_events_get_json_errors(invoke: Invoke, event: str, status: int, code: str) -> None:
    response, (body,) = invoke(event, **DEMO)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert body["error"]["code"] == code and body["error"]["message"]
    if status == 405:
        assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("flaw", FLAWS)
def test_an_event_that_is_no_function_url_event_is_a_400(invoke: Invoke, flaw: str) -> None:
    response, (body,) = invoke(malformed_event("chat", flaw), **DEMO)
    assert (response.status_code, body["error"]["code"]) == (400, "invalid_event")
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("field", ["thinking", "search"])
def test_a_feature_the_server_does_not_offer_is_refused_before_the_provider(
    invoke: Invoke, fake_anthropic: FakeAnthropic, field: str
) -> None:
    body = {"messages": [{"role": "user", "content": "Hi"}], field: True}
    response, (refusal,) = invoke(chat_event(body))
    assert (response.status_code, response.headers["content-type"]) == (400, "application/json")
    assert refusal["error"]["code"] == "feature_not_allowed"
    assert refusal["error"]["field"] == field
    assert fake_anthropic.requests == []


def test_the_chat_function_does_not_serve_cancels(invoke: Invoke) -> None:
    # CloudFront routes cancels to the cancel function; reaching this one is a wrong route.
    response, (body,) = invoke("cancel", **DEMO)
    assert (response.status_code, body["error"]["code"]) == (404, "not_found")


def test_too_large_body_is_413(invoke: Invoke) -> None:
    event = chat_event({"messages": [{"role": "user", "content": "x" * 2000}]})
    response, (body,) = invoke(event, max_body_bytes=1000, **DEMO)
    assert (response.status_code, body["error"]["code"]) == (413, "payload_too_large")


def test_an_unexpected_failure_is_a_json_500_without_a_trace() -> None:
    class Broken(DemoProvider):
        def model_label(self, request: Any) -> str:
            raise RuntimeError("secret internals")

    function = ChatFunction(Settings(), Broken(0.0), None)
    response = function(load_event("chat"), LambdaContext.local("r", 5))
    body = json.loads(b"".join(response.body))
    assert response.status_code == 500
    assert body == {
        "error": {"code": "internal_error", "message": "The request failed unexpectedly."}
    }


FUNCTION = ChatFunction(Settings(demo_token_delay_s=0.0, max_tokens=3), DemoProvider(0.0), None)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(
        st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))
    ),
    b64=st.booleans(),
)
def test_no_body_ever_gets_a_500(body: str, b64: bool) -> None:
    event = chat_event(body)
    event["isBase64Encoded"] = b64
    response = FUNCTION(event, LambdaContext.local("r", 5))
    assert response.status_code in (200, 400, 413)
    chunks = b"".join(response.body)
    if response.status_code != 200:
        assert json.loads(chunks)["error"]["code"]


# Any object, any key: a key or text may hold a lone surrogate, which JSON writes as "\ud800".
# st.text() never draws a surrogate, whatever its alphabet: join drawn characters instead.
any_text = st.lists(st.characters(categories=("Cs",)) | st.characters(), max_size=6).map("".join)
request_objects = st.dictionaries(
    any_text | st.sampled_from(["messages", "model", "max_tokens", "thinking", "search"]),
    any_text
    | st.booleans()
    | st.lists(st.fixed_dictionaries({"role": st.just("user"), "content": any_text}), max_size=2),
    max_size=3,
)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=request_objects)
def test_no_json_object_ever_gets_a_5xx(body: dict[str, Any]) -> None:
    response = FUNCTION(chat_event(json.dumps(body)), LambdaContext.local("r", 5))
    assert response.status_code in (200, 400)
    chunks = b"".join(response.body)
    if response.status_code == 400:
        assert json.loads(chunks)["error"]["code"]


def test_an_unknown_field_named_by_a_lone_surrogate_is_a_400() -> None:
    response = FUNCTION(chat_event('{"\\ud800": 1}'), LambdaContext.local("r", 5))
    error = json.loads(b"".join(response.body))["error"]
    assert (response.status_code, error["code"], error["field"]) == (400, "invalid_field", "\ud800")
