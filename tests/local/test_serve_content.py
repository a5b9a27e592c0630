"""Through ``serve``: thinking, a web search and cited text arrive as their frames in stream
order; a refusal arrives as a ``refusal`` frame; a paused turn continues in the same stream."""

from __future__ import annotations

from typing import Any

from tests.fakes import anthropic_blocks as blocks
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.local.conftest import StartServe
from tests.support.protocol import ProtocolReader, types_of

ASK = {"messages": [{"role": "user", "content": "weather?"}], "thinking": True, "search": True}
URL = "https://example.com/weather"
SEARCH_TURN = (
    blocks.thinking("Search ", "first."),
    blocks.text("Let me search."),
    blocks.server_tool("srvtoolu_1", "web_search", *blocks.split_json({"query": "weather"}, 5)),
    blocks.search_results("srvtoolu_1", (URL, "Weather")),
    blocks.cited_text(URL, "Weather", "Sunny.", "It is ", "sunny."),
)


def stream(serve: Any, body: dict[str, Any]) -> list[dict[str, Any]]:
    client = serve.request("POST", "/api/chat/stream", body, timeout=30)
    assert client.head()[0] == 200
    reader = ProtocolReader()
    for chunk in client.chunks():
        reader.feed(chunk)
    reader.close()
    client.close()
    return reader.frames


def test_thinking_search_citations_refusal_and_a_paused_turn(start_serve: StartServe) -> None:
    with FakeAnthropic() as fake:
        fake.enqueue(
            Reply(blocks=SEARCH_TURN, server_tool_use={"web_search_requests": 1}, chunk_bytes=5),
            Reply(texts=[], stop_reason="refusal", stop_details={"category": "cyber"}),
            Reply(blocks=SEARCH_TURN[:4], stop_reason="pause_turn"),
            Reply(blocks=(blocks.text("Sunny."),)),
        )
        serve = start_serve(
            ANTHROPIC_BASE_URL=fake.base_url,
            ANTHROPIC_API_KEY=fake.api_key,
            STREAM_CHAT_THINKING="true",
            STREAM_CHAT_WEB_SEARCH="true",
        )
        searched = stream(serve, ASK)
        refused = stream(serve, ASK)
        paused = stream(serve, ASK)
    assert types_of(searched) == [
        "start",
        *["thinking"] * 2,
        "text",
        "tool",
        "tool_result",
        "citation",
        "text",
        "text",
        "usage",
        "done",
    ]
    assert searched[4]["input"] == {"query": "weather"}
    assert searched[6] == {
        "type": "citation",
        "url": URL,
        "title": "Weather",
        "cited_text": "Sunny.",
    }
    assert searched[-2]["stop_reason"] == "end_turn" and searched[-2]["web_search_requests"] == 1
    assert types_of(refused) == ["start", "refusal", "usage", "done"]
    assert refused[1] == {"type": "refusal", "category": "cyber"}
    assert types_of(paused)[-3:] == ["text", "usage", "done"]
    assert [f["text"] for f in paused if f["type"] == "text"] == ["Let me search.", "Sunny."]
    assert paused[-1]["stop_reason"] == "end_turn"
    assert fake.requests[-1]["messages"][-1]["role"] == "assistant"


def test_the_demo_model_shows_thinking_and_a_search_with_its_source(
    start_serve: StartServe,
) -> None:
    serve = start_serve(STREAM_CHAT_DEMO_TOKEN_DELAY_S="0")  # no key: the offline model
    frames = stream(serve, ASK)
    kinds = types_of(frames)
    assert kinds[1] == "thinking" and kinds[-2:] == ["usage", "done"]
    steps = [k for k in kinds if k in ("tool", "tool_result", "citation")]
    assert steps == ["tool", "tool_result", "citation"]
    assert kinds.index("citation") < len(kinds) - 1 - kinds[::-1].index("text")
    (tool,) = [f for f in frames if f["type"] == "tool"]
    assert tool["name"] == "web_search" and tool["input"] == {"query": "weather?"}
    (result,) = [f for f in frames if f["type"] == "tool_result"]
    assert result["results"][0]["url"].startswith("https://example.com/")
    assert frames[-2]["web_search_requests"] == 1 and frames[-1]["stop_reason"] == "end_turn"
