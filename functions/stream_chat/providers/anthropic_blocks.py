"""One Messages stream, read event by event, with each content block's state kept by index.

A block streams in pieces: a server tool's input as ``input_json_delta`` fragments, cut anywhere
(inside a JSON token, or a character escaped in it), parsed once its block stops; a thinking block's
``signature_delta``, kept and never sent on. ``content()`` is the turn so far in the request's
shape (thinking with its signature, redacted thinking, tool calls and results, text with its
citations): a ``pause_turn`` is continued by sending it back as the assistant's message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from stream_chat.errors import ProviderProtocolError
from stream_chat.providers import anthropic_events as read
from stream_chat.providers.anthropic_errors import MALFORMED
from stream_chat.providers.events import (
    ProviderEvent,
    RedactedThinking,
    StopDetails,
    TextDelta,
    ThinkingDelta,
    ToolCall,
)

TOOL_RESULTS = frozenset({"web_search_tool_result", "web_fetch_tool_result"})
# Which delta each block type takes (others are refused as malformed).
DELTAS = {
    "text": {"text_delta", "citations_delta"},
    "thinking": {"thinking_delta", "signature_delta"},
    "server_tool_use": {"input_json_delta"},
}


@dataclass
class Block:
    kind: str
    start: Any  # the block as it started (``raw``)
    parts: list[str] = field(default_factory=list)  # text, thinking or input JSON
    signature: list[str] = field(default_factory=list)
    citations: list[Any] = field(default_factory=list)
    stopped: bool = False

    def param(self) -> dict[str, Any]:
        """The block as a request's assistant content carries it."""
        text = "".join(self.parts)
        if self.kind == "text":
            block: dict[str, Any] = {"type": "text", "text": text}
            if self.citations:
                block["citations"] = self.citations
            return block
        if self.kind == "thinking":
            return {"type": "thinking", "thinking": text, "signature": "".join(self.signature)}
        if self.kind == "server_tool_use":
            start = self.start
            return {**start, "input": _input(text, start)}
        return dict(self.start)  # redacted thinking, tool results: sent back as they came


class BlockReader:
    def __init__(self) -> None:
        self._blocks: dict[int, Block] = {}
        self.stop_reason = "end_turn"
        self.details: StopDetails | None = None

    def read(self, event: Any, kind: str) -> Iterator[ProviderEvent]:
        """The normalised events an event of type ``kind`` carries, if any."""
        if kind == "content_block_start":
            yield from self._started(event)
        elif kind == "content_block_delta":
            yield from self._delta(event)
        elif kind == "content_block_stop":
            yield from self._stopped(self._block(event))
        elif kind == "message_start":
            yield read.usage_of(read.field(read.field(event, "message", object), "usage", object))
        elif kind == "message_delta":
            delta = read.field(event, "delta", object)
            self.stop_reason = read.optional(delta, "stop_reason", str) or self.stop_reason
            self.details = read.stop_details_of(delta) or self.details
            yield read.usage_of(read.field(event, "usage", object))

    def content(self) -> list[dict[str, Any]]:
        """The turn's complete blocks, in order, as a request carries them."""
        return [b.param() for _, b in sorted(self._blocks.items()) if b.stopped]

    def _started(self, event: Any) -> Iterator[ProviderEvent]:
        index = read.field(event, "index", int)
        start = read.field(event, "content_block", object)
        kind = read.field(start, "type", str)
        if index in self._blocks:
            raise ProviderProtocolError(MALFORMED)
        block = self._blocks[index] = Block(kind, read.raw(start))
        if kind == "text" and (text := read.optional(start, "text", str)):
            block.parts.append(text)
            yield TextDelta(text)
        elif kind == "thinking" and (thinking := read.optional(start, "thinking", str)):
            block.parts.append(thinking)
            yield ThinkingDelta(thinking)
        elif kind == "redacted_thinking":
            read.field(start, "data", str)
            yield RedactedThinking()
        elif kind == "server_tool_use":
            read.field(start, "id", str)  # checked now: the call is built from them at its stop
            read.field(start, "name", str)
        elif kind in TOOL_RESULTS:
            yield read.tool_result_of(start)

    def _delta(self, event: Any) -> Iterator[ProviderEvent]:
        block = self._block(event)
        delta = read.field(event, "delta", object)
        kind = read.field(delta, "type", str)
        if block.stopped or kind not in DELTAS.get(block.kind, ()):
            raise ProviderProtocolError(MALFORMED)
        if kind == "text_delta":
            block.parts.append(text := read.field(delta, "text", str))
            yield TextDelta(text)
        elif kind == "thinking_delta":
            block.parts.append(thinking := read.field(delta, "thinking", str))
            yield ThinkingDelta(thinking)
        elif kind == "signature_delta":
            block.signature.append(read.field(delta, "signature", str))
        elif kind == "input_json_delta":
            block.parts.append(read.field(delta, "partial_json", str))
        else:  # citations_delta
            citation = read.field(delta, "citation", object)
            block.citations.append(read.raw(citation))
            if (cited := read.citation_of(citation)) is not None:
                yield cited

    def _stopped(self, block: Block) -> Iterator[ProviderEvent]:
        if block.stopped:
            raise ProviderProtocolError(MALFORMED)
        block.stopped = True
        if block.kind == "server_tool_use":
            start = block.start
            yield ToolCall(start["id"], start["name"], _input("".join(block.parts), start))

    def _block(self, event: Any) -> Block:
        block = self._blocks.get(read.field(event, "index", int))
        if block is None:
            raise ProviderProtocolError(MALFORMED)
        return block


def _input(partial_json: str, start: dict[str, Any]) -> dict[str, Any]:
    """A tool's input: its fragments joined, else the input its block started with."""
    try:
        value = json.loads(partial_json) if partial_json else start.get("input", {})
    except ValueError as exc:
        raise ProviderProtocolError(MALFORMED) from exc
    if not isinstance(value, dict):
        raise ProviderProtocolError(MALFORMED)
    return value
