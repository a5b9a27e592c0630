"""The time an invocation may still spend: Lambda's remaining time minus a safety margin.

Every wait in the function (connect, read, queue, registry poll, retry backoff) is bounded by it,
so the stream always has time to write its closing frames before Lambda's hard timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class RemainingTime(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class Deadline:
    at: float  # on the ``clock`` timeline
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def from_context(
        cls, context: RemainingTime, margin_s: float, clock: Callable[[], float] = time.monotonic
    ) -> Deadline:
        remaining = context.get_remaining_time_in_millis() / 1000.0
        return cls(at=clock() + remaining - margin_s, clock=clock)

    def remaining(self) -> float:
        return max(0.0, self.at - self.clock())

    def expired(self) -> bool:
        return self.clock() >= self.at
