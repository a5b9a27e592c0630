"""``serve --snap-start``: workers forked from one initialised template, released through
``/restore/next``, each a restored copy with its own randomness and its own sockets."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from tests.fakes.anthropic_server import FakeAnthropic
from tests.local.conftest import Serve, StartServe, alive, children
from tests.local.test_serve import chat
from tests.local.test_serve_cancel import (
    cancel,
    check_stopped,
    slow_fake,
    start,
    stream_some_text,
)
from tests.support.protocol import ProtocolReader, types_of

REPORT = "tests.runtime.snapshot_handlers.report"
__all__ = ["slow_fake"]  # a fixture, used by name
HOOKS_OF_A_RESTORED_COPY = ["before-2", "before-1", "after-1", "after-2"]


def template_of(serve: Serve) -> int:
    (pid,) = [
        pid
        for pid in children(serve.process.pid)
        if b"snapshot_template" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    return pid


def sockets(pid: int) -> set[str]:
    """The socket inodes a process holds open (``socket:[inode]``)."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:"):
            found.add(target)
    return found


def report(serve: Serve, sleep_s: float = 0.0, timeout: float = 30.0) -> dict[str, Any]:
    client = serve.request("POST", "/api/report", {"sleep_s": sleep_s}, timeout=timeout)
    assert client.head()[0] == 200
    answer: dict[str, Any] = json.loads(client.body())
    return answer


def concurrently(serve: Serve, count: int) -> list[dict[str, Any]]:
    """``count`` answers from as many workers: each holds its worker long enough for the rest."""
    answers: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda: answers.append(report(serve, sleep_s=1.5)))
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == count
    return answers


def test_forked_workers_are_restored_copies_with_their_own_randomness_and_sockets(
    start_serve: StartServe,
) -> None:
    serve = start_serve("--snap-start", "--workers", "2", "--handler", REPORT)
    template = template_of(serve)

    first, second = concurrently(serve, 2)

    assert first["pid"] != second["pid"]
    assert first["ppid"] == second["ppid"] == template, "forked from the initialised template"
    assert first["hooks"] == second["hooks"] == HOOKS_OF_A_RESTORED_COPY, (
        "before-snapshot hooks ran once, in the template; after-restore hooks in each copy"
    )
    assert first["random"] != second["random"]
    held = {pid: sockets(pid) for pid in (template, first["pid"], second["pid"])}
    assert held[first["pid"]] and held[second["pid"]], "each serves over sockets of its own"
    assert not held[first["pid"]] & held[template], "a pre-snapshot socket was inherited"
    assert not held[second["pid"]] & held[template], "a pre-snapshot socket was inherited"
    assert not held[first["pid"]] & held[second["pid"]]
    assert serve.stop() == 0
    assert not [pid for pid in held if alive(pid)], "a forked worker outlived serve"


def test_two_restored_copies_draw_different_stream_ids(start_serve: StartServe) -> None:
    serve = start_serve("--snap-start", "--workers", "2", STREAM_CHAT_DEMO_TOKEN_DELAY_S="0.1")
    template = template_of(serve)
    clients = [serve.request("POST", "/api/chat/stream", chat("hi"), timeout=30) for _ in range(2)]
    heads = [client.head() for client in clients]  # both streams open at once: two workers

    assert [status for status, _ in heads] == [200, 200]
    stream_ids = {headers["x-stream-id"] for _, headers in heads}
    for client in clients:
        assert b"event: done" in b"".join(client.chunks())
    assert len(stream_ids) == 2
    assert len(children(template)) == 2


def test_a_before_snapshot_hook_failure_is_reported_as_lambda_reports_it(
    start_serve: StartServe,
) -> None:
    serve = start_serve("--snap-start", "--handler", REPORT, TOY_FAILING_HOOK="before")

    client = serve.request("POST", "/api/report", {}, timeout=30)

    assert client.head()[0] == 502
    assert json.loads(client.body()) == {"Message": "Internal Server Error"}
    serve.wait_for_log('"errorType": "Runtime.BeforeSnapshotError"')
    assert "the before-snapshot hook refused" in serve.output()


def test_an_after_restore_hook_failure_is_reported_as_lambda_reports_it(
    start_serve: StartServe,
) -> None:
    serve = start_serve("--snap-start", "--handler", REPORT, TOY_FAILING_HOOK="after")

    client = serve.request("POST", "/api/report", {}, timeout=30)

    assert client.head()[0] == 502
    serve.wait_for_log('"errorType": "Runtime.AfterRestoreError"')
    assert "the after-restore hook refused" in serve.output()


def test_a_forked_worker_past_its_deadline_is_killed_and_replaced_by_a_new_fork(
    start_serve: StartServe,
) -> None:
    serve = start_serve("--snap-start", "--timeout", "1", "--workers", "1", "--handler", REPORT)
    template = template_of(serve)
    first = report(serve)

    client = serve.request("POST", "/api/report", {"sleep_s": 30}, timeout=30)
    started = time.monotonic()
    client.head()  # whatever the answer, it comes when serve gives up on the worker
    assert time.monotonic() - started < 10
    serve.wait_for_log("Task timed out after 1.00 seconds")

    deadline = time.monotonic() + 10
    while alive(first["pid"]):
        assert time.monotonic() < deadline, "the worker past its deadline is still running"
        time.sleep(0.05)
    again = report(serve)
    assert again["pid"] != first["pid"] and again["ppid"] == template
    assert again["hooks"] == HOOKS_OF_A_RESTORED_COPY


def test_a_forked_worker_ends_its_stream_cleanly_on_sigterm_and_alone(
    start_serve: StartServe,
) -> None:
    serve = start_serve("--snap-start", "--workers", "2", STREAM_CHAT_DEMO_TOKEN_DELAY_S="0.05")
    template = template_of(serve)
    client = serve.request("POST", "/api/chat/stream", chat("hello"), timeout=30)
    assert client.head()[0] == 200
    reader = ProtocolReader()
    while not any(frame["type"] == "text" for frame in reader.frames):
        reader.feed(client.chunk() or b"")
    (worker,) = children(template)

    os.kill(worker, signal.SIGTERM)  # its own shutdown watcher, not the template's, hears it
    for chunk in client.chunks():
        reader.feed(chunk)
    reader.close()

    assert types_of(reader.frames)[-3:] == ["error", "usage", "done"]
    assert reader.frames[-3]["code"] == "shutdown"
    assert alive(template), "the template must not take a worker's SIGTERM for its own"
    again = serve.request("POST", "/api/chat/stream", chat("again"), timeout=30)
    assert again.head()[0] == 200
    assert b"event: done" in b"".join(again.chunks())


def test_a_forked_worker_answers_through_the_sdk_and_its_cancel_stops_the_upstream(
    start_serve: StartServe, slow_fake: FakeAnthropic
) -> None:
    serve = start(start_serve, slow_fake, "--snap-start")
    client, reader, stream_id = stream_some_text(serve)
    (worker,) = children(template_of(serve))

    answered = cancel(serve, stream_id)

    check_stopped(slow_fake, client, reader, answered)
    assert alive(worker), "the forked worker answered, and lives on for the next event"
