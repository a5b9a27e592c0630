"""The frames of the wire protocol (``docs/protocol.md``, "Response stream"), one type each.

Every frame the function sends is built as one of these and turned into its JSON object by
``Frame.data()``, here and nowhere else: ``type`` first, then the fields in the order declared,
an optional field left out while it is ``None`` (or ``False``, for a flag). The protocol document
and the page's event types (``web/js/protocol-events.js``) are checked against these classes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Frame:
    """Base of the frame types; ``kind`` is the SSE event name and the JSON ``type``."""

    kind: ClassVar[str]
    optional: ClassVar[frozenset[str]] = frozenset()

    def data(self) -> dict[str, Any]:
        """The frame's JSON object."""
        data: dict[str, Any] = {"type": self.kind}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name in self.optional and (value is None or value is False):
                continue
            data[field.name] = value
        return data


@dataclass(frozen=True, slots=True)
class Start(Frame):
    """First frame: the stream's id (for Stop) and the model that answers."""

    kind = "start"
    stream_id: str
    model: str


@dataclass(frozen=True, slots=True)
class Text(Frame):
    """A piece of the answer's text, in order."""

    kind = "text"
    text: str


@dataclass(frozen=True, slots=True)
class Thinking(Frame):
    """A piece of the model's thinking, or (``redacted``) a thinking block it encrypted."""

    kind = "thinking"
    optional = frozenset({"text", "redacted"})
    text: str | None = None
    redacted: bool = False


@dataclass(frozen=True, slots=True)
class Tool(Frame):
    """A server tool's call (``web_search``, ``web_fetch``), once its input is complete."""

    kind = "tool"
    id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToolResult(Frame):
    """A server tool's result: the sources it found (``{"url", "title"}``) or its error code."""

    kind = "tool_result"
    optional = frozenset({"results", "error_code"})
    tool_use_id: str
    results: list[dict[str, str]] | None = None
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class Citation(Frame):
    """A source the text that follows cites, in stream order."""

    kind = "citation"
    url: str
    title: str
    cited_text: str


@dataclass(frozen=True, slots=True)
class Refusal(Frame):
    """The model declined to answer; ``usage`` follows."""

    kind = "refusal"
    optional = frozenset({"category", "explanation"})
    category: str | None = None
    explanation: str | None = None


@dataclass(frozen=True, slots=True)
class Usage(Frame):
    """The answer's token counts, cost and stop reason, once, before ``done``."""

    kind = "usage"
    optional = frozenset(
        {
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "estimated",
            "cost_usd",
            "stop_reason",
            "web_search_requests",
            "web_fetch_requests",
        }
    )
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    estimated: bool = False  # the provider had not reported its final count
    cost_usd: float | None = None
    stop_reason: str | None = None  # the provider's; None when the answer ended before it said
    web_search_requests: int | None = None
    web_fetch_requests: int | None = None


@dataclass(frozen=True, slots=True)
class Error(Frame):
    """A failure after the stream started; ``done`` follows."""

    kind = "error"
    optional = frozenset({"request_id"})
    code: str
    message: str
    retryable: bool  # whether the user may try again
    request_id: str | None = None  # the provider's, for support


@dataclass(frozen=True, slots=True)
class Done(Frame):
    """Always the last frame, on every path."""

    kind = "done"
    stop_reason: str


FRAME_TYPES: tuple[type[Frame], ...] = (
    Start,
    Text,
    Thinking,
    Tool,
    ToolResult,
    Citation,
    Refusal,
    Usage,
    Error,
    Done,
)


def fields_of(frame_type: type[Frame]) -> tuple[list[str], list[str]]:
    """The type's (required, optional) field names, in declared order."""
    names = [field.name for field in dataclasses.fields(frame_type)]
    return (
        [name for name in names if name not in frame_type.optional],
        [name for name in names if name in frame_type.optional],
    )
