"""``serve --snap-start`` against plain workers, side by side in one run.

For each mode, RUNS new workers each answer one chat at once (the real handler, the fake
Anthropic server reached by the real SDK, SQLite cancels as ``serve`` runs them):

- restored-to-ready: from the emulated ``/restore/next`` answer to the worker's first
  ``/invocation/next`` (the after-restore hooks and everything else in between);
- first byte: from asking for a new worker (``Popen``, or a fork of the ready template) to the
  response's prelude, and to its first text frame (the model's first token);
- USS per worker after its answer: the memory only that worker holds (``Private_*`` of
  ``/proc/<pid>/smaps_rollup``); pages it still shares with the template, copy-on-write, are not
  counted, as they are not paid twice. Peak RSS (``VmHWM``) beside it: all the memory an
  instance touches, which is what sizes a Lambda function's memory.

The template's own init is not timed here: on Lambda it happens when a version is published.
"""

from __future__ import annotations

import queue
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from stream_chat_local.invocation import Chunk, Failed, Finished, Invocation, Part, Prelude
from stream_chat_local.snapshot import ForkedWorker, Snapshot
from stream_chat_local.workers import Worker
from tests.bench import figures
from tests.bench.init_time import chat_event
from tests.fakes.anthropic_server import FakeAnthropic
from tests.support.serve import clean_env

RUNS = 5
HANDLER = {"_HANDLER": "stream_chat.handler.lambda_handler", "AWS_REGION": "us-east-1"}


def run() -> list[str]:
    with FakeAnthropic() as fake, tempfile.TemporaryDirectory() as scratch:
        env = clean_env(
            **HANDLER,
            ANTHROPIC_API_KEY=fake.api_key,
            ANTHROPIC_BASE_URL=fake.base_url,
            STREAM_CHAT_CANCEL_BACKEND="sqlite",
            STREAM_CHAT_CANCEL_SQLITE_PATH=str(Path(scratch) / "c.sqlite3"),
        )
        plain = [_measure(lambda: Worker(env)) for _ in range(RUNS)]
        snapshot = Snapshot(env)
        try:
            snapshot_ready = _template_ready(snapshot)
            forked = [_measure(lambda: ForkedWorker(snapshot)) for _ in range(RUNS)]
            template_uss = _uss(snapshot.process.pid)
        finally:
            snapshot.close()
    _record(plain, forked)
    return [
        f"{'':34} {'without --snap-start':>24} {'with --snap-start':>24}",
        _row("restored-to-ready", [], [m["ready"] for m in forked]),
        _row("new worker: first byte (prelude)", *_both(plain, forked, "prelude")),
        _row("new worker: first token", *_both(plain, forked, "token")),
        _row("USS per worker after an answer", *_both(plain, forked, "uss"), unit="MB"),
        _row("peak RSS per worker (VmHWM)", *_both(plain, forked, "peak"), unit="MB"),
        f"template (init once, then only forks): ready after {snapshot_ready * 1e3:.0f} ms, "
        f"USS {template_uss:.0f} MB",
        f"({RUNS} new workers per mode; medians, range in brackets)",
    ]


def _record(plain: list[dict[str, float]], forked: list[dict[str, float]]) -> None:
    def median(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    figures.record("restored-to-ready, median", median(forked, "ready") * 1e3, "ms")
    for mode, runs in (("plain", plain), ("--snap-start", forked)):
        figures.record(
            f"new worker first byte ({mode}), median", median(runs, "prelude") * 1e3, "ms"
        )
        figures.record(
            f"new worker first token ({mode}), median", median(runs, "token") * 1e3, "ms"
        )
        figures.record(f"USS per worker ({mode}), median", median(runs, "uss"), "MB")
    figures.detail("runs", {"plain": plain, "snap_start": forked})


def _measure(new_worker: Callable[[], Worker]) -> dict[str, float]:
    started = time.time()
    worker = new_worker()
    try:
        parts: queue.SimpleQueue[tuple[float, Part]] = queue.SimpleQueue()
        worker.api.submit(Invocation(chat_event(), 30, lambda p: parts.put((time.time(), p))))
        times: dict[str, float] = {}
        while True:
            at, part = parts.get(timeout=60)
            if isinstance(part, Failed):
                raise RuntimeError(f"the answer failed: {part.diagnostic}")
            if isinstance(part, Prelude):
                times["prelude"] = at - started
            if isinstance(part, Chunk) and b"event: text" in part.data and "token" not in times:
                times["token"] = at - started
            if isinstance(part, Finished):
                break
        api = worker.api
        if api.restored_at is not None and api.first_next_at is not None:
            times["ready"] = api.first_next_at - api.restored_at
        time.sleep(0.2)  # the answer's last writes and cleanup
        times["uss"] = _uss(worker.pid)
        times["peak"] = _peak_rss(worker.pid)
        return times
    finally:
        worker.stop()


def _template_ready(snapshot: Snapshot) -> float:
    """Seconds until the template's init is done (the first fork waits for it)."""
    started = time.time()
    worker = ForkedWorker(snapshot)
    ready = time.time() - started
    worker.stop()
    return ready


def _uss(pid: int) -> float:
    """Unique set size in MB: the private pages of a process."""
    private = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            private += int(line.split()[1])
    return private / 1024


def _peak_rss(pid: int) -> float:
    """The most resident memory the process ever had, in MB: what sizes a Lambda instance."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _both(
    plain: list[Mapping[str, float]], forked: list[Mapping[str, float]], key: str
) -> tuple[list[float], list[float]]:
    return [m[key] for m in plain], [m[key] for m in forked]


def _row(name: str, plain: list[float], forked: list[float], unit: str = "ms") -> str:
    return f"{name:34} {_cell(plain, unit):>24} {_cell(forked, unit):>24}"


def _cell(values: list[float], unit: str) -> str:
    if not values:
        return "—"
    scale = 1e3 if unit == "ms" else 1.0
    low, mid, high = (v * scale for v in (min(values), statistics.median(values), max(values)))
    return (
        f"{mid:.0f} {unit} [{low:.0f}–{high:.0f}]"
        if unit == "ms"
        else f"{mid:.1f} {unit} [{low:.1f}–{high:.1f}]"
    )
