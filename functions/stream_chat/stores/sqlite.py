"""A store in one SQLite file shared by every local worker process, as a DynamoDB table is shared
by every Lambda instance.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import ClassVar


class SQLiteStore:
    """The base of the SQLite stores: the file (``DEFAULT_FILE`` in the temporary directory unless
    a path is given), its ``SCHEMA`` created on first use, and a connection per call."""

    DEFAULT_FILE: ClassVar[str]
    SCHEMA: ClassVar[tuple[str, ...]]
    LOCK_TIMEOUT_S: ClassVar[float] = 1.0

    def __init__(self, path: str | None) -> None:
        self._path = path or str(Path(tempfile.gettempdir()) / self.DEFAULT_FILE)
        with self._connect() as db:
            # Readers never wait for the writer: a stream's polls go on while a cancel is written.
            db.execute("PRAGMA journal_mode=WAL")
            for statement in self.SCHEMA:
                db.execute(statement)

    @property
    def path(self) -> str:
        return self._path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # A connection per call: stores are shared across threads and processes. Closed on the
        # spot, since a connection's own ``with`` only commits and leaves the file handle open;
        # autocommit makes each statement its own transaction unless a store begins one.
        with closing(
            sqlite3.connect(self._path, timeout=self.LOCK_TIMEOUT_S, isolation_level=None)
        ) as db:
            yield db
