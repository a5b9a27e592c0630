"""The Messages API's stream events, read into the function's normalised events.

The SDK builds stream events without validating them (``construct``), so any field may hold
whatever the provider sent. Every field read here is checked: a malformed event (a delta whose
``text`` is 123, a negative token count) is the provider's protocol error, not a bug of ours.
"""

from __future__ import annotations

from typing import Any, TypeVar

from stream_chat.errors import ProviderProtocolError
from stream_chat.providers.anthropic_errors import MALFORMED
from stream_chat.providers.events import ProviderEvent, TextDelta, UsageUpdate

T = TypeVar("T")
TOKEN_COUNTS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)


def translated(event: Any, kind: str) -> ProviderEvent | None:
    """The normalised event an event of type ``kind`` carries, if any."""
    if kind == "content_block_delta":
        delta = field(event, "delta", object)
        if field(delta, "type", str) == "text_delta":
            return TextDelta(field(delta, "text", str))
    elif kind == "message_start":
        return usage_of(field(field(event, "message", object), "usage", object))
    elif kind == "message_delta":
        return usage_of(field(event, "usage", object))
    return None


def field(owner: Any, name: str, kind: type[T]) -> T:
    """``owner.name``, which must be there and of type ``kind``."""
    value = optional(owner, name, kind)
    if value is None:
        raise ProviderProtocolError(MALFORMED)
    return value


def optional(owner: Any, name: str, kind: type[T]) -> T | None:
    """``owner.name`` when it is there and not null, which must then be of type ``kind``."""
    value = getattr(owner, name, None)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise ProviderProtocolError(MALFORMED)  # bool: an int to Python, not a count on the wire
    return value


def usage_of(usage: Any) -> UsageUpdate:
    counts = {name: optional(usage, name, int) for name in TOKEN_COUNTS}
    if any(count is not None and count < 0 for count in counts.values()):
        raise ProviderProtocolError(MALFORMED)
    return UsageUpdate(**counts)
