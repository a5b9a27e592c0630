"""Cancel registry in one SQLite file shared by every local worker process.

Locally a cancel request is handled by one worker while the stream runs in another, exactly as
on Lambda where the cancel lands on a different instance.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from stream_chat.cancellation import record_key

DEFAULT_FILE = "stream-chat-cancel.sqlite3"


class SQLiteRegistry:
    def __init__(self, path: str | None, ttl_s: int) -> None:
        self._path = path or str(Path(tempfile.gettempdir()) / DEFAULT_FILE)
        self._ttl_s = ttl_s
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                # A new name: a file from a version without ``cancelled_at`` keeps its old table.
                "CREATE TABLE IF NOT EXISTS stream_cancels (stream_id TEXT PRIMARY KEY,"
                " cancelled_at REAL NOT NULL, expires_at REAL NOT NULL)"
            )

    @property
    def path(self) -> str:
        return self._path

    def cancel(self, stream_id: str, owner: str = "") -> None:
        now = time.time()
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO stream_cancels VALUES (?, ?, ?)",
                (record_key(stream_id, owner), now, now + self._ttl_s),
            )
            db.execute("DELETE FROM stream_cancels WHERE expires_at < ?", (now,))

    def is_cancelled(self, stream_id: str, owner: str = "") -> bool:
        return self.cancelled_at(stream_id, owner) is not None

    def cancelled_at(self, stream_id: str, owner: str = "") -> float | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT cancelled_at FROM stream_cancels WHERE stream_id = ? AND expires_at >= ?",
                (record_key(stream_id, owner), time.time()),
            ).fetchone()
        return None if row is None else float(row[0])

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # A connection per call: registries are shared across threads and processes. Closed on
        # the spot (a connection's own ``with`` only commits): autocommit makes each statement
        # its own transaction.
        with closing(sqlite3.connect(self._path, timeout=1.0, isolation_level=None)) as db:
            yield db
