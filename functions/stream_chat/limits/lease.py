"""A stream's lease: given back once, whatever ends the stream, with the tokens it used."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools import Logger

if TYPE_CHECKING:
    from stream_chat.access import Viewer
    from stream_chat.limits import LimitStore

logger = Logger(service="stream-chat", child=True)

T = TypeVar("T")


class Lease:
    """One admitted stream. ``release`` is idempotent and never raises: it runs in ``finally``."""

    def __init__(
        self,
        viewer: Viewer,
        store: LimitStore | None = None,
        key: str | None = None,
        lease_id: str = "",
    ) -> None:
        self.viewer = viewer
        self.output_tokens = 0
        self._store = store
        self._key = key
        self._id = lease_id
        self._released = False

    def meter(self, frames: Iterable[T]) -> Iterator[T]:
        """Pass frames through, keeping the output tokens of the last ``usage`` frame."""
        for frame in frames:
            if _is_usage(frame):
                self.output_tokens = int(frame.get("output_tokens", 0))  # type: ignore[attr-defined]
            yield frame

    def release(self, clock: Callable[[], float] = time.time) -> None:
        if self._released or self._store is None:
            return
        self._released = True
        try:
            if self._key is not None:
                self._store.release(self._key, self._id)
            if self.output_tokens > 0:
                self._store.add_output_tokens(self.viewer.subject, self.output_tokens, clock())
        except Exception:
            # The lease expires on its own; the tokens of this stream go uncounted.
            logger.exception("limit release failed", extra={"subject": self.viewer.subject})


class LeasedBody:
    """A response body that gives its lease back when closed, even if never iterated.

    A generator closed before its first ``next`` skips its ``finally``: that happens when the
    runtime cannot open the response stream, and the lease must not wait for its expiry then.
    """

    def __init__(self, body: Generator[bytes, None, None], lease: Lease) -> None:
        self._body = body
        self._lease = lease

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return next(self._body)

    def close(self) -> None:
        try:
            self._body.close()
        finally:
            self._lease.release()


def _is_usage(frame: Any) -> bool:
    return isinstance(frame, dict) and frame.get("type") == "usage"
