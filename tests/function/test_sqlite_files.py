"""The local SQLite stores close every connection they open.

A connection's own ``with`` only commits; one left to the garbage collector keeps its file
handle open and warns on Python 3.13. A stream polls the cancel registry four times a second,
so a leak there adds up quickly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stream_chat.cancellation.sqlite import SQLiteRegistry
from stream_chat.limits import Limits
from stream_chat.limits.sqlite import SQLiteLimits
from tests.support.stores import is_cancelled

Exercise = Callable[[Path], None]


def _cancel_both_ways(tmp_path: Path) -> None:
    registry = SQLiteRegistry(str(tmp_path / "c.sqlite3"), ttl_s=60)
    registry.cancel("a", owner="alice")
    assert is_cancelled(registry, "a", owner="alice")
    assert registry.cancelled_at("b") is None


def _admit_count_release(tmp_path: Path) -> None:
    limits = Limits(requests_per_minute=5, output_tokens_per_day=1000, concurrent_streams=1)
    store = SQLiteLimits(str(tmp_path / "l.sqlite3"), limits)
    key = store.admit("alice", "lease-1", lease_expires_at=160.0, now=100.0)
    assert key == "lease-1"
    with pytest.raises(Exception, match="at once"):
        store.admit("alice", "lease-2", lease_expires_at=160.0, now=100.0)
    store.add_output_tokens("alice", 10, now=100.0)
    store.release(key, "lease-1")


@pytest.mark.parametrize(
    "exercise", [_cancel_both_ways, _admit_count_release], ids=["cancel-registry", "limits"]
)
def test_every_connection_is_closed_when_its_call_returns(
    exercise: Exercise, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(real_connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr("stream_chat.stores.sqlite.sqlite3.connect", connect)
    exercise(tmp_path)
    assert len(opened) >= 3
    assert [conn for conn in opened if _is_open(conn)] == []


def _is_open(conn: sqlite3.Connection) -> bool:
    try:
        conn.total_changes  # noqa: B018  # raises once the connection is closed
    except sqlite3.ProgrammingError:
        return False
    return True
