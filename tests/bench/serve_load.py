"""``serve`` under load: 300 concurrent streams, a burst of 1,000 connections, 5,000 idle ones.

Each stream must end with ``done`` or a prompt 429 (throttled past ``--workers`` and the wait
queue); no connection may be reset, cut off or left hanging. The client is one asyncio loop, so
the load it offers is limited by the server, not by client threads.
"""

from __future__ import annotations

import asyncio
import collections
import json
import resource
import statistics
import time
from typing import Any

from tests.bench.figures import record
from tests.bench.processes import serve
from tests.support.serve import clean_env

STREAMS = 300
BURST = 1000
IDLE = 5000
WORKERS = 8
QUEUE = 64
QUEUE_TIMEOUT_S = 5.0
CHAT = {"messages": [{"role": "user", "content": "load"}], "max_tokens": 40}
HANG_S = 60.0


def run() -> list[str]:
    _raise_fd_limit()
    env = clean_env(STREAM_CHAT_PROVIDER="demo", STREAM_CHAT_DEMO_TOKEN_DELAY_S="0.02")
    options = ("--workers", str(WORKERS), "--queue", str(QUEUE))
    with serve(*options, "--queue-timeout", str(QUEUE_TIMEOUT_S), env=env) as server:
        host, port = server.url.removeprefix("http://").split(":")
        streams = asyncio.run(_streams(host, int(port)))
        burst = asyncio.run(_burst(host, int(port)))
        idle = asyncio.run(_idle(host, int(port)))
        traceback_free = "Traceback" not in server.output()
    return [*streams, *burst, *idle, f"server log free of tracebacks: {traceback_free}"]


async def _streams(host: str, port: int) -> list[str]:
    started = time.monotonic()
    results = await asyncio.gather(*(_one_stream(host, port) for _ in range(STREAMS)))
    took = time.monotonic() - started
    kinds = collections.Counter(kind for kind, _ in results)
    throttled = [after for kind, after in results if kind == "429"]
    done = [after for kind, after in results if kind == "done"]
    record(f"{STREAMS} concurrent streams: done", len(done), "count")
    record(f"{STREAMS} concurrent streams: 429", len(throttled), "count")
    record(
        f"{STREAMS} concurrent streams: reset, cut off or hung",
        STREAMS - len(done) - len(throttled),
        "count",
    )
    return [
        f"{STREAMS} concurrent streams, --workers {WORKERS} --queue {QUEUE} "
        f"--queue-timeout {QUEUE_TIMEOUT_S:g}: {dict(kinds)} in {took:.1f} s",
        f"  done: {len(done)}, last after {max(done, default=0):.1f} s; "
        f"429: {len(throttled)}, answered after {_spread(throttled)}",
        f"  reset, cut off or hung: {STREAMS - kinds['done'] - kinds['429']}",
    ]


async def _one_stream(host: str, port: int) -> tuple[str, float]:
    started = time.monotonic()
    body = json.dumps(CHAT).encode()
    head = (
        f"POST /api/chat/stream HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    try:
        async with asyncio.timeout(HANG_S):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(head.encode() + body)
            data = await reader.read()  # the server closes after the response
            writer.close()
    except TimeoutError:
        return "hung", time.monotonic() - started
    except OSError as exc:
        return type(exc).__name__, time.monotonic() - started
    return _classify(data), time.monotonic() - started


def _classify(data: bytes) -> str:
    status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "none"
    if status == "429":
        return "429"
    if status != "200":
        return status
    ended = data.endswith(b"0\r\n\r\n") and b'"type":"done"' in data
    return "done" if ended else "cut off"


async def _burst(host: str, port: int) -> list[str]:
    request = f"GET /config.json HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    started = time.monotonic()
    results = await asyncio.gather(*(_fetch(host, port, request.encode()) for _ in range(BURST)))
    took = time.monotonic() - started
    kinds = collections.Counter(kind for kind, _ in results)
    return [
        f"burst of {BURST} connections to /config.json: {dict(kinds)} in {took:.2f} s, "
        f"each answered after {_spread([after for _, after in results])}"
    ]


async def _fetch(host: str, port: int, request: bytes) -> tuple[str, float]:
    started = time.monotonic()
    try:
        async with asyncio.timeout(HANG_S):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            data = await reader.read()
            writer.close()
    except TimeoutError:
        return "hung", time.monotonic() - started
    except OSError as exc:
        return type(exc).__name__, time.monotonic() - started
    ok = data.startswith(b"HTTP/1.1 200") and data.endswith(b"}")
    return ("200" if ok else "bad"), time.monotonic() - started


async def _idle(host: str, port: int) -> list[str]:
    """Open IDLE connections that send nothing, close them all at once, then ask for a page."""
    opened: list[Any] = []
    for start in range(0, IDLE, 500):
        batch = [asyncio.open_connection(host, port) for _ in range(min(500, IDLE - start))]
        opened += await asyncio.gather(*batch)
    request = f"GET /config.json HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    during, during_s = await _fetch(host, port, request.encode())
    for _, writer in opened:
        writer.close()
    after, after_s = await _fetch(host, port, request.encode())
    return [
        f"{IDLE} idle connections: a page while they were open: {during} in {during_s * 1e3:.0f} "
        f"ms; right after they all closed: {after} in {after_s * 1e3:.0f} ms"
    ]


def _spread(seconds: list[float]) -> str:
    if not seconds:
        return "-"
    cuts = statistics.quantiles(seconds, n=100, method="inclusive") if len(seconds) > 1 else seconds
    p50, p99 = (cuts[49], cuts[98]) if len(seconds) > 1 else (seconds[0], seconds[0])
    return f"p50 {p50:.2f} s, p99 {p99:.2f} s, max {max(seconds):.2f} s"


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, IDLE * 2 + 1000) if hard != resource.RLIM_INFINITY else IDLE * 2 + 1000
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
