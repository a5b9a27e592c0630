"""A function's concurrency, as Lambda limits it: at most ``limit`` invocations at once.

Past the limit a function URL answers 429 (throttled) at once. Locally a request may first wait
a short while in a bounded queue, first come first served, so that a second browser tab does not
fail only because the first one's answer is still finishing; a full queue, or a wait past
``wait_s``, is throttled all the same.
"""

from __future__ import annotations

import asyncio
import collections


class Throttled(Exception):
    """No instance became free in time (or the queue was full)."""


class Stopping(Exception):
    """The server is shutting down: nothing new starts."""


class Concurrency:
    def __init__(self, limit: int, max_waiting: int, wait_s: float) -> None:
        self.limit = limit
        self.max_waiting = max_waiting
        self.wait_s = wait_s
        self._free = limit
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._stopping = False

    @property
    def busy(self) -> int:
        return self.limit - self._free

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def acquire(self) -> None:
        """A slot, now or after a wait; Throttled or Stopping if none comes."""
        if self._stopping:
            raise Stopping
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        if len(self._waiting) >= self.max_waiting:
            raise Throttled
        ticket = asyncio.get_running_loop().create_future()
        self._waiting.append(ticket)
        try:
            async with asyncio.timeout(self.wait_s):
                await ticket
        except BaseException as exc:
            self._leave(ticket)
            if isinstance(exc, TimeoutError):
                raise Throttled from None
            raise

    def release(self) -> None:
        """Hand the slot to the longest waiter, or free it."""
        while self._waiting:
            ticket = self._waiting.popleft()
            if not ticket.done():
                ticket.set_result(None)
                return
        self._free += 1

    def stop(self) -> None:
        """Refuse new requests and every waiting one."""
        self._stopping = True
        while self._waiting:
            ticket = self._waiting.popleft()
            if not ticket.done():
                ticket.set_exception(Stopping())

    def _leave(self, ticket: asyncio.Future[None]) -> None:
        if ticket in self._waiting:
            self._waiting.remove(ticket)
        elif ticket.done() and not ticket.cancelled() and ticket.exception() is None:
            self.release()  # handed a slot just as the wait ended: pass it on


__all__ = ["Concurrency", "Stopping", "Throttled"]
