"""A resume: the journaled frames after the client's last id, then the journal followed until
``done``.

The frames go out byte for byte as the live stream sent them, ids and all, so a client that
resumes gets no gap and no duplicate. While the answer runs, the journal is polled with a short
backoff (``POLL_FIRST_S`` growing by ``POLL_GROWTH`` up to ``POLL_MAX_S``, back to the first
after new frames), with a heartbeat whenever nothing was sent for the heartbeat interval. Two
endings besides ``done``: the resume function's own deadline simply ends the stream (the client
resumes again); a journal whose writer's deadline passed ``LOST_GRACE_S`` ago without ``done``
will never be finished, and the stream says so (``answer_lost``, its frames without an id).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field

from stream_chat.deadline import Deadline
from stream_chat.errors import AnswerLost, NotFound
from stream_chat.journal import Batch, Journal
from stream_chat.protocol.frames import Done
from stream_chat.protocol.sse import HEARTBEAT, encode_unnumbered

POLL_FIRST_S = 0.1
POLL_GROWTH = 1.5
POLL_MAX_S = 1.0
LOST_GRACE_S = 5.0  # past the writer's deadline: its last batch has been written by then
UNKNOWN = "No answer with this id can be resumed."  # the same for an unknown and another's id


def opening(journal: Journal, stream_id: str, owner: str) -> list[Batch]:
    """The answer's batches so far; ``NotFound`` when there are none or they are another
    viewer's (never reveal that it exists)."""
    batches = journal.read(stream_id)
    if not batches or batches[0].owner != owner:
        raise NotFound(UNKNOWN)
    return batches


def lost() -> bytes:
    error = AnswerLost("The rest of this answer was lost.").to_frame()
    return encode_unnumbered(error) + encode_unnumbered(Done("error"))


@dataclass
class Follow:
    """One resume's stream, from the batches ``opening`` found."""

    journal: Journal
    stream_id: str
    last_id: int  # the client's: frames up to it are not sent again
    deadline: Deadline  # the resume function's own
    heartbeat_s: float
    on_read_failure: Callable[[Exception], None] = lambda exc: None
    now: Callable[[], float] = time.time  # epoch seconds, the writer's ``deadline_at`` clock
    sleep: Callable[[float], None] = time.sleep
    _sent_at: float = field(default=0.0, init=False)

    def frames(self, batches: list[Batch]) -> Iterator[bytes]:
        self._sent_at = self.deadline.clock()
        number, deadline_at, poll = -1, 0.0, POLL_FIRST_S
        while True:
            for batch in batches:
                number, deadline_at = batch.number, batch.deadline_at
                if chunk := batch.frames_after(self.last_id):
                    self._sent_at = self.deadline.clock()
                    yield chunk
                if batch.done:
                    return
            poll = POLL_FIRST_S if batches else min(poll * POLL_GROWTH, POLL_MAX_S)
            if self.now() > deadline_at + LOST_GRACE_S:
                yield lost()
                return
            if not (yield from self._pause(poll)):
                return
            batches = self._read(number)

    def _pause(self, poll_s: float) -> Generator[bytes, None, bool]:
        """Wait ``poll_s`` (a heartbeat when due); False when the resume's own time is up."""
        if self.deadline.remaining() <= 0:
            return False
        self.sleep(min(poll_s, self.deadline.remaining()))
        if self.deadline.clock() - self._sent_at >= self.heartbeat_s:
            self._sent_at = self.deadline.clock()
            yield HEARTBEAT
        return self.deadline.remaining() > 0

    def _read(self, after: int) -> list[Batch]:
        try:
            return self.journal.read(self.stream_id, after)
        except Exception as exc:  # a passing failure: the next poll tries again
            self.on_read_failure(exc)
            return []
