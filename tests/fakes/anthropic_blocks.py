"""Content blocks a fake Messages stream can play: each block as it starts and its deltas.

``Reply(blocks=...)`` plays them in order, one index each, with the deltas as given (a tool's
input JSON in the fragments given, cut wherever a test wants). The builders give the wire shapes
of the Messages API's streaming documentation.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Block:
    start: dict[str, Any]  # the content_block of content_block_start
    deltas: tuple[dict[str, Any], ...] = ()
    pause_s: float = 0.0  # silence before the block starts (pings only, if the reply sends them)


def text(*pieces: str) -> Block:
    return Block({"type": "text", "text": ""}, tuple(_text(p) for p in pieces))


def cited_text(url: str, title: str | None, cited: str, *pieces: str) -> Block:
    """A text block whose citation (a web search result location) comes before its text."""
    citation = {
        "type": "web_search_result_location",
        "url": url,
        "title": title,
        "cited_text": cited,
        "encrypted_index": "EqgfCioI" + url[-4:],
    }
    deltas = ({"type": "citations_delta", "citation": citation}, *(_text(p) for p in pieces))
    return Block({"type": "text", "text": "", "citations": []}, deltas)


SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pk"


def thinking(*pieces: str, signature: str = SIGNATURE) -> Block:
    deltas = tuple({"type": "thinking_delta", "thinking": p} for p in pieces)
    half = len(signature) // 2  # a signature may come in more than one delta
    signed = (
        {"type": "signature_delta", "signature": signature[:half]},
        {"type": "signature_delta", "signature": signature[half:]},
    )
    return Block({"type": "thinking", "thinking": "", "signature": ""}, deltas + signed)


def redacted_thinking(data: str = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIw") -> Block:
    return Block({"type": "redacted_thinking", "data": data})


def server_tool(tool_id: str, name: str, *fragments: str) -> Block:
    """A server tool's call; its input JSON arrives in ``fragments``, cut where they are."""
    start = {"type": "server_tool_use", "id": tool_id, "name": name, "input": {}}
    return Block(start, tuple({"type": "input_json_delta", "partial_json": f} for f in fragments))


def split_json(value: dict[str, Any], *cuts: int) -> tuple[str, ...]:
    """``value`` as JSON, cut at the given character offsets (inside tokens, if they fall there)."""
    encoded = json.dumps(value, ensure_ascii=False)
    bounds = [0, *cuts, len(encoded)]
    return tuple(encoded[a:b] for a, b in itertools.pairwise(bounds))


def search_results(tool_use_id: str, *results: tuple[str, str | None]) -> Block:
    content = [
        {
            "type": "web_search_result",
            "url": url,
            "title": title,
            "encrypted_content": "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5LTQ1NGUtODgxNC1kNjNjNTk1ZWI3Y",
            "page_age": "April 30, 2025",
        }
        for url, title in results
    ]
    return Block({"type": "web_search_tool_result", "tool_use_id": tool_use_id, "content": content})


def search_error(tool_use_id: str, error_code: str) -> Block:
    content = {"type": "web_search_tool_result_error", "error_code": error_code}
    return Block({"type": "web_search_tool_result", "tool_use_id": tool_use_id, "content": content})


def fetch_result(tool_use_id: str, url: str, title: str | None) -> Block:
    document = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "The page's text."},
        "title": title,
        "citations": {"enabled": True},
    }
    content = {
        "type": "web_fetch_result",
        "url": url,
        "content": document,
        "retrieved_at": "2025-08-25T10:30:00Z",
    }
    return Block({"type": "web_fetch_tool_result", "tool_use_id": tool_use_id, "content": content})


def _text(piece: str) -> dict[str, Any]:
    return {"type": "text_delta", "text": piece}
