"""Time, in the answer's pipeline: heartbeats, the first-token and stall timeouts, the deadline.

``watch`` reads the inbox with deadlines, so all of them keep working while the provider is silent;
it yields the provider's events and a heartbeat mark whenever nothing was sent for an interval,
and raises the timeout that ends the answer.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator

from stream_chat.answer.inbox import CancelRequested, Failed, Finished, Inbox
from stream_chat.deadline import Deadline
from stream_chat.errors import DeadlineExceeded, FirstTokenTimeout, StallTimeout, StreamChatError
from stream_chat.protocol.sse import HEARTBEAT_MARK, Heartbeat
from stream_chat.providers.events import (
    CONTENT,
    MessageEnd,
    ProviderEvent,
    ToolCall,
    ToolResult,
)
from stream_chat.settings import Settings

Watched = ProviderEvent | Heartbeat | CancelRequested
# A server tool (a web search, a page fetched) runs on the provider's side between its call and
# its result, and the stream is silent meanwhile: that silence may last this long (the deadline
# still holds).
SERVER_TOOL_SILENCE_S = 120.0


def watch(
    inbox: Inbox,
    settings: Settings,
    deadline: Deadline,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Watched]:
    """Yield inbox events, a heartbeat whenever nothing was sent for an interval; raise on timeouts.

    Only content (text, thinking, a tool's call or result, a citation) counts as progress:
    Anthropic ``ping`` events and our own heartbeats do not reset the stall timer (the SDK's read
    timeout is reset by pings, so it cannot see a stall). The stream ends at ``MessageEnd``, not
    when the provider has read the rest of its response.
    """
    started = last_sent = clock()
    progress = Progress()
    while True:
        error_at, error = progress.timeout(started, settings, deadline)
        if clock() >= error_at:
            raise error
        item = _receive(inbox, min(last_sent + settings.heartbeat_s, error_at) - clock())
        if item is None:
            if clock() >= last_sent + settings.heartbeat_s:
                last_sent = clock()
                yield HEARTBEAT_MARK
            continue
        if isinstance(item, Finished):
            return
        if progress.note(item, clock()):
            last_sent = clock()
        yield item
        if isinstance(item, MessageEnd | CancelRequested):
            return


class Progress:
    """When content last came, and which server tools are running (called, no result yet)."""

    def __init__(self) -> None:
        self.last_content: float | None = None
        self.tools_running: set[str] = set()

    def note(self, item: ProviderEvent | CancelRequested, now: float) -> bool:
        """Take ``item`` into account; True when it is content (sent to the page)."""
        if isinstance(item, ToolCall):
            self.tools_running.add(item.id)
        elif isinstance(item, ToolResult):
            self.tools_running.discard(item.tool_use_id)
        if not isinstance(item, CONTENT):
            return False
        self.last_content = now
        return True

    def timeout(
        self, started: float, settings: Settings, deadline: Deadline
    ) -> tuple[float, StreamChatError]:
        """When the answer fails if nothing comes, and with which error."""
        if self.last_content is None:
            at = started + settings.first_token_timeout_s
            error: StreamChatError = FirstTokenTimeout(
                f"The model sent nothing for {settings.first_token_timeout_s:g} s."
            )
        else:
            stall_s = settings.stall_timeout_s
            if self.tools_running:
                stall_s = max(stall_s, SERVER_TOOL_SILENCE_S)
            at = self.last_content + stall_s
            error = StallTimeout(f"The model stalled for {stall_s:g} s.")
        if deadline.at <= at:
            return deadline.at, DeadlineExceeded("The answer ran out of time and was cut short.")
        return at, error


def _receive(inbox: Inbox, timeout: float) -> ProviderEvent | Finished | CancelRequested | None:
    """The next item, None when the wait timed out; a provider failure is raised."""
    try:
        item = inbox.get(timeout=max(0.0, timeout))
    except queue.Empty:
        return None
    if isinstance(item, Failed):
        raise item.error
    return item
