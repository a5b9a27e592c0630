"""What resumable answers cost: journal writes per 1,000 frames, their DynamoDB write units and
price, and how soon a resume delivers (request → first replayed frame).

Writes: the writer's batching (``journal.writer``) at three paces of text frames, on an injected
clock, then one real answer of 1,000 frames through the streaming function and its writer
thread (the fake provider at 100 frames a second). Write units are DynamoDB's on-demand rule, one
per started kilobyte of item (attribute names and values, the frames compressed), priced at
``WRU_PRICE_USD`` per million. Resume latency: through ``serve``, on the resume function's warm
instance and the SQLite journal; ``replay`` resumes a finished answer, ``live`` one that is still
streaming (the rest of its frames may not be journaled yet: up to one flush interval more).
"""

from __future__ import annotations

import json
import math
import os
import socket
import tempfile
import time
from pathlib import Path

from stream_chat.handler import ChatFunction
from stream_chat.journal import Batch, pack
from stream_chat.journal.sqlite import SQLiteJournal
from stream_chat.journal.writer import Batcher
from stream_chat.protocol.frames import Done, Start, Text, Usage
from stream_chat.protocol.sse import encode_frame
from stream_chat.providers import make_provider
from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from tests.bench.figures import record
from tests.bench.processes import percentiles, post_chunks, serve
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.support.serve import clean_env

FRAMES = 1000
# Text frames a second: the slowest a 1,000-frame answer fits the default 180 s timeout at,
# a slow model, a typical one, a fast one.
PACES = (6, 10, 30, 100)
WRU_PRICE_USD = 0.625 / 1e6  # on-demand write request unit, us-east-1 (a 1 KB write)
RUNS = 10
CHAT = {"messages": [{"role": "user", "content": "Write a long story."}]}
WORDS = ("the", "journal", "keeps", "each", "answer", "so", "a", "client", "can", "resume", "it")
TOKENS = [f"{WORDS[n % len(WORDS)]} " for n in range(FRAMES)]
STREAM_ID = "x" * 32


def run() -> list[str]:
    lines = [f"{FRAMES} text frames of ~5 bytes each; flush at 1 s and 25 frames, 5 s, or 16 KiB"]
    for pace in PACES:
        batches = _batches(pace)
        units = sum(_write_units(batch) for batch in batches)
        record(f"journal writes per 1,000 frames, {pace}/s", len(batches), "writes")
        record(f"DynamoDB WRU per 1,000 frames, {pace}/s", units, "WRU")
        lines.append(
            f"{pace:>3} frames/s: {len(batches)} writes, {units} WRU, "
            f"${units * WRU_PRICE_USD * 1000:.4f} per 1,000 such answers"
        )
    writes = _real_answer_writes()
    record("journal writes, real answer of 1,000 frames at 100/s", writes, "writes")
    lines.append(f"real answer (writer thread, 100 frames/s): {writes} writes")
    replay, live = _resume_latency()
    for name, delays in (("replay", replay), ("live", live)):
        p50, _, worst = percentiles(delays)
        record(f"resume → first replayed frame p50, {name}", p50 * 1e3, "ms")
        record(f"resume → first replayed frame max, {name}", worst * 1e3, "ms")
        lines.append(f"resume, {name}: p50 {p50 * 1e3:.0f} ms, max {worst * 1e3:.0f} ms")
    return lines


def _frames() -> list[bytes]:
    frames = [Start(STREAM_ID, "claude-sonnet-4-6"), *(Text(t) for t in TOKENS)]
    frames += [Usage(1200, FRAMES, cost_usd=0.0186), Done("end_turn")]
    return [encode_frame(n, frame) for n, frame in enumerate(frames, start=1)]


def _batches(pace: float) -> list[Batch]:
    """The batches of an answer at ``pace`` frames a second (an injected clock)."""
    batcher = Batcher(STREAM_ID, "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9", time.time(), 1.0)
    written = []
    for n, frame in enumerate(_frames()):
        now = n / pace
        if (wait := batcher.wait(now)) is not None and wait <= 0:
            written.append(batcher.take())
        batcher.add(frame, now)
        if batcher.wait(now) == 0.0:
            written.append(batcher.take())
    if batcher.wait(math.inf) is not None:
        written.append(batcher.take())
    return written


def _write_units(batch: Batch) -> int:
    """DynamoDB's item size (names plus values; a number ~1 byte per 2 digits + 1), in 1 KB
    write units."""
    names = ("stream_id", "batch", "owner", "first_id", "frames", "done", "deadline_at")
    size = sum(len(name) for name in (*names, "expires_at"))
    size += len(batch.stream_id) + len(batch.owner) + len(pack(batch.frames)) + 1
    size += sum(len(str(number)) // 2 + 2 for number in (batch.number, batch.first_id))
    size += 2 * (10 // 2 + 2)  # deadline_at, expires_at: epoch seconds
    return math.ceil(size / 1024)


def _real_answer_writes() -> int:
    with tempfile.TemporaryDirectory() as scratch, FakeAnthropic() as fake:
        fake.enqueue(Reply(texts=TOKENS, delay_s=0.01))
        settings = Settings(
            provider="anthropic",
            cancel_backend="none",
            journal_sqlite_path=str(Path(scratch) / "journal.sqlite3"),
            limits_sqlite_path=str(Path(scratch) / "limits.sqlite3"),
        )
        journal = SQLiteJournal(settings.journal_sqlite_path, ttl_s=60)
        # The SDK reads its base URL and key from the environment, as it does on Lambda.
        os.environ.update(ANTHROPIC_BASE_URL=fake.base_url, ANTHROPIC_API_KEY=fake.api_key)
        function = ChatFunction(settings, make_provider(settings), None, journal=journal)
        response = function(_chat_event(), LambdaContext.local("bench", 60))
        stream_id = response.headers["x-stream-id"]
        b"".join(response.body)  # the relay runs as the body is read, as the runtime does
        return len(journal.read(stream_id))


def _chat_event() -> dict[str, object]:
    path = "/api/chat/stream"
    return {
        "version": "2.0",
        "rawPath": path,
        "body": json.dumps(CHAT),
        "isBase64Encoded": False,
        "headers": {},
        "requestContext": {"http": {"method": "POST", "path": path, "sourceIp": "127.0.0.1"}},
    }


def _resume_latency() -> tuple[list[float], list[float]]:
    replay: list[float] = []
    live: list[float] = []
    with FakeAnthropic() as fake:
        env = clean_env(ANTHROPIC_BASE_URL=fake.base_url, ANTHROPIC_API_KEY=fake.api_key)
        with serve("--workers", "2", env=env) as server:
            for _ in range(RUNS):
                fake.enqueue(Reply(texts=TOKENS[:60], delay_s=0.02))
                stream_id = _read_and_drop(server.url, 20)
                live.append(_first_frame_after(server.url, stream_id, 20))
                time.sleep(1.5)  # the answer is over and journaled to done
                replay.append(_first_frame_after(server.url, stream_id, 20))
    return replay, live


def _read_and_drop(url: str, count: int) -> str:
    """Start an answer, read ``count`` frames, drop the connection; its stream id."""
    chunks = post_chunks(url, "/api/chat/stream", CHAT)
    seen = b""
    for _, data in chunks:
        seen += data
        if seen.count(b"\n\n") >= count:
            break
    chunks.close()  # type: ignore[attr-defined]
    return seen.split(b'"stream_id":"', 1)[1].split(b'"', 1)[0].decode()


def _first_frame_after(url: str, stream_id: str, last_id: int) -> float:
    """Seconds from sending the resume to the arrival of its first frame (not a heartbeat)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        started = time.perf_counter()
        sock.sendall(
            f"GET /api/chat/stream/{stream_id} HTTP/1.1\r\nHost: {host}\r\n"
            f"Last-Event-ID: {last_id}\r\n\r\n".encode()
        )
        reader = sock.makefile("rb")
        while reader.readline() not in (b"\r\n", b""):
            pass
        while size := int(reader.readline(), 16):
            data = reader.read(size + 2)[:-2]
            if data.startswith(f"id: {last_id + 1}\n".encode()):
                return time.perf_counter() - started
        raise RuntimeError("the resume ended without a frame")
