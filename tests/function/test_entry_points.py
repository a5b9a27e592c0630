"""Importing a handler module changes nothing; the runtime's init builds the function.

Each probe runs in a fresh interpreter with an audit hook (PEP 578) that records every file
opened for writing, every directory made, every SQLite database and every socket, and reports
the SIGTERM handler and the threads after the import, then again after ``lambda_handler.init()``:
the second half shows that the probe sees the effects the import must not have.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.serve import clean_env

PROBE = """
import importlib, json, os, signal, sys, threading

WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND
seen = []

def hook(event, args):
    if event == "open":
        path, mode, flags = args
        writes = any(c in mode for c in "wax+") if isinstance(mode, str) else flags & WRITE
        if writes:
            seen.append(f"open {path}")
    elif event in ("os.mkdir", "sqlite3.connect", "socket.__new__", "socket.connect"):
        seen.append(event)

def state():
    return {
        "effects": sorted(set(seen)),
        "sigterm_handled": signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL,
        "threads": threading.active_count(),
    }

sys.addaudithook(hook)
module = importlib.import_module(sys.argv[1])
print(json.dumps(state()))
module.lambda_handler.init()
print(json.dumps(state()))
"""


def closed_port() -> int:
    """A port nothing listens on: the signing keys' fetch fails at once, after its connect."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def probe(module: str, scratch: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    env = clean_env(
        PYTHONDONTWRITEBYTECODE="1",  # the interpreter's own caches are not the module's doing
        TMPDIR=str(scratch),
        STREAM_CHAT_AUTH="cognito",
        STREAM_CHAT_AUTH_ISSUER=f"http://127.0.0.1:{closed_port()}/pool",
        STREAM_CHAT_AUTH_CLIENT_ID="client",
        STREAM_CHAT_CANCEL_SQLITE_PATH=str(scratch / "cancels.sqlite3"),
        STREAM_CHAT_LIMITS_SQLITE_PATH=str(scratch / "limits.sqlite3"),
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE, module],
        env=env,
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith('{"effects"')]
    return json.loads(lines[0]), json.loads(lines[1])


@pytest.mark.parametrize(
    "module", ["stream_chat.handler", "stream_chat.cancel_handler", "stream_chat.resume_handler"]
)
def test_importing_a_handler_module_has_no_side_effects(module: str, tmp_path: Path) -> None:
    imported, built = probe(module, tmp_path)

    assert imported == {"effects": [], "sigterm_handled": False, "threads": 1}
    assert "sqlite3.connect" in built["effects"]
    assert "socket.connect" in built["effects"]


def test_the_streaming_function_handles_sigterm_once_built(tmp_path: Path) -> None:
    imported, built = probe("stream_chat.handler", tmp_path)

    assert not imported["sigterm_handled"]
    assert built["sigterm_handled"]
    assert built["threads"] > 1  # the shutdown watcher
