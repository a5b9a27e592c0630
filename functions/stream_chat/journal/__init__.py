"""The journal: each answer's frames, kept so that a client that lost its connection can resume.

The streaming function appends the encoded frames of an answer (``writer``); a batch of
consecutive frames is one item, keyed by the stream id and the batch's number (0, 1, 2, …), its
frames exactly as the live stream sent them, compressed. The resume function reads the batches
after the client's last id and follows the journal until ``done`` (``follow``). DynamoDB on AWS,
one SQLite file locally, each expired after ``journal_ttl_s``.

The package itself imports no more than a read needs, since the light resume function imports
it; the writer, which needs the streaming function's logger, is ``journal.writer``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from stream_chat.settings import Settings

FRAME_END = b"\n\n"  # every frame ends so, and holds no other blank line (its JSON is one line)
DONE_EVENT = b"\nevent: done\n"


@dataclass(frozen=True)
class Batch:
    """Consecutive frames of one answer: ids ``first_id``, ``first_id`` + 1, …"""

    stream_id: str
    number: int
    owner: str  # the answer's owner; empty without sign-in
    first_id: int
    frames: bytes  # the encoded frames, concatenated, as sent
    done: bool  # holds the ``done`` frame: the answer is over
    deadline_at: float  # epoch seconds: when the writing function's time runs out

    def frames_after(self, last_id: int) -> bytes:
        """The frames whose id is above ``last_id``, byte for byte."""
        skip = last_id - self.first_id + 1
        if skip <= 0:
            return self.frames
        frames = self.frames.split(FRAME_END)[:-1]
        return b"".join(frame + FRAME_END for frame in frames[skip:])


class Journal(Protocol):
    def write(self, batch: Batch) -> None:
        """Store ``batch`` (one write), expiring after the journal's time to live."""

    def read(self, stream_id: str, after: int = -1) -> list[Batch]:
        """The unexpired batches of ``stream_id`` numbered above ``after``, in order."""


def pack(frames: bytes) -> bytes:
    """The frames as stored: SSE text compresses well, and a write is paid per kilobyte."""
    return zlib.compress(frames)


def unpack(stored: bytes) -> bytes:
    return zlib.decompress(stored)


def make_journal(settings: Settings) -> Journal | None:
    """The configured journal, with its client built now (at init); None when answers are not
    resumable."""
    if settings.journal_backend == "dynamodb":
        from stream_chat.journal.dynamodb import DynamoDBJournal

        assert settings.journal_table is not None  # enforced by Settings
        return DynamoDBJournal(settings.journal_table, ttl_s=settings.journal_ttl_s)
    if settings.journal_backend == "sqlite":
        from stream_chat.journal.sqlite import SQLiteJournal

        return SQLiteJournal(settings.journal_sqlite_path, ttl_s=settings.journal_ttl_s)
    return None


__all__ = ["Batch", "Journal", "make_journal", "pack", "unpack"]
