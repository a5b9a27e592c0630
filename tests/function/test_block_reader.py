"""The Messages stream reader, event by event: each block type, input JSON cut anywhere, the
turn's content kept for a continuation, and malformed events refused as protocol errors."""

from __future__ import annotations

from typing import Any

import pytest

from stream_chat.errors import ProviderProtocolError
from stream_chat.providers.anthropic_blocks import BlockReader
from stream_chat.providers.events import (
    Citation,
    ProviderEvent,
    RedactedThinking,
    Source,
    StopDetails,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolResult,
    UsageUpdate,
)
from tests.fakes import anthropic_blocks as blocks
from tests.fakes.anthropic_blocks import Block

INPUT = {"query": "naïve “quoted” 東京", "n": [1, 2.5, True, None]}


def events(*turn: Block) -> list[dict[str, Any]]:
    """The stream events of ``turn``'s blocks, as the wire carries them."""
    out: list[dict[str, Any]] = []
    for index, block in enumerate(turn):
        out.append({"type": "content_block_start", "index": index, "content_block": block.start})
        out += [{"type": "content_block_delta", "index": index, "delta": d} for d in block.deltas]
        out.append({"type": "content_block_stop", "index": index})
    return out


def read(reader: BlockReader, stream: list[dict[str, Any]]) -> list[ProviderEvent]:
    return [event for raw in stream for event in reader.read(raw, raw["type"])]


@pytest.mark.parametrize("cut", range(1, 40))
def test_a_tool_input_cut_anywhere_is_joined_and_parsed_at_its_stop(cut: int) -> None:
    fragments = blocks.split_json(INPUT, cut)
    reader = BlockReader()
    stream = events(blocks.server_tool("srvtoolu_1", "web_search", *fragments))
    assert read(reader, stream[:-1]) == []  # nothing until the block stops
    assert read(reader, stream[-1:]) == [ToolCall("srvtoolu_1", "web_search", INPUT)]


def test_each_block_type_gives_its_events_and_the_turn_keeps_its_blocks() -> None:
    turn = (
        blocks.thinking("a", "b", signature="sig-123"),
        blocks.redacted_thinking("opaque"),
        blocks.server_tool("t1", "web_search", '{"query":', ' "x"}'),
        blocks.search_results("t1", ("https://a.example/", "A"), ("https://b.example/", None)),
        blocks.cited_text("https://a.example/", None, "quoted", "Hi"),
        blocks.fetch_result("t2", "https://c.example/", "C"),
    )
    reader = BlockReader()
    assert read(reader, events(*turn)) == [
        ThinkingDelta("a"),
        ThinkingDelta("b"),
        RedactedThinking(),
        ToolCall("t1", "web_search", {"query": "x"}),
        ToolResult(
            "t1",
            results=(
                Source("https://a.example/", "A"),
                Source("https://b.example/", "https://b.example/"),
            ),
        ),
        Citation("https://a.example/", "https://a.example/", "quoted"),
        TextDelta("Hi"),
        ToolResult("t2", results=(Source("https://c.example/", "C"),)),
    ]
    content = reader.content()
    assert content[0] == {"type": "thinking", "thinking": "ab", "signature": "sig-123"}
    assert content[1] == {"type": "redacted_thinking", "data": "opaque"}
    assert content[2] == {
        "type": "server_tool_use",
        "id": "t1",
        "name": "web_search",
        "input": {"query": "x"},
    }
    assert content[3] == turn[3].start and content[5] == turn[5].start
    assert content[4] == {
        "type": "text",
        "text": "Hi",
        "citations": [turn[4].deltas[0]["citation"]],
    }


def test_a_citation_without_a_url_is_kept_for_the_turn_but_not_shown() -> None:
    location = {"type": "char_location", "cited_text": "x", "document_index": 0}
    block = Block(
        {"type": "text", "text": ""}, ({"type": "citations_delta", "citation": location},)
    )
    reader = BlockReader()
    assert read(reader, events(block)) == []
    assert reader.content() == [{"type": "text", "text": "", "citations": [location]}]


def test_the_stop_reason_its_details_and_server_tool_usage_are_read() -> None:
    reader = BlockReader()
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "refusal", "stop_details": {"type": "refusal", "category": "bio"}},
        "usage": {"output_tokens": 3, "server_tool_use": {"web_search_requests": 2}},
    }
    assert read(reader, [delta]) == [UsageUpdate(output_tokens=3, web_search_requests=2)]
    assert (reader.stop_reason, reader.details) == ("refusal", StopDetails("bio", None))


def test_a_block_not_stopped_is_not_part_of_the_turn() -> None:
    reader = BlockReader()
    read(reader, events(blocks.text("done"))[:2])  # started, one delta, no stop
    assert reader.content() == []


START = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
TOOL = {
    "type": "content_block_start",
    "index": 0,
    "content_block": {"type": "server_tool_use", "id": "t", "name": "web_search", "input": {}},
}


def delta(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": 0, "delta": {"type": kind, **fields}}


STOP = {"type": "content_block_stop", "index": 0}


@pytest.mark.parametrize(
    "stream",
    [
        [delta("text_delta", text="no block")],
        [START, START],
        [START, delta("text_delta", text=5)],
        [START, delta("thinking_delta", thinking="wrong block")],
        [START, STOP, delta("text_delta", text="after its stop")],
        [START, STOP, STOP],
        [START, delta("citations_delta", citation={"url": 7})],
        [TOOL, delta("input_json_delta", partial_json='{"query": "x'), STOP],
        [TOOL, delta("input_json_delta", partial_json="[1, 2]"), STOP],
        [{**START, "index": "0"}],
        [
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "redacted_thinking"},
            }
        ],
        [
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "web_search_tool_result", "tool_use_id": "t"},
            }
        ],
        [{"type": "message_delta", "delta": {"stop_reason": 1}, "usage": {}}],
        [
            {
                "type": "message_delta",
                "delta": {},
                "usage": {"server_tool_use": {"web_search_requests": -1}},
            }
        ],
    ],
)
def test_a_malformed_event_is_a_protocol_error(stream: list[dict[str, Any]]) -> None:
    with pytest.raises(ProviderProtocolError):
        read(BlockReader(), stream)
