"""Everything Claude streams reaches the page, block by block, through the real SDK and the fake
wire server: thinking, server tool calls and results, citations, refusals, paused turns."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest

from stream_chat.answer.continuation import MAX_CONTINUATIONS, output_cap
from stream_chat.chat_request import ChatRequest
from tests.fakes import anthropic_blocks as blocks
from tests.fakes.anthropic_blocks import SIGNATURE, Block
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.function.conftest import Invoke, chat_event, user

QUERY = {"query": "große Städte — 東京 weather"}
URL = "https://example.com/weather"
FEATURES = {"thinking": True, "web_search": True}


def ask(invoke: Invoke, **overrides: Any) -> list[dict[str, Any]]:
    body = {**user("What is the weather?"), "thinking": True, "search": True}
    _, frames = invoke(chat_event(body), **{**FEATURES, **overrides})
    return frames


def content(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in frames if f["type"] not in ("start", "usage", "done")]


def search_turn() -> tuple[Block, ...]:
    return (
        blocks.thinking("The user wants ", "the weather — ", "let me search."),
        blocks.text("Let me search."),
        # The input JSON cut inside a string token, inside a multi-byte character and mid-key.
        blocks.server_tool("srvtoolu_1", "web_search", *blocks.split_json(QUERY, 3, 14, 27)),
        blocks.search_results("srvtoolu_1", (URL, "Weather today"), ("https://example.org/", None)),
        blocks.cited_text(URL, "Weather today", "Sunny, 21 °C.", "It is ", "sunny ☀️."),
        blocks.text(" Enjoy."),
    )


def test_thinking_a_search_and_cited_text_arrive_in_stream_order(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.enqueue(
        Reply(
            blocks=search_turn(),
            output_tokens=9,
            server_tool_use={"web_search_requests": 1},
            chunk_bytes=7,
        )
    )
    frames = ask(invoke)
    assert content(frames) == [
        {"type": "thinking", "text": "The user wants "},
        {"type": "thinking", "text": "the weather — "},
        {"type": "thinking", "text": "let me search."},
        {"type": "text", "text": "Let me search."},
        {"type": "tool", "id": "srvtoolu_1", "name": "web_search", "input": QUERY},
        {
            "type": "tool_result",
            "tool_use_id": "srvtoolu_1",
            "results": [
                {"url": URL, "title": "Weather today"},
                {"url": "https://example.org/", "title": "https://example.org/"},
            ],
        },
        {"type": "citation", "url": URL, "title": "Weather today", "cited_text": "Sunny, 21 °C."},
        {"type": "text", "text": "It is "},
        {"type": "text", "text": "sunny ☀️."},
        {"type": "text", "text": " Enjoy."},
    ]
    usage = frames[-2]
    assert usage["stop_reason"] == "end_turn" and usage["web_search_requests"] == 1
    # 12 × $3 + 9 × $15 per million tokens, and one search at $10 per 1,000.
    assert usage["cost_usd"] == round((12 * 3 + 9 * 15) / 1e6 + 0.01, 6)
    assert frames[-1] == {"type": "done", "stop_reason": "end_turn"}
    assert SIGNATURE not in str(frames)  # the signature stays on the server


def test_no_block_is_dropped_or_reordered_whatever_the_interleaving(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    rng = random.Random(22)
    for _ in range(4):
        turn = [*search_turn(), blocks.redacted_thinking(), blocks.thinking("más")]
        rng.shuffle(turn)
        fake_anthropic.enqueue(Reply(blocks=tuple(turn), chunk_bytes=rng.randint(1, 40)))
        expected = [frame for block in turn for frame in expected_frames(block)]
        assert content(ask(invoke)) == expected


def expected_frames(block: Block) -> list[dict[str, Any]]:
    """The frames one block gives, in order (what the page must receive for it)."""
    kind = block.start["type"]
    if kind == "redacted_thinking":
        return [{"type": "thinking", "redacted": True}]
    if kind == "server_tool_use":
        joined = "".join(d["partial_json"] for d in block.deltas)
        return [{"type": "tool", "id": block.start["id"], "name": "web_search", "input": QUERY}] * (
            joined != ""
        )
    if kind == "web_search_tool_result":
        results = [
            {"url": r["url"], "title": r["title"] or r["url"]} for r in block.start["content"]
        ]
        return [
            {"type": "tool_result", "tool_use_id": block.start["tool_use_id"], "results": results}
        ]
    frames = []
    for delta in block.deltas:
        if delta["type"] == "thinking_delta":
            frames.append({"type": "thinking", "text": delta["thinking"]})
        elif delta["type"] == "text_delta":
            frames.append({"type": "text", "text": delta["text"]})
        elif delta["type"] == "citations_delta":
            c = delta["citation"]
            frames.append(
                {
                    "type": "citation",
                    "url": c["url"],
                    "title": c["title"],
                    "cited_text": c["cited_text"],
                }
            )
    return frames


def test_a_failed_search_and_a_fetched_page_are_tool_results(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.enqueue(
        Reply(
            blocks=(
                blocks.server_tool("srvtoolu_1", "web_search", '{"query": "x"}'),
                blocks.search_error("srvtoolu_1", "max_uses_exceeded"),
                blocks.server_tool("srvtoolu_2", "web_fetch", '{"url": "', URL, '"}'),
                blocks.fetch_result("srvtoolu_2", URL, None),
                blocks.text("Done."),
            ),
            server_tool_use={"web_search_requests": 1, "web_fetch_requests": 1},
        )
    )
    frames = ask(invoke, web_fetch=True)
    assert content(frames)[:4] == [
        {"type": "tool", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "x"}},
        {"type": "tool_result", "tool_use_id": "srvtoolu_1", "error_code": "max_uses_exceeded"},
        {"type": "tool", "id": "srvtoolu_2", "name": "web_fetch", "input": {"url": URL}},
        {
            "type": "tool_result",
            "tool_use_id": "srvtoolu_2",
            "results": [{"url": URL, "title": URL}],
        },
    ]
    assert frames[-2]["web_fetch_requests"] == 1


def test_a_refusal_is_a_refusal_frame_before_usage(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    details = {"type": "refusal", "category": "cyber", "explanation": "Not this one."}
    fake_anthropic.enqueue(Reply(texts=[], stop_reason="refusal", stop_details=details))
    _, frames = invoke(chat_event(user()))
    assert [f["type"] for f in frames] == ["start", "refusal", "usage", "done"]
    assert frames[1] == {"type": "refusal", "category": "cyber", "explanation": "Not this one."}
    assert frames[2]["stop_reason"] == "refusal" and frames[3]["stop_reason"] == "refusal"


def test_a_refusal_without_details_still_says_so(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.enqueue(Reply(texts=["I "], stop_reason="refusal"))
    _, frames = invoke(chat_event(user()))
    assert [f["type"] for f in frames] == ["start", "text", "refusal", "usage", "done"]
    assert frames[2] == {"type": "refusal"}


@pytest.mark.parametrize("stop_reason", ["max_tokens", "model_context_window_exceeded"])
def test_a_stop_reason_reaches_usage_and_done(
    invoke: Invoke, fake_anthropic: FakeAnthropic, stop_reason: str
) -> None:
    fake_anthropic.enqueue(Reply(texts=["cut"], stop_reason=stop_reason))
    _, frames = invoke(chat_event(user()))
    assert [f["type"] for f in frames] == ["start", "text", "usage", "done"]
    assert frames[2]["stop_reason"] == stop_reason == frames[3]["stop_reason"]


def test_a_paused_turn_is_continued_in_the_same_answer(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    first = search_turn()[:4]  # thinking, text, the search and its results, then the pause
    fake_anthropic.enqueue(
        Reply(
            blocks=first,
            stop_reason="pause_turn",
            output_tokens=6,
            server_tool_use={"web_search_requests": 1},
        ),
        Reply(blocks=(blocks.text("Sunny."),), input_tokens=30, output_tokens=2),
    )
    frames = ask(invoke)
    texts = [f.get("text") for f in content(frames) if f["type"] == "text"]
    assert texts == ["Let me search.", "Sunny."]
    assert [f["type"] for f in frames].count("start") == 1
    usage = frames[-2]
    # Summed over both calls: 12 + 30 input tokens, 6 + 2 output tokens, one search.
    assert (usage["input_tokens"], usage["output_tokens"]) == (42, 8)
    assert usage["web_search_requests"] == 1 and usage["stop_reason"] == "end_turn"
    assert frames[-1] == {"type": "done", "stop_reason": "end_turn"}
    first_request, continuation = fake_anthropic.requests
    assert continuation["thinking"] == first_request["thinking"]
    assert continuation["tools"] == first_request["tools"]
    assert continuation["messages"][:-1] == first_request["messages"]
    paused = continuation["messages"][-1]
    assert paused["role"] == "assistant"
    assert [b["type"] for b in paused["content"]] == [
        "thinking",
        "text",
        "server_tool_use",
        "web_search_tool_result",
    ]
    assert paused["content"][0]["signature"] == SIGNATURE
    assert paused["content"][0]["thinking"] == "The user wants the weather — let me search."
    assert paused["content"][2] == {
        "type": "server_tool_use",
        "id": "srvtoolu_1",
        "name": "web_search",
        "input": QUERY,
    }
    assert paused["content"][3] == first[3].start


def test_continuations_are_bounded_and_the_last_pause_is_the_stop_reason(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    pause = Reply(blocks=(blocks.text("more "),), stop_reason="pause_turn")
    fake_anthropic.enqueue(*[pause] * (MAX_CONTINUATIONS + 2))
    frames = ask(invoke)
    assert len(fake_anthropic.requests) == MAX_CONTINUATIONS + 1
    assert [f["text"] for f in content(frames)] == ["more "] * (MAX_CONTINUATIONS + 1)
    assert frames[-2]["stop_reason"] == "pause_turn" == frames[-1]["stop_reason"]
    # Each continuation carries the whole turn so far.
    last = fake_anthropic.requests[-1]["messages"][-1]["content"]
    assert last == [{"type": "text", "text": "more "}] * MAX_CONTINUATIONS


def test_a_tool_input_that_is_not_json_is_a_protocol_error(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.enqueue(
        Reply(blocks=(blocks.server_tool("srvtoolu_1", "web_search", '{"query": "x'),))
    )
    frames = ask(invoke, provider_attempts=1)
    assert [f["type"] for f in frames] == ["start", "error", "usage", "done"]
    assert frames[1]["code"] == "provider_protocol_error"


def test_a_running_server_tool_may_be_silent_longer_than_the_stall_timeout(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    searched = dataclasses.replace(blocks.search_results("srvtoolu_1", (URL, "W")), pause_s=1.2)
    fake_anthropic.enqueue(
        Reply(
            blocks=(
                blocks.server_tool("srvtoolu_1", "web_search", '{"query": "x"}'),
                searched,
                blocks.text("Found."),
            ),
            ping_every_s=0.1,
        )
    )
    frames = ask(invoke, stall_timeout_s=0.3)
    assert [f["type"] for f in frames] == ["start", "tool", "tool_result", "text", "usage", "done"]


def test_silence_with_no_tool_running_is_still_a_stall(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    late = dataclasses.replace(blocks.text("late"), pause_s=1.2)
    fake_anthropic.enqueue(Reply(blocks=(blocks.thinking("hm"), late), ping_every_s=0.1))
    frames = ask(invoke, stall_timeout_s=0.3)
    assert [f["type"] for f in frames] == ["start", "thinking", "error", "usage", "done"]
    assert frames[2]["code"] == "stall_timeout"


def test_the_output_estimate_is_capped_by_every_call_an_answer_may_make() -> None:
    asked = ChatRequest((), "", max_tokens=100, model="m")
    assert output_cap(asked, thinking_budget_tokens=2048) == 100
    thinking = dataclasses.replace(asked, thinking=True)
    assert output_cap(thinking, thinking_budget_tokens=2048) == 2148
    searching = dataclasses.replace(thinking, search=True)
    assert output_cap(searching, thinking_budget_tokens=2048) == 2148 * (1 + MAX_CONTINUATIONS)
