"""Per-viewer limits, enforced before the provider is called: a deploy is never an open wallet.

    concurrent streams   a lease per stream, taken at admission and released on every ending;
                         it expires on its own (a killed instance cannot leak it)
    requests per minute  a counter per viewer and UTC minute
    output tokens a day  a counter per viewer and UTC day, fed by each stream's final usage

A store checks and takes everything in one atomic step (a DynamoDB transaction, a SQLite write
transaction), so limits stay exact under concurrency. Same interface style as the cancel registry:
DynamoDB on AWS, one SQLite file shared by local worker processes.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from stream_chat.access import Viewer
from stream_chat.limits.lease import Lease, LeasedBody

if TYPE_CHECKING:
    from stream_chat.settings import Settings

DAY_S = 86_400
CONCURRENT_RETRY_S = 5  # streams usually end within seconds; the client may try again then
LEASE_SLACK_S = 30.0  # beyond the invocation's own deadline


@dataclass(frozen=True)
class Limits:
    concurrent_streams: int | None = None
    requests_per_minute: int | None = None
    output_tokens_per_day: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            settings.limit_concurrent_streams,
            settings.limit_requests_per_minute,
            settings.limit_output_tokens_per_day,
        )


class LimitStore(Protocol):
    def admit(self, subject: str, lease_id: str, lease_expires_at: float, now: float) -> str | None:
        """Count the request and take a stream lease, atomically; raise a ``LimitExceeded``.

        Returns the lease's key for ``release`` (None when streams are not limited).
        """

    def release(self, lease_key: str, lease_id: str) -> None:
        """Give the lease back; a lease already expired and taken by another is left alone."""

    def add_output_tokens(self, subject: str, tokens: int, now: float) -> None: ...


def minute_window(now: float) -> tuple[str, int, float]:
    """The UTC minute's name, the seconds until the next one, and when its counter may go."""
    start = math.floor(now / 60) * 60
    return str(start // 60), max(1, math.ceil(start + 60 - now)), start + 120


def day_window(now: float) -> tuple[str, int, float]:
    """The UTC day's name, the seconds until the next one, and when its counter may go."""
    start = math.floor(now / DAY_S) * DAY_S
    name = datetime.fromtimestamp(start, UTC).date().isoformat()
    return name, max(1, math.ceil(start + DAY_S - now)), start + 2 * DAY_S


class Limiter:
    def __init__(self, store: LimitStore | None, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> Limiter:
        """The configured store with its client built now (at init); none without limits."""
        if not settings.limited:
            return cls(None)
        limits = Limits.from_settings(settings)
        if settings.limits_backend == "dynamodb":
            from stream_chat.limits.dynamodb import DynamoDBLimits

            assert settings.limits_table is not None  # enforced by Settings
            return cls(DynamoDBLimits(settings.limits_table, limits))
        from stream_chat.limits.sqlite import SQLiteLimits

        return cls(SQLiteLimits(settings.limits_sqlite_path, limits))

    def admit(self, viewer: Viewer, remaining_s: float) -> Lease:
        """A lease for one stream of ``viewer``, or a ``LimitExceeded``.

        The lease outlives the invocation's remaining time only by a little slack.
        """
        if self.store is None:
            return Lease(viewer)
        lease_id, now = secrets.token_urlsafe(12), self._clock()
        expires_at = now + remaining_s + LEASE_SLACK_S
        key = self.store.admit(viewer.subject, lease_id, expires_at, now)
        return Lease(viewer, self.store, key, lease_id)


__all__ = ["Lease", "LeasedBody", "LimitStore", "Limiter", "Limits", "day_window", "minute_window"]
