"""What a provider's stream yields: normalised events, and the stream's own contract.

Iterating an ``ProviderCall`` sends the request and blocks on the network; it yields content
events (``CONTENT``: text, thinking, a server tool's call and result, a citation) in stream order,
``UsageUpdate`` and finally ``MessageEnd``, and raises ``stream_chat.errors`` types. ``content()``
is then the turn's content blocks in the Messages API's request shape (signatures included),
which continue a turn that paused. ``abort()`` may be called from any thread at any moment
(before the request is sent, while waiting for the response head, mid-stream) and ends the
upstream request at once: closing its connection stops generation and billing. ``close()``
releases resources and is called by the thread that iterates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ThinkingDelta:
    text: str


@dataclass(frozen=True)
class RedactedThinking:
    """A thinking block the provider encrypted: there is nothing to show but its presence."""


@dataclass(frozen=True)
class ToolCall:
    """A server tool's call, once its input is complete."""

    id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Source:
    url: str
    title: str


@dataclass(frozen=True)
class ToolResult:
    """A server tool's result: the sources it found, or the error code it failed with."""

    tool_use_id: str
    results: tuple[Source, ...] | None = None
    error_code: str | None = None


@dataclass(frozen=True)
class Citation:
    url: str
    title: str
    cited_text: str


@dataclass(frozen=True)
class UsageUpdate:
    """Cumulative counts as last reported by the provider (None: not reported yet)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    web_search_requests: int | None = None
    web_fetch_requests: int | None = None


@dataclass(frozen=True)
class StopDetails:
    """Why the model stopped, when it says more than the stop reason (a refusal's category)."""

    category: str | None = None
    explanation: str | None = None


@dataclass(frozen=True)
class MessageEnd:
    """The answer is complete: nothing is left to generate or bill."""

    stop_reason: str
    details: StopDetails | None = None


ContentEvent = TextDelta | ThinkingDelta | RedactedThinking | ToolCall | ToolResult | Citation
CONTENT = (TextDelta, ThinkingDelta, RedactedThinking, ToolCall, ToolResult, Citation)
ProviderEvent = ContentEvent | UsageUpdate | MessageEnd


class ProviderCall(Protocol):
    request_id: str | None  # the provider's id, once its response head has arrived

    def __iter__(self) -> Iterator[ProviderEvent]: ...

    def content(self) -> list[dict[str, Any]]: ...

    def abort(self) -> None: ...

    def close(self) -> None: ...
