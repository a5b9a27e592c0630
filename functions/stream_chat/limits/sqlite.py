"""Limits in one SQLite file shared by every local worker process.

Each admission is one ``BEGIN IMMEDIATE`` transaction: it holds the database's write lock from
the first read, so check-then-take is atomic across threads and processes.
"""

from __future__ import annotations

import sqlite3

from stream_chat.errors import TokenBudgetSpent, TooManyRequests, TooManyStreams
from stream_chat.limits import CONCURRENT_RETRY_S, Limits, day_window, minute_window
from stream_chat.stores.sqlite import SQLiteStore

ADD = (
    "INSERT INTO limit_counters VALUES (?, ?, ?)"
    " ON CONFLICT (counter) DO UPDATE SET value = value + excluded.value"
)


class SQLiteLimits(SQLiteStore):
    DEFAULT_FILE = "stream-chat-limits.sqlite3"
    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS limit_leases"
        " (lease_id TEXT PRIMARY KEY, subject TEXT NOT NULL, expires_at REAL NOT NULL)",
        "CREATE INDEX IF NOT EXISTS limit_leases_subject ON limit_leases (subject, expires_at)",
        "CREATE TABLE IF NOT EXISTS limit_counters"
        " (counter TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL)",
    )
    LOCK_TIMEOUT_S = 10.0  # many concurrent admissions queue on the write lock

    def __init__(self, path: str | None, limits: Limits) -> None:
        super().__init__(path)
        self.limits = limits

    def admit(self, subject: str, lease_id: str, lease_expires_at: float, now: float) -> str | None:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                self._refuse_over_limit(db, subject, now)
                key = self._take(db, subject, lease_id, lease_expires_at, now)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return key

    def _refuse_over_limit(self, db: sqlite3.Connection, subject: str, now: float) -> None:
        limits = self.limits
        minute, minute_left, _ = minute_window(now)
        day, day_left, _ = day_window(now)
        per_minute, per_day = limits.requests_per_minute, limits.output_tokens_per_day
        if per_minute is not None and _value(db, f"{subject}#rate#{minute}") >= per_minute:
            raise TooManyRequests("Too many requests this minute.", retry_after_s=minute_left)
        if per_day is not None and _value(db, f"{subject}#tokens#{day}") >= per_day:
            raise TokenBudgetSpent("Today's answer budget is spent.", retry_after_s=day_left)
        streams = limits.concurrent_streams
        if streams is not None and _active(db, subject, now) >= streams:
            raise TooManyStreams("Too many answers at once.", retry_after_s=CONCURRENT_RETRY_S)

    def _take(
        self, db: sqlite3.Connection, subject: str, lease_id: str, expires_at: float, now: float
    ) -> str | None:
        minute, _, minute_expiry = minute_window(now)
        db.execute(ADD, (f"{subject}#rate#{minute}", 1, minute_expiry))
        db.execute("DELETE FROM limit_counters WHERE expires_at < ?", (now,))
        db.execute("DELETE FROM limit_leases WHERE expires_at < ?", (now,))
        if self.limits.concurrent_streams is None:
            return None
        db.execute("INSERT INTO limit_leases VALUES (?, ?, ?)", (lease_id, subject, expires_at))
        return lease_id

    def release(self, lease_key: str, lease_id: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM limit_leases WHERE lease_id = ?", (lease_id,))

    def add_output_tokens(self, subject: str, tokens: int, now: float) -> None:
        day, _, expiry = day_window(now)
        with self._connect() as db:
            db.execute(ADD, (f"{subject}#tokens#{day}", tokens, expiry))


def _active(db: sqlite3.Connection, subject: str, now: float) -> int:
    (count,) = db.execute(
        "SELECT COUNT(*) FROM limit_leases WHERE subject = ? AND expires_at >= ?", (subject, now)
    ).fetchone()
    return int(count)


def _value(db: sqlite3.Connection, counter: str) -> int:
    row = db.execute("SELECT value FROM limit_counters WHERE counter = ?", (counter,)).fetchone()
    return int(row[0]) if row else 0
