"""Per-frame latency and CPU that the runtime loop and ``serve`` add, with a fixed-rate producer.

The producer (``tests.bench.ticker``) stamps each frame as it yields it; the client stamps it on
arrival. CPU over the measured streams comes from the worker's scheduler statistics (ns) and serve's
``/proc/<pid>/stat`` (clock ticks: serve's request threads come and go).
"""

from __future__ import annotations

import time

from tests.bench import ticker
from tests.bench.figures import record
from tests.bench.processes import (
    cpu_seconds,
    cpu_seconds_exact,
    percentiles,
    post_chunks,
    serve,
    summary,
)
from tests.support.serve import clean_env

STREAMS = 4
FRAMES = 1000
INTERVAL_S = 0.002


def run() -> list[str]:
    with serve("--handler", "tests.bench.ticker.handler", env=clean_env()) as server:
        _stream(server.url, 50)  # warm: the worker's cold start and first-request costs
        worker = server.worker()
        cpu_before = cpu_seconds_exact(worker), cpu_seconds(server.process.pid)
        latencies: list[float] = []
        for _ in range(STREAMS):
            latencies += _stream(server.url, FRAMES)
        worker_cpu = cpu_seconds_exact(worker) - cpu_before[0]
        serve_cpu = cpu_seconds(server.process.pid) - cpu_before[1]
    frames = STREAMS * FRAMES
    producer = _producer_cpu_per_frame()
    p50, p99, _ = percentiles(latencies)
    record("added latency per frame p50", p50 * 1e6, "µs")
    record("added latency per frame p99", p99 * 1e6, "µs")
    record("CPU per frame, runtime worker", (worker_cpu / frames - producer) * 1e6, "µs")
    record(
        "CPU per frame, runtime + serve", ((worker_cpu + serve_cpu) / frames - producer) * 1e6, "µs"
    )
    return [
        f"producer: {FRAMES} frames every {INTERVAL_S * 1e3:.0f} ms, {STREAMS} streams, one worker",
        f"added latency per frame (runtime + serve + client read): {summary(latencies)}",
        f"CPU per frame, runtime worker: {worker_cpu / frames * 1e6:6.1f} µs "
        f"(of which the producer itself ~{producer * 1e6:.1f} µs)",
        f"CPU per frame, serve (front + emulated Runtime API): {serve_cpu / frames * 1e6:6.1f} µs",
        f"CPU per frame, end to end without the producer: "
        f"{((worker_cpu + serve_cpu) / frames - producer) * 1e6:6.1f} µs",
    ]


def _stream(url: str, count: int) -> list[float]:
    payload = {"frames": count, "interval_s": INTERVAL_S}
    latencies = [
        arrived - ticker.produced_at(frame)
        for arrived, frame in post_chunks(url, "/api/bench", payload)
    ]
    if len(latencies) != count:
        raise RuntimeError(f"expected {count} frames, got {len(latencies)}")
    return latencies


def _producer_cpu_per_frame() -> float:
    """The ticker's own cost at the same rate (formatting, clocks, waking from its sleep)."""
    started = time.thread_time()
    for _ in ticker.frames(FRAMES, INTERVAL_S):
        pass
    return (time.thread_time() - started) / FRAMES
