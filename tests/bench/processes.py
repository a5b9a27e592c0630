"""What the benchmarks share: ``serve`` as a subprocess, a raw chunk reader, CPU and percentiles."""

from __future__ import annotations

import json
import os
import re
import signal
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

ROOT = Path(__file__).resolve().parents[2]
PYTHONPATH = os.pathsep.join(str(ROOT / p) for p in ("functions", "local", ""))
TICKS = os.sysconf("SC_CLK_TCK")


def base_env(**extra: str) -> dict[str, str]:
    """The caller's environment without its own stream-chat, Anthropic or AWS configuration."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STREAM_CHAT_", "ANTHROPIC_", "AWS_"))
    }
    env.update(
        PYTHONPATH=PYTHONPATH,
        PYTHONUNBUFFERED="1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    env.update(extra)
    return env


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


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


class Serve:
    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process = process
        self.url = url

    def worker(self) -> int:
        (pid,) = children(self.process.pid)  # run with --workers 1
        return pid


@contextmanager
def serve(*options: str, env: Mapping[str, str]) -> Iterator[Serve]:
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "serve.log"
        command = [
            sys.executable,
            "-m",
            "stream_chat_local.cli",
            "serve",
            "--port",
            "0",
            "--workers",
            "1",
            *options,
        ]
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command, env=dict(env), stdout=sink, stderr=sink, stdin=subprocess.DEVNULL
            )
        try:
            yield Serve(process, _wait_for_url(log))
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(15)


def _wait_for_url(log: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if found := re.search(r"serve: (http://\S+?)/?$", log.read_text(), re.MULTILINE):
            return found[1]
        time.sleep(0.02)
    raise RuntimeError(f"serve did not start: {log.read_text()}")


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


def summary(seconds: list[float]) -> str:
    """p50 / p99 / max in microseconds."""
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    us = [v * 1e6 for v in (cuts[49], cuts[98], max(seconds))]
    return f"p50 {us[0]:7.0f} µs   p99 {us[1]:7.0f} µs   max {us[2]:7.0f} µs   (n={len(seconds)})"
