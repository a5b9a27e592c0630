"""The cancel path: Lambda never tells a function that its client went away.

A client that stops an answer calls the cancel route, which records the stream id in a shared
registry; the running stream (on another instance, or another local worker process) polls the
registry and, when it finds its id, closes the upstream request.

A cancel is owned: with sign-in, the record is keyed by the stream id AND the signed-in user, so
another user's cancel lands on a different record and never stops the stream (it is answered the
same way, so ids cannot be probed). Without sign-in the owner is empty and the unguessable id is
the key.

The package itself imports no more than a registry write needs, since the small cancel function
imports it too; the stream's poller lives in ``cancellation.watcher``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from stream_chat.settings import Settings


class CancelRegistry(Protocol):
    def cancel(self, stream_id: str, owner: str = "") -> None:
        """Record that ``owner``'s stream ``stream_id`` must stop; idempotent."""

    def cancelled_at(self, stream_id: str, owner: str = "") -> float | None:
        """When ``owner``'s stream ``stream_id`` was cancelled (epoch seconds), None when not."""


def record_key(stream_id: str, owner: str) -> str:
    """One record per (stream, owner); ``/`` never occurs in a stream id."""
    return f"{stream_id}/{owner}" if owner else stream_id


def make_registry(settings: Settings) -> CancelRegistry | None:
    """The configured registry, with its client built now (at init); None when disabled."""
    if settings.cancel_backend == "dynamodb":
        from stream_chat.cancellation.dynamodb import DynamoDBRegistry

        assert settings.cancel_table is not None  # enforced by Settings
        return DynamoDBRegistry(settings.cancel_table, ttl_s=settings.cancel_ttl_s)
    if settings.cancel_backend == "sqlite":
        from stream_chat.cancellation.sqlite import SQLiteRegistry

        return SQLiteRegistry(settings.cancel_sqlite_path, ttl_s=settings.cancel_ttl_s)
    return None


__all__ = ["CancelRegistry", "make_registry", "record_key"]
