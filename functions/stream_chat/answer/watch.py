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
from stream_chat.providers.events import MessageEnd, ProviderEvent, TextDelta
from stream_chat.settings import Settings

Watched = ProviderEvent | Heartbeat | CancelRequested


def watch(
    inbox: Inbox,
    settings: Settings,
    deadline: Deadline,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Watched]:
    """Yield inbox events, a heartbeat whenever nothing was sent for an interval; raise on timeouts.

    Only text counts as progress: Anthropic ``ping`` events and our own heartbeats do not reset
    the stall timer (the SDK's read timeout is reset by pings, so it cannot see a stall). The
    stream ends at ``MessageEnd``, not when the provider has read the rest of its response.
    """
    started = last_sent = clock()
    last_text: float | None = None
    while True:
        error_at, error = _next_timeout(started, last_text, settings, deadline)
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
        if isinstance(item, TextDelta):
            last_text = last_sent = clock()
        yield item
        if isinstance(item, MessageEnd | CancelRequested):
            return


def _receive(inbox: Inbox, timeout: float) -> ProviderEvent | Finished | CancelRequested | None:
    """The next item, None when the wait timed out; a provider failure is raised."""
    try:
        item = inbox.get(timeout=max(0.0, timeout))
    except queue.Empty:
        return None
    if isinstance(item, Failed):
        raise item.error
    return item


def _next_timeout(
    started: float, last_text: float | None, settings: Settings, deadline: Deadline
) -> tuple[float, StreamChatError]:
    if last_text is None:
        at = started + settings.first_token_timeout_s
        error: StreamChatError = FirstTokenTimeout(
            f"The model sent nothing for {settings.first_token_timeout_s:g} s."
        )
    else:
        at = last_text + settings.stall_timeout_s
        error = StallTimeout(f"The model stalled for {settings.stall_timeout_s:g} s.")
    if deadline.at <= at:
        return deadline.at, DeadlineExceeded("The answer ran out of time and was cut short.")
    return at, error
