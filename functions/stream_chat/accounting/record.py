"""One answer's account: what the relay sent (``Outcome``) and what only the edges know.

The relay notes each frame it sends in the answer's ``Outcome``; when the answer is over, the
pipeline adds what the upstream and the cancel watcher saw, and ``settle`` (``accounting.settle``)
turns the ``AnswerRecord`` into one EMF document and one summary log line, and gives the lease
back with the tokens used, whatever the ending.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from stream_chat.accounting.endings import Ending
from stream_chat.protocol.frames import Done, Error, Frame, Text, Usage

TOKEN_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "web_search_requests",
    "web_fetch_requests",
)


@dataclass
class Outcome:
    """What the relay sent, frame by frame; ``ending`` is final once ``done`` is sent."""

    started: float = field(default_factory=time.monotonic)
    ending: Ending = Ending.INTERNAL_ERROR  # until ``done``: a body cut short is a failure
    stop_reason: str | None = None
    error: Error | None = None
    usage: Usage | None = None
    first_text_s: float | None = None
    heartbeats: int = 0
    text: list[str] | None = None  # kept only when content may be logged

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def sent(self, frame: Frame, now: float) -> None:
        """Note what ``frame`` says; ``now`` is on the ``started`` clock."""
        if isinstance(frame, Text):
            if self.first_text_s is None:
                self.first_text_s = now - self.started
            if self.text is not None:
                self.text.append(frame.text)
        elif isinstance(frame, Usage):
            self.usage = frame
        elif isinstance(frame, Error):
            self.error = frame
        elif isinstance(frame, Done):
            self.stop_reason = frame.stop_reason
            self.ending = self._ending(frame.stop_reason)

    def _ending(self, stop_reason: str) -> Ending:
        if stop_reason == "cancelled":
            return Ending.CANCELLED
        if self.error is not None:
            return Ending.of_error(self.error.code)
        return Ending.of_stop(stop_reason)


@dataclass(frozen=True)
class AnswerRecord:
    stream_id: str
    model: str
    request_id: str | None
    outcome: Outcome
    duration_s: float
    provider_request_id: str | None = None
    retries: int = 0
    cancel_reads: int = 0
    cancel_read_failures: int = 0
    cancel_latency_s: float | None = None  # cancel recorded → upstream closed
    journal_writes: int = 0  # batches of the answer's frames written to its journal
    journal_failures: int = 0  # 1 when the journal's store failed (the answer is not resumable)

    @property
    def ending(self) -> Ending:
        return self.outcome.ending

    @property
    def output_tokens(self) -> int:
        return self.outcome.usage.output_tokens if self.outcome.usage is not None else 0

    def summary(self) -> dict[str, Any]:
        """The fields of the one log line each answer leaves."""
        outcome, usage = self.outcome, self.outcome.usage
        error = outcome.error
        line: dict[str, Any] = {
            "stream_id": self.stream_id,
            "request_id": self.request_id,
            # An answer refused before the provider's stream opened is known only by its error.
            "provider_request_id": self.provider_request_id,
            "model": self.model,
            "ending": str(self.ending),
            "stop_reason": outcome.stop_reason,
            "error_code": error.code if error is not None else None,
            "ttft_ms": ms(outcome.first_text_s),
            "duration_ms": ms(self.duration_s),
            **{name: getattr(usage, name) if usage else None for name in TOKEN_FIELDS},
            "tokens_estimated": bool(usage and usage.estimated),
            "cost_usd": usage.cost_usd if usage else None,
            "heartbeats": outcome.heartbeats,
            "retries": self.retries,
            "cancel_reads": self.cancel_reads,
            "cancel_read_failures": self.cancel_read_failures,
            "cancel_latency_ms": ms(self.cancel_latency_s),
            "journal_writes": self.journal_writes,
            "journal_failures": self.journal_failures,
        }
        if outcome.text is not None:
            line["answer"] = "".join(outcome.text)
        return line


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)
