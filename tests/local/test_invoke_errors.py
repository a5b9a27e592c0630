"""``stream-chat invoke`` on broken event files: one clear line and exit 2, never a traceback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.serve import ROOT, clean_env


def invoke(path: Path, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "stream_chat_local.cli", "invoke", "--quiet", str(path)]
    full_env = clean_env(TMPDIR=str(tmp_path), STREAM_CHAT_DEMO_TOKEN_DELAY_S="0", **env)
    return subprocess.run(
        command, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60, check=False
    )


def chat_event() -> dict[str, object]:
    event: dict[str, object] = json.loads((ROOT / "events" / "chat.json").read_text())
    return event


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "is not JSON: Expecting property name"),
        (b"", "is empty"),
        (b"  \n", "is empty"),
        (b"[1, 2]", "holds an array"),
        (b'"text"', "holds a string"),
        (b"42", "holds a number"),
        (b"null", "holds null"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b'{"a": 1', "is not JSON"),
    ],
)
def test_a_broken_event_file_is_one_clear_line(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    event = tmp_path / "event.json"
    event.write_bytes(content)

    finished = invoke(event, tmp_path)

    assert finished.returncode == 2
    assert finished.stdout == ""
    assert (
        finished.stderr
        == f"stream-chat invoke: {event}: {problem}" + finished.stderr.split(problem, 1)[1]
    )
    assert finished.stderr.count("\n") == 1 and "Traceback" not in finished.stderr


@pytest.mark.parametrize(("kind", "problem"), [("missing", "no such file"), ("dir", "directory")])
def test_a_missing_file_or_a_directory_is_one_clear_line(
    tmp_path: Path, kind: str, problem: str
) -> None:
    path = tmp_path / "events"
    if kind == "dir":
        path.mkdir()

    finished = invoke(path, tmp_path)

    assert finished.returncode == 2
    assert problem in finished.stderr and finished.stderr.count("\n") == 1


def test_an_unreadable_file_is_one_clear_line(tmp_path: Path) -> None:
    # A socket cannot be opened as a file by anyone (a mode-000 file can, by root, as in CI).
    event = tmp_path / "event.json"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(event))
    finished = invoke(event, tmp_path)
    assert finished.returncode == 2
    assert f"{event}: cannot be read (No such device or address)" in finished.stderr
    assert finished.stderr.count("\n") == 1 and "Traceback" not in finished.stderr


@pytest.mark.parametrize("missing", ["rawPath", "requestContext"])
def test_an_event_without_its_fields_is_a_400_like_on_aws(tmp_path: Path, missing: str) -> None:
    event = chat_event()
    del event[missing]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))

    finished = invoke(path, tmp_path)

    assert finished.returncode == 1
    assert json.loads(finished.stdout)["error"]["code"] == "invalid_event"
    assert "Traceback" not in finished.stderr


def test_invoke_uses_a_throw_away_cancel_store(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(chat_event()))
    (tmp_path / "watch").mkdir()

    finished = invoke(path, tmp_path / "watch")

    assert finished.returncode == 0, finished.stderr
    assert '"type":"done"' in finished.stdout
    assert list((tmp_path / "watch").iterdir()) == [], "nothing left in the temp directory"


def test_a_configured_cancel_store_is_used(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(chat_event()))
    store = tmp_path / "mine.sqlite3"

    finished = invoke(path, tmp_path, STREAM_CHAT_CANCEL_SQLITE_PATH=str(store))

    assert finished.returncode == 0, finished.stderr
    assert store.exists()
