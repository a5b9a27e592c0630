"""Frame types are defined once (``stream_chat.protocol.frames``): the protocol document and the
web client's event types must list exactly those types, with the same required and optional
fields, and the JSON each frame becomes follows the document's rules. (Every producer builds
frames through these types: ``sse.encode_frames`` takes nothing else, which mypy checks.)"""

from __future__ import annotations

import re
import typing
from pathlib import Path

from stream_chat.protocol.frames import (
    FRAME_TYPES,
    Done,
    Error,
    Frame,
    Refusal,
    Start,
    Text,
    Thinking,
    ToolResult,
    Usage,
    fields_of,
)
from tests.support.web_module import exported

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| `(?P<type>[a-z_]+)` \|(?P<required>[^|]*)\|(?P<optional>[^|]*)\|")
JS_TYPES = {str: "string", int: "number", float: "number", bool: "boolean", dict: "object"}


def names(cell: str) -> list[str]:
    """The field names a cell lists: backticked words outside parentheses."""
    return re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", cell))


def documented_frames() -> dict[str, tuple[list[str], list[str]]]:
    text = (ROOT / "docs" / "protocol.md").read_text()
    section = text.split("\n## Response stream\n", 1)[1].split("\n## ", 1)[0]
    rows = [ROW.match(line) for line in section.splitlines() if line.startswith("| `")]
    assert rows and all(rows), "every row names a type, its fields and its optional fields"
    return {row["type"]: (names(row["required"]), names(row["optional"])) for row in rows if row}


def web_required() -> dict[str, dict[str, str]]:
    required: dict[str, dict[str, str]] = exported("protocol-events.js", "REQUIRED")
    return required


def js_type(frame_type: type[Frame], name: str) -> str:
    hint = typing.get_type_hints(frame_type)[name]
    return JS_TYPES[typing.get_origin(hint) or hint]


def test_the_protocol_document_lists_exactly_the_frame_types_and_their_fields() -> None:
    assert documented_frames() == {t.kind: fields_of(t) for t in FRAME_TYPES}


def test_the_web_client_checks_exactly_the_required_fields_with_their_json_types() -> None:
    expected = {t.kind: {name: js_type(t, name) for name in fields_of(t)[0]} for t in FRAME_TYPES}
    assert web_required() == expected


def test_a_frame_is_its_type_first_then_its_fields_and_never_a_null() -> None:
    assert Start("s", "m").data() == {"type": "start", "stream_id": "s", "model": "m"}
    assert list(Text("hi").data()) == ["type", "text"]
    assert Usage(3, 4).data() == {"type": "usage", "input_tokens": 3, "output_tokens": 4}
    zero_cache = Usage(3, 4, cache_read_input_tokens=0, estimated=True, cost_usd=0.0).data()
    assert zero_cache == {
        "type": "usage",
        "input_tokens": 3,
        "output_tokens": 4,
        "cache_read_input_tokens": 0,  # reported as zero: kept, unlike a count not reported
        "estimated": True,
        "cost_usd": 0.0,
    }
    assert Error("deadline", "late", True).data() == {
        "type": "error",
        "code": "deadline",
        "message": "late",
        "retryable": True,
    }
    assert Done("end_turn").data() == {"type": "done", "stop_reason": "end_turn"}


def test_the_v2_frames_leave_out_what_they_do_not_carry() -> None:
    assert Thinking(text="hm").data() == {"type": "thinking", "text": "hm"}
    assert Thinking(redacted=True).data() == {"type": "thinking", "redacted": True}
    assert ToolResult("t1", error_code="unavailable").data() == {
        "type": "tool_result",
        "tool_use_id": "t1",
        "error_code": "unavailable",
    }
    assert ToolResult("t1", results=[]).data() == {
        "type": "tool_result",
        "tool_use_id": "t1",
        "results": [],  # a search that found nothing: an empty list, not an absent field
    }
    assert Refusal().data() == {"type": "refusal"}
    assert Usage(1, 2, stop_reason="pause_turn", web_search_requests=0).data() == {
        "type": "usage",
        "input_tokens": 1,
        "output_tokens": 2,
        "stop_reason": "pause_turn",
        "web_search_requests": 0,
    }
