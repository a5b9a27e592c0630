"""The whole path with the real handler: fake Anthropic → SDK → handler → runtime → serve → client,
against a baseline of the SDK reading the same fake server directly.

Latency of a text delta = the moment the client has its frame minus the moment the fake server
sent the delta. The difference between the two paths is what the function and its transport add.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anthropic

from tests.bench.figures import record
from tests.bench.processes import cpu_seconds, post_chunks, serve, summary
from tests.support.serve import clean_env

STREAMS = 3
DELTAS = 300
DELAY_S = 0.005
REQUEST = {"messages": [{"role": "user", "content": "Benchmark"}], "max_tokens": 1024}


def run() -> list[str]:
    with _fake_anthropic() as (base_url, sent):
        direct, sdk_cpu = _baseline(base_url, sent)
        env = clean_env(
            ANTHROPIC_BASE_URL=base_url,
            ANTHROPIC_API_KEY="test-key",
            STREAM_CHAT_PROVIDER="anthropic",
        )
        with serve(env=env) as server:
            _through_serve(server.url, sent)  # warm up the worker and its client
            pids = (server.worker(), server.process.pid)
            before = [cpu_seconds(pid) for pid in pids]
            served: list[float] = []
            for _ in range(STREAMS):
                served += _through_serve(server.url, sent)
            worker_cpu, serve_cpu = (cpu_seconds(p) - b for p, b in zip(pids, before, strict=True))
    frames = STREAMS * DELTAS
    record("added latency per delta p50", (_pct(served, 50) - _pct(direct, 50)) * 1e6, "µs")
    record("added latency per delta p99", (_pct(served, 99) - _pct(direct, 99)) * 1e6, "µs")
    record("CPU per frame, worker (SDK + handler + runtime)", worker_cpu / frames * 1e6, "µs")
    return [
        f"fake Anthropic: {DELTAS} deltas every {DELAY_S * 1e3:.0f} ms, {STREAMS} streams",
        f"SDK reading the fake directly:         {summary(direct)}",
        f"client through serve + runtime + handler: {summary(served)}",
        f"added at p50: {(_pct(served, 50) - _pct(direct, 50)) * 1e6:5.0f} µs, "
        f"at p99: {(_pct(served, 99) - _pct(direct, 99)) * 1e6:5.0f} µs",
        f"CPU per delta, SDK alone (consumer thread): {sdk_cpu * 1e6:6.1f} µs",
        f"CPU per frame, worker (SDK + handler + runtime): {worker_cpu / frames * 1e6:6.1f} µs",
        f"CPU per frame, serve: {serve_cpu / frames * 1e6:6.1f} µs",
    ]


def _baseline(base_url: str, sent: Path) -> tuple[list[float], float]:
    client = anthropic.Anthropic(base_url=base_url, api_key="test-key", max_retries=0)
    latencies: list[float] = []
    cpu = 0.0
    for _ in range(STREAMS + 1):
        arrived = []
        started = time.thread_time()
        for event in client.messages.create(
            model="claude-sonnet-4-5", max_tokens=1024, messages=REQUEST["messages"], stream=True
        ):
            if event.type == "content_block_delta":
                arrived.append(time.time())
        cpu = time.thread_time() - started  # the last stream's, warm
        latencies += _pair(sent, arrived)
    return latencies[DELTAS:], cpu / DELTAS


def _through_serve(url: str, sent: Path) -> list[float]:
    arrived = [
        at
        for at, frame in post_chunks(url, "/api/chat/stream", REQUEST)
        if _frame_type(frame) == "text"
    ]
    return _pair(sent, arrived)


def _frame_type(frame: bytes) -> str | None:
    for line in frame.split(b"\n"):
        if line.startswith(b"data: "):
            return str(json.loads(line[6:])["type"])
    return None


def _pair(log: Path, arrived: list[float]) -> list[float]:
    """Arrival minus send time, delta by delta, for the stream that just ended."""
    if len(arrived) != DELTAS:
        raise RuntimeError(f"{DELTAS} deltas sent but {len(arrived)} arrived")
    deadline = time.monotonic() + 5
    while len(lines := log.read_text().split()) % DELTAS and time.monotonic() < deadline:
        time.sleep(0.01)  # the fake's last line may trail the client's last frame
    sent = [float(line) for line in lines[-DELTAS:]]
    return [a - s for s, a in zip(sent, arrived, strict=True)]


def _pct(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * percent // 100)]


@contextmanager
def _fake_anthropic() -> Iterator[tuple[str, Path]]:
    """(base URL, log of delta send times) of a timed fake server in its own process."""
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "sent.log"
        log.touch()
        command = [
            sys.executable,
            "-m",
            "tests.bench.timed_fake",
            str(log),
            "--delay",
            str(DELAY_S),
            "--count",
            str(DELTAS),
        ]
        process = subprocess.Popen(
            command, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        try:
            assert process.stdout is not None
            ready = process.stdout.readline().decode().split()
            if ready[:1] != ["READY"]:
                raise RuntimeError("the timed fake did not start")
            yield ready[1], log
        finally:
            process.terminate()
            process.wait(10)
