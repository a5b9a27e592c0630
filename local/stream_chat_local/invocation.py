"""One local invocation: its event, its deadline, and the parts of its response as they arrive."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Prelude:
    """Status, headers and cookies: everything before the 8 NUL bytes."""

    metadata: dict[str, Any]


@dataclass(frozen=True)
class Chunk:
    data: bytes


@dataclass(frozen=True)
class Finished:
    """The body ended: ``complete`` with its zero-length chunk, or cut off."""

    complete: bool
    trailers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Buffered:
    """A buffered response: the function's whole JSON result, in one ``/response``."""

    payload: bytes


@dataclass(frozen=True)
class Failed:
    """``/error`` (before the first byte), a broken response, or a dead worker."""

    diagnostic: dict[str, Any]


Part = Prelude | Chunk | Finished | Buffered | Failed


class Invocation:
    """Shared by the emulated Runtime API, which hands each part of the response to ``sink`` on
    its own thread the moment the part is complete, and the front, which relays them.
    """

    def __init__(
        self,
        event: bytes,
        timeout_s: float,
        sink: Callable[[Part], None],
        request_id: str | None = None,
    ) -> None:
        self.request_id = request_id or str(uuid.uuid4())
        self.event = event
        self.timeout_s = timeout_s
        self.put = sink
        self.deadline_ms = 0
        self.delivered_at: float | None = None  # time.monotonic() of its /next answer

    def mark_delivered(self) -> None:
        # The function's timeout starts when it gets the event, as on Lambda (init is separate).
        self.delivered_at = time.monotonic()
        self.deadline_ms = int((time.time() + self.timeout_s) * 1000)

    def next_headers(self, function_arn: str) -> dict[str, str]:
        """The ``/next`` response headers the runtime builds its context from."""
        return {
            "Lambda-Runtime-Aws-Request-Id": self.request_id,
            "Lambda-Runtime-Deadline-Ms": str(self.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": function_arn,
            "Lambda-Runtime-Trace-Id": _trace_id(),
        }

    def seconds_left(self, init_limit_s: float, submitted_at: float) -> float:
        """Time left before the deadline, or before init must have finished if not delivered."""
        if self.delivered_at is None:
            return submitted_at + init_limit_s - time.monotonic()
        return self.delivered_at + self.timeout_s - time.monotonic()


def _trace_id() -> str:
    now = f"{int(time.time()):08x}"
    return f"Root=1-{now}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
