"""What a message asks of the Messages API: thinking, the server tools and max_tokens, exactly as
the fake Anthropic and Bedrock endpoints receive them through the real SDK."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from stream_chat.chat_request import ChatMessage, ChatRequest
from stream_chat.providers.message_params import message_params, thinking_config
from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.bedrock_server import FakeBedrock
from tests.function.conftest import Invoke, build_function, chat_event
from tests.support.protocol import read_frames

OFFERED = {"thinking": True, "web_search": True, "web_fetch": True}
SEARCH_TOOLS = [
    {"type": "web_search_20250305", "name": "web_search", "max_uses": 5},
    {"type": "web_fetch_20250910", "name": "web_fetch", "max_uses": 3, "max_content_tokens": 20000},
]


def ask(**fields: Any) -> dict[str, Any]:
    body = {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 300, **fields}
    return chat_event(body)


def test_thinking_is_sent_adaptive_and_summarized_with_its_budget_on_top(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    response, _ = invoke(ask(thinking=True), **OFFERED)
    assert response.status_code == 200
    sent = fake_anthropic.requests[0]
    assert sent["thinking"] == {"type": "adaptive", "display": "summarized"}
    assert sent["max_tokens"] == 300 + 4096  # the answer keeps its 300
    assert "tools" not in sent


def test_search_sends_the_server_tools_the_deployment_offers(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    invoke(
        ask(search=True),
        **OFFERED,
        web_search_max_uses=2,
        web_search_allowed_domains=("docs.python.org", "example.com/blog"),
        web_fetch_allowed_domains=("example.org",),
        web_fetch_max_content_tokens=8000,
    )
    sent = fake_anthropic.requests[0]
    assert sent["tools"] == [
        {
            "type": "web_search_20250305",
            "name": "web_search",
            "max_uses": 2,
            "allowed_domains": ["docs.python.org", "example.com/blog"],
        },
        {
            "type": "web_fetch_20250910",
            "name": "web_fetch",
            "max_uses": 3,
            "max_content_tokens": 8000,
            "allowed_domains": ["example.org"],
        },
    ]
    assert "thinking" not in sent and sent["max_tokens"] == 300
    # Both tools are generally available: no beta header.
    assert "anthropic-beta" not in fake_anthropic.headers[0]


def test_only_the_tools_switched_on_are_sent(invoke: Invoke, fake_anthropic: FakeAnthropic) -> None:
    invoke(ask(search=True, thinking=True), **{**OFFERED, "web_search": False})
    sent = fake_anthropic.requests[0]
    assert [tool["name"] for tool in sent["tools"]] == ["web_fetch"]
    assert sent["thinking"]["type"] == "adaptive"


def test_nothing_is_sent_for_what_the_message_does_not_ask(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    invoke(ask(), **OFFERED)
    invoke(ask(thinking=False, search=False), **OFFERED)
    for sent in fake_anthropic.requests:
        assert "thinking" not in sent and "tools" not in sent
        assert sent["max_tokens"] == 300


def test_a_budget_only_model_thinks_with_its_budget(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    haiku = "claude-haiku-4-5"
    invoke(ask(thinking=True, model=haiku), **OFFERED, allowed_models=("claude-sonnet-4-6", haiku))
    sent = fake_anthropic.requests[0]
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 4096, "display": "summarized"}
    assert sent["max_tokens"] == 300 + 4096 and sent["thinking"]["budget_tokens"] < 4396


@pytest.mark.parametrize(
    ("model", "mode"),
    [
        ("claude-sonnet-4-6", "adaptive"),
        ("claude-opus-4-6", "adaptive"),
        ("claude-opus-4-7", "adaptive"),
        ("claude-sonnet-5", "adaptive"),
        ("claude-mythos-preview", "adaptive"),
        ("global.anthropic.claude-sonnet-4-6", "adaptive"),
        ("anthropic.claude-opus-4-6-v1", "adaptive"),
        ("claude-opus-4-10", "adaptive"),  # not 4.1: a later model takes adaptive
        ("claude-haiku-4-5", "enabled"),
        ("claude-haiku-4-5-20251001", "enabled"),
        ("claude-sonnet-4-5-20250929", "enabled"),
        ("claude-opus-4-5", "enabled"),
        ("claude-opus-4-1-20250805", "enabled"),
        ("claude-sonnet-4-20250514", "enabled"),
        ("claude-opus-4-0", "enabled"),
        ("claude-3-7-sonnet-20250219", "enabled"),
        ("anthropic.claude-haiku-4-5-20251001-v1:0", "enabled"),
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", "enabled"),
        ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "enabled"),
    ],
)
def test_auto_mode_gives_each_model_the_thinking_it_accepts(model: str, mode: str) -> None:
    assert thinking_config(model, Settings(thinking=True))["type"] == mode


def test_the_mode_and_display_can_be_fixed() -> None:
    budget = Settings(thinking=True, thinking_mode="budget", thinking_budget_tokens=2000)
    assert thinking_config("claude-sonnet-4-6", budget) == {
        "type": "enabled",
        "budget_tokens": 2000,
        "display": "summarized",
    }
    adaptive = Settings(thinking=True, thinking_mode="adaptive", thinking_display="omitted")
    omitted = {"type": "adaptive", "display": "omitted"}
    assert thinking_config("claude-haiku-4-5", adaptive) == omitted
    # "default" sends no display at all: the model's own default.
    assert thinking_config("claude-sonnet-4-6", replace(adaptive, thinking_display="default")) == {
        "type": "adaptive"
    }


def test_the_budget_always_stays_below_max_tokens() -> None:
    settings = Settings(thinking=True, thinking_mode="budget", thinking_budget_tokens=1024)
    for answer_tokens in (1, 1024, 5000):
        message = ChatMessage("user", ("Hi",))
        request = ChatRequest((message,), "", answer_tokens, "claude-sonnet-4-6", thinking=True)
        params = message_params(request, settings)
        assert params.thinking == {
            "type": "enabled",
            "budget_tokens": 1024,
            "display": "summarized",
        }
        assert params.max_tokens == answer_tokens + 1024 > 1024


def test_bedrock_receives_thinking_in_its_body(
    settings: Settings, fake_bedrock: FakeBedrock
) -> None:
    models = ("us.anthropic.claude-sonnet-4-6", "anthropic.claude-haiku-4-5-20251001-v1:0")
    function = build_function(
        replace(
            settings,
            provider="bedrock",
            model=models[0],
            allowed_models=models,
            bedrock_region="us-east-1",
            bedrock_endpoint_url=fake_bedrock.base_url,
            thinking=True,
        )
    )
    for model in models:
        response = function(ask(thinking=True, model=model), LambdaContext.local("r", 30))
        assert read_frames(response.body)[-1]["type"] == "done"
    adaptive, budget = fake_bedrock.requests
    assert adaptive["thinking"] == {"type": "adaptive", "display": "summarized"}
    assert budget["thinking"] == {"type": "enabled", "budget_tokens": 4096, "display": "summarized"}
    assert adaptive["max_tokens"] == budget["max_tokens"] == 300 + 4096
    assert "tools" not in adaptive and "tools" not in budget
    assert fake_bedrock.models == list(models)
