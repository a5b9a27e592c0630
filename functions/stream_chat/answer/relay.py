"""From watched events to protocol frames: the wire contract of one answer.

    inbox ──watch──▶ events + heartbeats ──Relay.frames──▶ frames ──sse.encode_frames──▶ bytes

``start`` goes first and ``done`` last on every path; an error, a cancel or a bug ends the
content with an ``error`` frame (or ``done: cancelled``), the token counts known so far and
``done``. The relay notes every frame it sends in the answer's ``Outcome``, which the pipeline
settles once the answer is over, and calls ``on_end`` as soon as the content is over, however it
ended: nothing is left to ask of the provider then.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field, fields, replace

from aws_lambda_powertools import Logger

from stream_chat.accounting.pricing import Prices
from stream_chat.accounting.record import Outcome
from stream_chat.answer.content import frame_of, generated_chars, refusal_of
from stream_chat.answer.inbox import CancelRequested
from stream_chat.answer.watch import Watched
from stream_chat.errors import InternalError, StreamChatError
from stream_chat.protocol.frames import Done, Frame, Start, Usage
from stream_chat.protocol.sse import Heartbeat
from stream_chat.providers.events import CONTENT, MessageEnd, UsageUpdate

logger = Logger(service="stream-chat", child=True)


@dataclass
class UsageTally:
    """Token counts as reported, and an estimate for text the provider has not counted yet."""

    max_tokens: int  # the answer's cap over all its calls: the provider never generates more
    reported: UsageUpdate = field(default_factory=UsageUpdate)
    chars: int = 0
    final: bool = False
    stop_reason: str | None = None

    def add(self, update: UsageUpdate) -> None:
        newer = {
            f.name: value
            for f in fields(UsageUpdate)
            if (value := getattr(update, f.name)) is not None
        }
        self.reported = replace(self.reported, **newer)

    def frame(self, prices: Prices | None) -> Usage | None:
        if self.reported == UsageUpdate() and not self.chars:
            return None
        reported = self.reported
        usage = Usage(
            input_tokens=reported.input_tokens or 0,
            output_tokens=reported.output_tokens or 0,
            cache_creation_input_tokens=reported.cache_creation_input_tokens,
            cache_read_input_tokens=reported.cache_read_input_tokens,
            stop_reason=self.stop_reason,
            web_search_requests=reported.web_search_requests,
            web_fetch_requests=reported.web_fetch_requests,
        )
        if not self.final:
            # Stopped early: the provider's count lags; ~4 characters per token is the estimate,
            # never more than the request allowed (a run of short tokens would overshoot it).
            estimate = min(math.ceil(self.chars / 4), self.max_tokens)
            usage = replace(usage, output_tokens=max(usage.output_tokens, estimate), estimated=True)
        return usage if prices is None else replace(usage, cost_usd=prices.cost(usage))


class Relay:
    def __init__(
        self,
        start: Start,
        outcome: Outcome,
        *,
        max_tokens: int,
        prices: Prices | None,
        on_end: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._start, self._outcome, self._prices = start, outcome, prices
        self._tally = UsageTally(max_tokens)
        self._on_end, self._clock = on_end, clock

    def frames(self, events: Iterable[Watched]) -> Iterator[Frame | Heartbeat]:
        """``start``, then content and heartbeats, then ``usage`` and ``done`` on every path."""
        yield self._sent(self._start)
        try:
            stop_reason = yield from self._content(events)
        except StreamChatError as error:
            stop_reason = "error"
            yield self._sent(error.to_frame())
        except Exception:
            stop_reason = "error"
            logger.exception("relay failed")
            yield self._sent(InternalError("The answer failed unexpectedly.").to_frame())
        finally:
            self._on_end()
        if (usage := self._usage()) is not None:
            yield self._sent(usage)
        yield self._sent(Done(stop_reason))

    def _content(self, events: Iterable[Watched]) -> Generator[Frame | Heartbeat, None, str]:
        """Content frames and heartbeats, a refusal; returns the stop reason."""
        for event in events:
            if isinstance(event, CONTENT):
                self._tally.chars += generated_chars(event)
                yield self._sent(frame_of(event))
            elif isinstance(event, UsageUpdate):
                self._tally.add(event)
            elif isinstance(event, MessageEnd):
                self._tally.final = True
                self._tally.stop_reason = event.stop_reason
                if event.stop_reason == "refusal":
                    yield self._sent(refusal_of(event.details))
                return event.stop_reason
            elif isinstance(event, CancelRequested):
                return "cancelled"
            else:
                self._outcome.heartbeats += 1
                yield event
        return "error"  # the events ended with no word from the provider: never in practice

    def _usage(self) -> Usage | None:
        """The ``usage`` frame; a price that cannot be computed leaves only the cost out."""
        try:
            return self._tally.frame(self._prices)
        except Exception:
            logger.exception("pricing failed")
            return self._tally.frame(None)

    def _sent(self, frame: Frame) -> Frame:
        self._outcome.sent(frame, self._clock())
        return frame
