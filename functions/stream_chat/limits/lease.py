"""A stream's lease: given back once, whatever ends the stream, with the tokens it used."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

if TYPE_CHECKING:
    from stream_chat.access import Viewer
    from stream_chat.limits import LimitStore

logger = Logger(service="stream-chat", child=True)


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
        self._store = store
        self._key = key
        self._id = lease_id
        self._released = False

    def release(self, output_tokens: int = 0, clock: Callable[[], float] = time.time) -> None:
        """Give the stream back, counting the output tokens it used against the daily budget."""
        if self._released or self._store is None:
            return
        self._released = True
        try:
            if self._key is not None:
                self._store.release(self._key, self._id)
            if output_tokens > 0:
                self._store.add_output_tokens(self.viewer.subject, output_tokens, clock())
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
