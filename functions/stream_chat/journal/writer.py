"""Writing an answer's journal off the delivery path: the relay hands each encoded frame over
(``append`` never blocks), and a thread of the writer's own cuts the frames into batches and
writes them.

The first batch (the ``start`` frame) is written at once, so that a resume finds the answer as
soon as the client has its stream id; then a batch is written when its first frame is
``flush_s`` old and it holds ``MIN_BATCH_FRAMES``, when it is ``PATIENCE`` × ``flush_s`` old
whatever it holds, or when it holds ``JOURNAL_BATCH_BYTES``; the batch with ``done`` as soon as
``done`` comes. A write costs the same for one frame as for twenty, so a slow answer waits for
frames rather than writing a batch a second: 1,000 text frames cost at most 1 + 1000 / 25 = 41
writes from 5 frames a second up (at 30 a second, one a second: about 35), and a trickle slower
than that is still written within ``PATIENCE`` seconds (a 1,000-frame answer that slow outlasts
the default 180 s timeout). A resumed client follows at most that far behind. A failing
store costs the answer its resumability and nothing else: one warning, ``failures`` = 1, and no
further write.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from aws_lambda_powertools import Logger

from stream_chat.journal import DONE_EVENT, Batch, Journal

logger = Logger(service="stream-chat", child=True)

JOURNAL_BATCH_BYTES = 16 * 1024  # encoded: a DynamoDB write is paid per kilobyte, an item ≤ 400
MIN_BATCH_FRAMES = 25
PATIENCE = 5  # flush intervals a batch of fewer frames may wait


class Batcher:
    """Which frames make which batch, and when a batch is due; the time is passed in."""

    def __init__(self, stream_id: str, owner: str, deadline_at: float, flush_s: float) -> None:
        self._identity = (stream_id, owner, deadline_at)
        self._flush_s = flush_s
        self._pending = bytearray()
        self._count = 0  # frames pending
        self._first_at = 0.0  # when the first pending frame came
        self._done = False
        self.next_id = 1
        self.number = 0

    def add(self, frame: bytes, now: float) -> None:
        if not self._pending:
            self._first_at = now
        self._pending += frame
        self._count += 1
        self._done = DONE_EVENT in frame

    def wait(self, now: float) -> float | None:
        """Seconds until the pending batch is due (0: now); None when nothing is pending."""
        if not self._pending:
            return None
        if self.number == 0 or self._done or len(self._pending) >= JOURNAL_BATCH_BYTES:
            return 0.0
        age_due = self._flush_s if self._count >= MIN_BATCH_FRAMES else self._flush_s * PATIENCE
        return max(0.0, self._first_at + age_due - now)

    def take(self) -> Batch:
        stream_id, owner, deadline_at = self._identity
        frames = bytes(self._pending)
        batch = Batch(stream_id, self.number, owner, self.next_id, frames, self._done, deadline_at)
        self.number += 1
        self.next_id += self._count
        self._pending.clear()
        self._count = 0
        return batch


class JournalWriter:
    """One answer's journal, written by its own thread; ``close`` waits for the last batch."""

    def __init__(
        self, journal: Journal, batcher: Batcher, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.writes = 0
        self.failures = 0
        self._journal = journal
        self._batcher = batcher
        self._clock = clock
        self._inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    def append(self, frame: bytes) -> None:
        """Hand one encoded frame over; never blocks, and does nothing once the store failed."""
        if not self.failures:
            self._inbox.put(frame)

    def close(self, timeout_s: float) -> None:
        """Write what is pending, waiting at most ``timeout_s`` (the answer's deadline)."""
        self._inbox.put(None)
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            wait = self._batcher.wait(self._clock())
            try:
                frame = self._inbox.get(timeout=wait) if wait != 0.0 else self._inbox.get_nowait()
            except queue.Empty:
                frame = b""  # nothing came: the pending batch is due
            if frame is None:
                self._flush()
                return
            if frame:
                self._batcher.add(frame, self._clock())
            if self._batcher.wait(self._clock()) == 0.0 and not self._write(self._batcher.take()):
                return

    def _flush(self) -> None:
        if self._batcher.wait(self._clock()) is not None:
            self._write(self._batcher.take())

    def _write(self, batch: Batch) -> bool:
        try:
            self._journal.write(batch)
        except Exception as exc:
            self.failures = 1
            logger.warning(
                "journal write failed: the answer is not resumable",
                extra={"batch": batch.number, "exception_name": type(exc).__name__},
            )
            return False
        self.writes += 1
        return True
