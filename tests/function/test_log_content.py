"""Logs carry no message content unless asked to, and every log line is one JSON object.

A canary string goes into the prompt and into the model's answer; it must appear in no line the
function writes, at any level, on success, failure and refusal alike. Switching
``STREAM_CHAT_LOG_CONTENT`` on makes it appear, which proves the capture would catch a leak.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest

from stream_chat.handler import ChatFunction
from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.function.conftest import build_function, chat_event, user
from tests.function.output import SERVICE, Output
from tests.support.protocol import read_frames

CANARY = "zebra-canary-7Q2"
PROMPT = f"Please repeat {CANARY} back to me"
ANSWER = ["Sure: ", CANARY, " it is."]


def ask(function: ChatFunction, body: Any) -> list[dict[str, Any]]:
    response = function(chat_event(body), LambdaContext.local("req-content", 30))
    if response.headers["content-type"].startswith("application/json"):
        b"".join(response.body)
        return []
    return read_frames(response.body)


def every_kind_of_request(fake: FakeAnthropic, settings: Settings) -> None:
    """A completed answer, a stalled one, a provider refusal and a request refused by us."""
    fake.enqueue(
        Reply(texts=ANSWER),
        Reply(texts=ANSWER, fault="stall_with_pings", fault_after=2, ping_every_s=0.1),
        Reply(fault="http_401"),
    )
    function = build_function(replace(settings, stall_timeout_s=0.5, provider_attempts=1))
    assert "".join(f.get("text", "") for f in ask(function, user(PROMPT))) == "".join(ANSWER)
    ask(function, user(PROMPT))
    ask(function, user(PROMPT))
    wrong_role = {"messages": [{"role": "assistant", "content": PROMPT}]}
    assert ask(function, wrong_role) == []


@pytest.fixture
def debug_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging.getLogger(SERVICE), "level", logging.DEBUG)


@pytest.mark.usefixtures("debug_level")
def test_no_message_content_in_any_log_line_by_default(
    fake_anthropic: FakeAnthropic, settings: Settings, output: Output
) -> None:
    every_kind_of_request(fake_anthropic, settings)
    lines = output.lines()  # each line parses as one JSON object
    assert len(output.logs("stream ended")) == 3 and len(output.documents()) == 4
    assert len(output.logs("request refused")) == 1
    assert CANARY not in output.text()
    assert all("Traceback" not in line.get("message", "") for line in lines)


def test_content_is_logged_only_when_switched_on(
    fake_anthropic: FakeAnthropic, settings: Settings, output: Output
) -> None:
    every_kind_of_request(fake_anthropic, replace(settings, log_content=True))
    (first, *_) = output.logs("chat request")
    assert first["content"] == [[PROMPT]]
    (completed, *_) = output.logs("stream ended")
    assert completed["answer"] == "".join(ANSWER)
    assert all(CANARY not in str(document) for document in output.documents())


def test_a_failure_is_logged_as_one_json_line_with_its_traceback_inside(
    settings: Settings, output: Output
) -> None:
    class Exploding:
        def model_label(self, request: Any) -> str:
            raise RuntimeError("label failed")

    function = ChatFunction(settings, Exploding(), None)  # type: ignore[arg-type]
    response = function(chat_event(user(PROMPT)), LambdaContext.local("req-crash", 5))
    assert response.status_code == 500
    (failure,) = output.logs("request failed")
    assert "RuntimeError: label failed" in failure["exception"]
    assert CANARY not in output.text()
