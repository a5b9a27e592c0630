"""Concurrency like Lambda's, a graceful stop, and a scratch directory that never leaks."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

from tests.local.conftest import StartServe, StreamClient, alive, children
from tests.local.test_serve import chat, read_stream
from tests.support.protocol import ProtocolReader, types_of
from tests.support.serve import clean_env, running_serve

SLOW = {"STREAM_CHAT_PROVIDER": "demo", "STREAM_CHAT_DEMO_TOKEN_DELAY_S": "0.05"}


def timed_status(client: StreamClient, into: dict[str, Any], started: float) -> None:
    status, headers = client.head()
    into.update(status=status, headers=headers, after=time.monotonic() - started)


def test_past_the_workers_a_request_waits_then_gets_429_and_a_full_queue_429s_at_once(
    start_serve: StartServe,
) -> None:
    # A 2 s wait keeps "at once" (under 1.2 s) and "after waiting" apart on a busy machine.
    serve = start_serve("--workers", "1", "--queue", "1", "--queue-timeout", "2", **SLOW)
    running = serve.request("POST", "/api/chat/stream", chat("a long answer"))
    assert running.head()[0] == 200

    waiting: dict[str, Any] = {}
    started = time.monotonic()
    waiter = serve.request("POST", "/api/chat/stream", chat("second"))
    thread = threading.Thread(target=timed_status, args=(waiter, waiting, started))
    thread.start()
    time.sleep(0.6)  # the second one is queued by now
    overflow_started = time.monotonic()
    overflow = serve.request("POST", "/api/chat/stream", chat("third"))
    status, headers = overflow.head()
    overflow_after = time.monotonic() - overflow_started
    thread.join(10)

    assert (status, headers["retry-after"]) == (429, "1")
    assert overflow_after < 1.2, "a full queue answers at once"
    assert waiting["status"] == 429 and waiting["headers"]["retry-after"] == "1"
    assert waiting["after"] >= 1.9, "the queued request waited its turn first"
    assert overflow.body() == b'{"Message": "Rate Exceeded."}'


def test_a_queued_request_runs_when_an_instance_frees_up(start_serve: StartServe) -> None:
    serve = start_serve("--workers", "1", "--queue", "4", "--queue-timeout", "30", **SLOW)
    first = serve.request("POST", "/api/chat/stream", chat("first", max_tokens=20), timeout=30)
    assert first.head()[0] == 200
    second = serve.request("POST", "/api/chat/stream", chat("second", max_tokens=5), timeout=30)

    first_frames = read_stream(first)
    assert second.head()[0] == 200
    assert read_stream(second)[-1] == {"type": "done", "stop_reason": "max_tokens"}
    assert first_frames[-1] == {"type": "done", "stop_reason": "max_tokens"}


def test_sigterm_ends_every_stream_with_a_shutdown_error_then_done(
    start_serve: StartServe, tmp_path: Path
) -> None:
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    serve = start_serve("--workers", "3", "--queue-timeout", "30", TMPDIR=str(scratch_root), **SLOW)
    streams = [
        serve.request("POST", "/api/chat/stream", chat(f"q{n}"), timeout=30) for n in range(3)
    ]
    readers = []
    for client in streams:
        assert client.head()[0] == 200
        reader = ProtocolReader()
        while not any(frame["type"] == "text" for frame in reader.frames):
            reader.feed(client.chunk() or b"")
        readers.append(reader)
    queued = serve.request("POST", "/api/chat/stream", chat("queued"), timeout=30)
    workers = serve.workers()
    assert [path.name[:12] for path in scratch_root.iterdir()] == ["stream-chat-"]

    stopped_at = time.monotonic()
    serve.process.send_signal(signal.SIGTERM)
    for client, reader in zip(streams, readers, strict=True):
        for chunk in client.chunks():  # raises Truncated if a body was cut
            reader.feed(chunk)
        reader.close()
    ended_after = time.monotonic() - stopped_at

    for reader in readers:
        assert types_of(reader.frames)[-3:] == ["error", "usage", "done"]
        assert reader.frames[-3]["code"] == "shutdown"
        assert reader.frames[-1] == {"type": "done", "stop_reason": "error"}
    assert ended_after < 2.0
    assert queued.head()[0] == 503
    assert serve.process.wait(15) == 0
    assert not [pid for pid in workers if alive(pid)]
    assert list(scratch_root.iterdir()) == []


def test_a_scratch_directory_left_by_a_killed_serve_is_removed_by_the_next(
    tmp_path: Path,
) -> None:
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    env = clean_env(TMPDIR=str(scratch_root), STREAM_CHAT_PROVIDER="demo")
    with running_serve(env=env, log_path=tmp_path / "first.log") as first:
        (left,) = scratch_root.iterdir()
        workers = children(first.process.pid)
        first.process.kill()
        first.process.wait(10)
    assert left.exists(), "SIGKILL: nothing could clean up"
    # The orphaned workers exit by themselves: their Runtime API went away with serve (one still
    # in its cold start notices when it asks for its first invocation).
    deadline = time.monotonic() + 30
    while [pid for pid in workers if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers, "serve had started its first instance"
    assert not [pid for pid in workers if alive(pid)], "an orphaned worker lived on"

    with running_serve(env=env, log_path=tmp_path / "second.log") as second:
        remaining = list(scratch_root.iterdir())
        assert left not in remaining
        assert [path.name.split("-")[2] for path in remaining] == [str(second.process.pid)]
    assert list(scratch_root.iterdir()) == []
