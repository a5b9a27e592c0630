"""Providers turn a chat request into a stream of normalised events.

A provider's ``open()`` starts the upstream request and returns an ``UpstreamStream``: iterating
it blocks on the network and yields ``TextDelta``, ``UsageReport`` and finally ``MessageEnd``;
failures are raised as ``stream_chat.errors`` types. ``abort()`` may be called from another
thread and must end the upstream request at once (closing its connection stops generation and
billing); ``close()`` releases resources and is called by the thread that iterates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from stream_chat.budget import Budget
    from stream_chat.chat_request import ChatRequest
    from stream_chat.settings import Settings


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class UsageReport:
    """Cumulative token counts as last reported by the provider (None: not reported yet)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


@dataclass(frozen=True)
class MessageEnd:
    stop_reason: str


ProviderEvent = TextDelta | UsageReport | MessageEnd


class UpstreamStream(Protocol):
    request_id: str | None

    def __iter__(self) -> Iterator[ProviderEvent]: ...

    def abort(self) -> None: ...

    def close(self) -> None: ...


class Provider(Protocol):
    def model_label(self, request: ChatRequest) -> str: ...

    def open(self, request: ChatRequest, budget: Budget) -> UpstreamStream: ...


def make_provider(settings: Settings) -> Provider:
    """The configured provider; its SDK and clients are imported and built here, at init."""
    if settings.provider == "anthropic":
        from stream_chat.providers.anthropic import AnthropicProvider

        return AnthropicProvider.from_settings(settings)
    if settings.provider == "bedrock":
        from stream_chat.providers.bedrock import BedrockProvider

        return BedrockProvider.from_settings(settings)
    from stream_chat.providers.demo import DemoProvider

    return DemoProvider(token_delay_s=settings.demo_token_delay_s)


__all__ = [
    "MessageEnd",
    "Provider",
    "ProviderEvent",
    "TextDelta",
    "UpstreamStream",
    "UsageReport",
    "make_provider",
]
