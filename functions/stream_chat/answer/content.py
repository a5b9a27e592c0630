"""Each content event of the provider's stream, as the frame that carries it to the page.

One event, one frame, in the order they came: the relay never merges, drops or reorders them.
What the page needs is sent, nothing more: a thinking block's signature and a search result's
encrypted content stay server-side (the provider's stream keeps them for the turn).
"""

from __future__ import annotations

from stream_chat.protocol import frames
from stream_chat.protocol.frames import Frame
from stream_chat.providers.events import (
    ContentEvent,
    RedactedThinking,
    StopDetails,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolResult,
)


def frame_of(event: ContentEvent) -> Frame:
    if isinstance(event, TextDelta):
        return frames.Text(event.text)
    if isinstance(event, ThinkingDelta):
        return frames.Thinking(text=event.text)
    if isinstance(event, RedactedThinking):
        return frames.Thinking(redacted=True)
    if isinstance(event, ToolCall):
        return frames.Tool(event.id, event.name, event.input)
    if isinstance(event, ToolResult):
        results = (
            None
            if event.results is None
            else [{"url": source.url, "title": source.title} for source in event.results]
        )
        return frames.ToolResult(event.tool_use_id, results, event.error_code)
    return frames.Citation(event.url, event.title, event.cited_text)


def refusal_of(details: StopDetails | None) -> frames.Refusal:
    """The ``refusal`` frame, with whatever the provider said about why."""
    if details is None:
        return frames.Refusal()
    return frames.Refusal(details.category, details.explanation)


def generated_chars(event: ContentEvent) -> int:
    """Characters the model generated (and bills as output) that an event shows."""
    if isinstance(event, TextDelta | ThinkingDelta):
        return len(event.text)
    return 0
