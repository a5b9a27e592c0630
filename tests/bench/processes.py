"""What the benchmarks share: ``serve`` as a subprocess, a raw chunk reader, CPU and percentiles."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.serve import ServeProcess, running_serve

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all its threads included (clock-tick resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def cpu_seconds_exact(pid: int) -> float:
    """CPU of a process's live threads in nanosecond resolution (scheduler statistics): exact
    for a process whose threads all outlive the measurement, such as a runtime worker."""
    return (
        sum(
            int(stat.read_text().split()[0])
            for stat in Path(f"/proc/{pid}/task").glob("*/schedstat")
        )
        / 1e9
    )


def peak_rss_mb(pid: int) -> float:
    """A process's resident-memory high-water mark so far (``VmHWM``), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _function_name(pid: int) -> bytes:
    for entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
        if entry.startswith(b"AWS_LAMBDA_FUNCTION_NAME="):
            return entry.split(b"=", 1)[1]
    return b""


class Serve(ServeProcess):
    def worker(self, function: bytes = b"stream-chat") -> int:
        """The function's one instance (the streaming one runs with --workers 1)."""
        (pid,) = [p for p in children(self.process.pid) if _function_name(p) == function]
        return pid


@contextmanager
def serve(*options: str, env: Mapping[str, str]) -> Iterator[Serve]:
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "serve.log"
        # --workers 1 unless the options say otherwise (argparse keeps the last one).
        with running_serve("--workers", "1", *options, env=env, log_path=log) as running:
            yield Serve(running.process, running.url, log)


def post_chunks(url: str, path: str, payload: Any) -> Iterator[tuple[float, bytes]]:
    """POST and yield ``(time.time() on arrival, chunk data)`` for each chunk of the response."""
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps(payload).encode()
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        reader = sock.makefile("rb")
        while reader.readline() not in (b"\r\n", b""):
            pass
        while size := int(reader.readline(), 16):
            data = reader.read(size + 2)[:-2]
            yield time.time(), data


def percentiles(seconds: list[float]) -> tuple[float, float, float]:
    """p50, p99 and max, in seconds."""
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return cuts[49], cuts[98], max(seconds)


def summary(seconds: list[float]) -> str:
    """p50 / p99 / max in microseconds."""
    us = [v * 1e6 for v in percentiles(seconds)]
    return f"p50 {us[0]:7.0f} µs   p99 {us[1]:7.0f} µs   max {us[2]:7.0f} µs   (n={len(seconds)})"


def browser_scenario(test: str, mark: str) -> Any:
    """Run one browser test in its own pytest process (Playwright's loop must not meet the
    bench's) and return the JSON it printed after ``mark``."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", test],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    printed = [line for line in result.stdout.splitlines() if line.startswith(mark)]
    if result.returncode != 0 or not printed:
        raise RuntimeError(f"the scenario {test} failed:\n{result.stdout[-2000:]}")
    return json.loads(printed[-1].removeprefix(mark))
