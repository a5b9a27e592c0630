"""What a provider's stream yields: normalised events, and the stream's own contract.

Iterating an ``ProviderCall`` sends the request and blocks on the network; it yields
``TextDelta``, ``UsageUpdate`` and finally ``MessageEnd``, and raises ``stream_chat.errors``
types. ``abort()`` may be called from any thread at any moment (before the request is sent,
while waiting for the response head, mid-stream) and ends the upstream request at once: closing
its connection stops generation and billing. ``close()`` releases resources and is called by
the thread that iterates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class UsageUpdate:
    """Cumulative token counts as last reported by the provider (None: not reported yet)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


@dataclass(frozen=True)
class MessageEnd:
    """The answer is complete: nothing is left to generate or bill."""

    stop_reason: str


ProviderEvent = TextDelta | UsageUpdate | MessageEnd


class ProviderCall(Protocol):
    request_id: str | None  # the provider's id, once its response head has arrived

    def __iter__(self) -> Iterator[ProviderEvent]: ...

    def abort(self) -> None: ...

    def close(self) -> None: ...
