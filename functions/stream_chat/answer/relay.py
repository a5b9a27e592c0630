"""From provider events to protocol events: a chain of small generators.

    inbox ──watch──▶ events + heartbeats ──to_protocol──▶ frames ──sse.encode_frames──▶ bytes

``watch`` owns time (heartbeats, first-token and stall timeouts, the invocation deadline);
``to_protocol`` owns the wire contract (``start`` first, ``done`` always last).
"""

from __future__ import annotations

import math
import queue
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from stream_chat.answer.inbox import CancelRequested, Failed, Finished, Inbox
from stream_chat.deadline import Deadline
from stream_chat.errors import (
    DeadlineExceeded,
    FirstTokenTimeout,
    InternalError,
    StallTimeout,
    StreamChatError,
)
from stream_chat.protocol.sse import HEARTBEAT_MARK, Heartbeat
from stream_chat.providers.events import MessageEnd, ProviderEvent, TextDelta, UsageUpdate
from stream_chat.settings import Settings

logger = Logger(service="stream-chat", child=True)

Watched = ProviderEvent | Heartbeat | CancelRequested
Frame = dict[str, Any]


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


@dataclass
class UsageTally:
    """Token counts as reported, and an estimate for text the provider has not counted yet."""

    max_tokens: int  # the request's: the provider never generates more
    report: UsageUpdate = field(default_factory=UsageUpdate)
    chars: int = 0
    final: bool = False

    def frame(self) -> Frame | None:
        if self.report == UsageUpdate() and not self.chars:
            return None
        frame: Frame = {
            "type": "usage",
            "input_tokens": self.report.input_tokens or 0,
            "output_tokens": self.report.output_tokens or 0,
        }
        for name in ("cache_creation_input_tokens", "cache_read_input_tokens"):
            if (value := getattr(self.report, name)) is not None:
                frame[name] = value
        if not self.final:
            # Stopped early: the provider's count lags; ~4 characters per token is the estimate,
            # never more than the request allowed (a run of short tokens would overshoot it).
            estimate = min(math.ceil(self.chars / 4), self.max_tokens)
            frame["output_tokens"] = max(frame["output_tokens"], estimate)
            frame["estimated"] = True
        return frame

    def add(self, report: UsageUpdate) -> None:
        merged = {
            name: value
            if (value := getattr(report, name)) is not None
            else getattr(self.report, name)
            for name in UsageUpdate.__dataclass_fields__
        }
        self.report = UsageUpdate(**merged)


def to_protocol(
    events: Iterable[Watched], start: Frame, on_early_end: Callable[[], None], max_tokens: int
) -> Iterator[Frame | Heartbeat]:
    """``start``, then text and heartbeats, then ``usage`` and ``done`` on every path."""
    yield start
    tally = UsageTally(max_tokens)
    try:
        stop_reason = yield from _content(events, tally, on_early_end)
    except StreamChatError as error:
        on_early_end()
        stop_reason = "error"
        yield error.to_frame()
    except Exception:
        on_early_end()
        stop_reason = "error"
        logger.exception("relay failed")
        yield InternalError("The answer failed unexpectedly.").to_frame()
    if (usage := tally.frame()) is not None:
        yield usage
    yield {"type": "done", "stop_reason": stop_reason}


def _content(
    events: Iterable[Watched], tally: UsageTally, on_early_end: Callable[[], None]
) -> Generator[Frame | Heartbeat, None, str]:
    """Text frames and heartbeats; returns the stop reason."""
    stop_reason = "error"
    for event in events:
        if isinstance(event, TextDelta):
            tally.chars += len(event.text)
            yield {"type": "text", "text": event.text}
        elif isinstance(event, UsageUpdate):
            tally.add(event)
        elif isinstance(event, MessageEnd):
            stop_reason, tally.final = event.stop_reason, True
        elif isinstance(event, CancelRequested):
            on_early_end()
            return "cancelled"
        else:
            yield event
    return stop_reason
