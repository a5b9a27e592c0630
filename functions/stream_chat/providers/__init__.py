"""Providers turn a chat request into a stream of normalised events (``providers.events``).

``open()`` prepares one upstream request and returns its ``ProviderCall`` without touching
the network, so the request can be aborted at every moment, even before it is sent. ``paused``
is the content of a turn the model paused (``pause_turn``): the request continues it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stream_chat.chat_request import ChatRequest
    from stream_chat.deadline import Deadline
    from stream_chat.providers.events import ProviderCall
    from stream_chat.settings import Settings


class Provider(Protocol):
    def model_label(self, request: ChatRequest) -> str: ...

    def open(
        self, request: ChatRequest, deadline: Deadline, paused: Sequence[dict[str, Any]] = ()
    ) -> ProviderCall: ...


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


__all__ = ["Provider", "make_provider"]
