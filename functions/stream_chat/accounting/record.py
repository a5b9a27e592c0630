"""One stream's account: how long it took, what it sent, how it ended and what it cost.

Two stages at the end of the relay chain fill it as the frames pass, without changing them
(except ``priced``, which adds ``cost_usd`` to the ``usage`` frame); ``guarded`` keeps the
wire contract when one of the stages after ``to_protocol`` fails:

    to_protocol ──priced──▶ ──lease.meter──▶ ──measured──▶ ──guarded──▶ sse.encode_frames

The stream's ``finally`` completes it with what only the upstream and the cancel watcher know,
then publishes it (one EMF document, one summary log line) on every ending.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from stream_chat.accounting.pricing import Prices
from stream_chat.errors import InternalError
from stream_chat.protocol.sse import Heartbeat

Frame = Mapping[str, Any]
logger = Logger(service="stream-chat", child=True)

ENDINGS = (
    "completed",
    "max_tokens",
    "cancelled",
    "first_token_timeout",
    "stall_timeout",
    "deadline",
    "provider_error",
    "internal_error",
)
ERROR_ENDINGS = ENDINGS[3:]
_TIMEOUTS = frozenset(ERROR_ENDINGS[:3])
TOKEN_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)


@dataclass
class AnswerRecord:
    stream_id: str
    model: str
    request_id: str | None = None
    started: float = field(default_factory=time.monotonic)
    first_text_s: float | None = None
    duration_s: float | None = None
    stop_reason: str | None = None
    error_code: str | None = None
    heartbeats: int = 0
    usage: Frame | None = None
    provider_request_id: str | None = None
    retries: int = 0
    cancel_reads: int = 0
    cancel_read_failures: int = 0
    cancel_recorded_at: float | None = None  # wall clock, as the registry recorded it
    upstream_closed_at: float | None = None  # wall clock: comparable with the record
    answer: list[str] | None = None  # kept only when content may be logged

    @property
    def ending(self) -> str:
        """One of ``ENDINGS``: a stream closed before ``done`` counts as an internal error."""
        if self.stop_reason == "cancelled":
            return "cancelled"
        if self.error_code is not None:
            return _error_ending(self.error_code)
        if self.stop_reason is None:
            return "internal_error"
        return "max_tokens" if self.stop_reason == "max_tokens" else "completed"

    @property
    def cancel_latency_s(self) -> float | None:
        """Cancel record → upstream closed; clocks of two instances, so never below zero."""
        if self.ending != "cancelled" or None in (self.cancel_recorded_at, self.upstream_closed_at):
            return None
        return max(0.0, self.upstream_closed_at - self.cancel_recorded_at)  # type: ignore[operator]

    def record(self, frame: Frame, now: float) -> None:
        """Note what a protocol frame says; ``now`` is on the ``started`` clock."""
        kind = frame["type"]
        if kind == "text":
            if self.first_text_s is None:
                self.first_text_s = now - self.started
            if self.answer is not None:
                self.answer.append(frame["text"])
        elif kind == "usage":
            self.usage = frame
        elif kind == "error":
            self.error_code = frame["code"]
            # A request refused before its stream opened is known only by the error's id.
            self.provider_request_id = frame.get("request_id")
        elif kind == "done":
            self.stop_reason = frame["stop_reason"]

    def upstream_closed(self) -> None:
        """Record when the upstream request was first closed (idempotent)."""
        if self.upstream_closed_at is None:
            self.upstream_closed_at = time.time()

    def finish(self) -> None:
        self.duration_s = time.monotonic() - self.started

    def summary(self) -> dict[str, Any]:
        """The fields of the one log line each stream leaves."""
        usage = self.usage or {}
        line: dict[str, Any] = {
            "stream_id": self.stream_id,
            "request_id": self.request_id,
            "provider_request_id": self.provider_request_id,
            "model": self.model,
            "ending": self.ending,
            "stop_reason": self.stop_reason,
            "error_code": self.error_code,
            "ttft_ms": _ms(self.first_text_s),
            "duration_ms": _ms(self.duration_s),
            **{name: usage.get(name) for name in TOKEN_FIELDS},
            "tokens_estimated": bool(usage.get("estimated")),
            "cost_usd": usage.get("cost_usd"),
            "heartbeats": self.heartbeats,
            "retries": self.retries,
            "cancel_reads": self.cancel_reads,
            "cancel_read_failures": self.cancel_read_failures,
            "cancel_latency_ms": _ms(self.cancel_latency_s),
        }
        if self.answer is not None:
            line["answer"] = "".join(self.answer)
        return line


def priced(frames: Iterable[Any], prices: Prices | None) -> Iterator[Any]:
    """Add ``cost_usd`` to the ``usage`` frame when the model's prices are known."""
    if prices is None:
        yield from frames
        return
    for frame in frames:
        if not isinstance(frame, Heartbeat) and frame["type"] == "usage":
            yield {**frame, "cost_usd": prices.cost(frame)}
        else:
            yield frame


def measured(
    frames: Iterable[Any], report: AnswerRecord, clock: Callable[[], float] = time.monotonic
) -> Iterator[Any]:
    """Pass every frame on unchanged, recording in ``report`` what it says."""
    for frame in frames:
        if isinstance(frame, Heartbeat):
            report.heartbeats += 1
        else:
            report.record(frame, clock())
        yield frame


def guarded(
    frames: Iterable[Any],
    start: Frame,
    report: AnswerRecord,
    on_failure: Callable[[], None],
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Any]:
    """``frames``; when a stage fails, its traceback is logged, ``on_failure`` called, and the
    stream still ends as every stream does: ``error`` (``internal_error``), then ``done``. The
    report records what this adds, as ``measured`` would have."""
    last: str | None = None
    try:
        for frame in frames:
            if not isinstance(frame, Heartbeat):
                last = frame["type"]
            yield frame
    except Exception:
        logger.exception("stream failed")
        on_failure()
        if last == "done":
            return
        error = InternalError("The answer failed unexpectedly.").to_frame()
        ending = [error, {"type": "done", "stop_reason": "error"}]
        for frame in ending if last is not None else [start, *ending]:
            report.record(frame, clock())
            yield frame


def _error_ending(code: str) -> str:
    if code in _TIMEOUTS:
        return code
    if code.startswith("provider_") or code == "rate_limited":
        return "provider_error"
    return "internal_error"


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)
