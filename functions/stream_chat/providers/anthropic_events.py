"""The Messages API's stream values, read into the function's normalised events.

The SDK builds stream events without validating them (``construct``), so any field may hold
whatever the provider sent, and a part it could not match to a type stays a plain ``dict``.
Every field read here is checked, on objects and dicts alike: a malformed event (a delta whose
``text`` is 123, a negative token count) is the provider's protocol error, not a bug of ours.
"""

from __future__ import annotations

from typing import Any, TypeVar

from stream_chat.errors import ProviderProtocolError
from stream_chat.providers.anthropic_errors import MALFORMED
from stream_chat.providers.events import (
    Citation,
    Source,
    StopDetails,
    ToolResult,
    UsageUpdate,
)

T = TypeVar("T")
TOKEN_COUNTS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)
SERVER_TOOL_COUNTS = ("web_search_requests", "web_fetch_requests")


def field(owner: Any, name: str, kind: type[T]) -> T:
    """``owner.name``, which must be there and of type ``kind``."""
    value = optional(owner, name, kind)
    if value is None:
        raise ProviderProtocolError(MALFORMED)
    return value


def optional(owner: Any, name: str, kind: type[T]) -> T | None:
    """``owner.name`` when it is there and not null, which must then be of type ``kind``."""
    value = owner.get(name) if isinstance(owner, dict) else getattr(owner, name, None)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise ProviderProtocolError(MALFORMED)  # bool: an int to Python, not a count on the wire
    return value


def raw(value: Any) -> Any:
    """A part of the stream as the JSON it came as, to be sent back in a later request."""
    if isinstance(value, dict | list | str | int | float) or value is None:
        return value
    to_dict = getattr(value, "to_dict", None)
    if to_dict is None:
        raise ProviderProtocolError(MALFORMED)
    return to_dict(mode="json")


def usage_of(usage: Any) -> UsageUpdate:
    counts = {name: optional(usage, name, int) for name in TOKEN_COUNTS}
    tools = optional(usage, "server_tool_use", object)
    if tools is not None:
        counts.update({name: optional(tools, name, int) for name in SERVER_TOOL_COUNTS})
    if any(count is not None and count < 0 for count in counts.values()):
        raise ProviderProtocolError(MALFORMED)
    return UsageUpdate(**counts)


def stop_details_of(delta: Any) -> StopDetails | None:
    details = optional(delta, "stop_details", object)
    if details is None:
        return None
    return StopDetails(optional(details, "category", str), optional(details, "explanation", str))


def tool_result_of(block: Any) -> ToolResult:
    """A ``web_search_tool_result`` or ``web_fetch_tool_result`` block's sources or error."""
    tool_use_id = field(block, "tool_use_id", str)
    content = field(block, "content", object)
    if isinstance(content, list):  # web search: the results found
        return ToolResult(tool_use_id, results=tuple(_source(item) for item in content))
    if (error_code := optional(content, "error_code", str)) is not None:
        return ToolResult(tool_use_id, error_code=error_code)
    url = field(content, "url", str)  # web fetch: the one page read
    document = optional(content, "content", object)
    title = optional(document, "title", str) if document is not None else None
    return ToolResult(tool_use_id, results=(Source(url, title or url),))


def citation_of(citation: Any) -> Citation | None:
    """The citation, when it points to a URL (one into a document of the request does not)."""
    url = optional(citation, "url", str)
    if url is None:
        return None
    title = optional(citation, "title", str) or url
    return Citation(url, title, optional(citation, "cited_text", str) or "")


def _source(item: Any) -> Source:
    url = field(item, "url", str)
    return Source(url, optional(item, "title", str) or url)
