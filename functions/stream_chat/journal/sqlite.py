"""The journal in one SQLite file shared by every local worker process: the streaming function's
workers write it, the resume function's read it, as on AWS they share a DynamoDB table."""

from __future__ import annotations

import time

from stream_chat.journal import Batch, pack, unpack
from stream_chat.stores.sqlite import SQLiteStore


class SQLiteJournal(SQLiteStore):
    DEFAULT_FILE = "stream-chat-journal.sqlite3"
    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS journal (stream_id TEXT, batch INTEGER, owner TEXT,"
        " first_id INTEGER, frames BLOB, done INTEGER, deadline_at REAL, expires_at REAL,"
        " PRIMARY KEY (stream_id, batch))",
    )

    def __init__(self, path: str | None, ttl_s: int) -> None:
        super().__init__(path)
        self._ttl_s = ttl_s

    def write(self, batch: Batch) -> None:
        now = time.time()
        row = (
            batch.stream_id,
            batch.number,
            batch.owner,
            batch.first_id,
            pack(batch.frames),
            int(batch.done),
            batch.deadline_at,
            now + self._ttl_s,
        )
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO journal VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
            if batch.number == 0:  # once per answer: what TTL would have deleted by now
                db.execute("DELETE FROM journal WHERE expires_at < ?", (now,))

    def read(self, stream_id: str, after: int = -1) -> list[Batch]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT batch, owner, first_id, frames, done, deadline_at FROM journal"
                " WHERE stream_id = ? AND batch > ? AND expires_at >= ? ORDER BY batch",
                (stream_id, after, time.time()),
            ).fetchall()
        return [
            Batch(stream_id, number, owner, first_id, unpack(frames), bool(done), deadline_at)
            for number, owner, first_id, frames, done, deadline_at in rows
        ]
