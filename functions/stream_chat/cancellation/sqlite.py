"""Cancel registry in one SQLite file shared by every local worker process.

Locally a cancel request is handled by one worker while the stream runs in another, exactly as
on Lambda where the cancel lands on a different instance.
"""

from __future__ import annotations

import time

from stream_chat.cancellation import record_key
from stream_chat.stores.sqlite import SQLiteStore


class SQLiteRegistry(SQLiteStore):
    DEFAULT_FILE = "stream-chat-cancel.sqlite3"
    SCHEMA = (
        # A new name: a file from a version without ``cancelled_at`` keeps its old table.
        "CREATE TABLE IF NOT EXISTS stream_cancels (stream_id TEXT PRIMARY KEY,"
        " cancelled_at REAL NOT NULL, expires_at REAL NOT NULL)",
    )

    def __init__(self, path: str | None, ttl_s: int) -> None:
        super().__init__(path)
        self._ttl_s = ttl_s

    def cancel(self, stream_id: str, owner: str = "") -> None:
        now = time.time()
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO stream_cancels VALUES (?, ?, ?)",
                (record_key(stream_id, owner), now, now + self._ttl_s),
            )
            db.execute("DELETE FROM stream_cancels WHERE expires_at < ?", (now,))

    def cancelled_at(self, stream_id: str, owner: str = "") -> float | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT cancelled_at FROM stream_cancels WHERE stream_id = ? AND expires_at >= ?",
                (record_key(stream_id, owner), time.time()),
            ).fetchone()
        return None if row is None else float(row[0])
