"""A fixed-seed fuzz of malformed request heads: each one gets an HTTP answer, none a traceback.

The heads are drawn from a seeded generator (the same every run, so a failure reproduces): a
request line, headers and line endings assembled from valid and broken pieces, then a few random
bytes flipped. Every head must get a status line back promptly, with a status the front means.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.local.conftest import RawResponse, Serve, exchange, host_of
from tests.support.serve import clean_env, running_serve

SEED = 20261129
CASES = 400
EXPECTED = {200, 400, 403, 404, 405, 408, 411, 413, 414, 415, 431, 501, 505}

METHODS = [b"GET", b"POST", b"HEAD", b"PUT", b"OPTIONS", b"", b"G\x00T", b"get", b"BREW", b"P O"]
TARGETS = [
    b"/",
    b"/api/chat/stream",
    b"/config.json",
    b"/%00",
    b"/%",
    b"/%zz/../..",
    b"*",
    b"http://evil.example/",
    b"/a b",
    b"/\x7f",
    b"/\xc3\xa9",
    b"/api/chat/stream/x/cancel",
]
VERSIONS = [b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1", b"HTTP/1.1x", b"", b"HTTPS/1.1"]
HEADERS = [
    b"Content-Length: 0",
    b"Content-Length: abc",
    b"Content-Length: -1",
    b"Content-Length: 0x10",
    b"Content-Length: 1.5",
    b"Content-Length: 66, 66",
    b"Content-Length: 99999999999999999999",
    b"Transfer-Encoding: chunked",
    b"Transfer-Encoding: gzip, chunked",
    b"Transfer-Encoding: identity",
    b"Content-Type: application/json",
    b"Content-Type: text/plain",
    b"Origin: http://evil.example",
    b"Host:",
    b"Host: a, b",
    b": novalue",
    b"X\x00Y: z",
    b"X: \x01",
    b" Folded: x",
    b"NoColon",
    b"Expect: 100-continue",
    b"Connection: upgrade",
    b"Upgrade: websocket",
    b"X-Long: " + b"v" * 9000,
]


def heads(host: bytes) -> Iterator[bytes]:
    draw = random.Random(SEED)
    for _ in range(CASES):
        line = b" ".join(
            [
                draw.choice(METHODS),
                draw.choice(TARGETS) * draw.choice([1, 1, 1, 300]),
                draw.choice(VERSIONS),
            ]
        )
        headers = [b"Host: " + host] if draw.random() < 0.8 else []
        headers += draw.sample(HEADERS, draw.randint(0, 4))
        eol = draw.choice([b"\r\n", b"\r\n", b"\n", b"\r"])
        head = bytearray(eol.join([line, *headers]))
        for _ in range(draw.choice([0, 0, 1, 3])):
            head[draw.randrange(len(head))] = draw.randrange(256)
        yield bytes(head) + eol + eol + draw.choice([b"", b"{}", b"0\r\n\r\n", b"x" * 20])


def first_status(url: str, data: bytes) -> int:
    """The status of the first response; 0 if the server closed without one."""
    host, port = host_of(url).split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n" not in received and (chunk := sock.recv(4096)):
            received += chunk
    return RawResponse(received).status


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    env = clean_env(
        STREAM_CHAT_CANCEL_SQLITE_PATH=str(tmp / "cancel.sqlite3"),
        STREAM_CHAT_PROVIDER="demo",
        STREAM_CHAT_DEMO_TOKEN_DELAY_S="0",
    )
    with running_serve("--read-timeout", "1", env=env, log_path=tmp / "serve.log") as running:
        yield Serve(running.process, running.url, running.log_path)


def test_every_fuzzed_head_gets_an_answer_and_no_traceback(serve: Serve) -> None:
    cases = list(heads(host_of(serve.url).encode()))
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda data: first_status(serve.url, data), cases))

    unanswered = [cases[n][:120] for n, status in enumerate(statuses) if status not in EXPECTED]
    assert not unanswered, f"{len(unanswered)} heads got no fitting answer: {unanswered[:5]}"
    assert len(set(statuses)) >= 6, "the fuzz reaches many different refusals"
    normal = f"GET /config.json HTTP/1.1\r\nHost: {host_of(serve.url)}\r\nConnection: close\r\n\r\n"
    assert RawResponse(exchange(serve.url, normal.encode())).status == 200
    log = serve.output()
    assert "Traceback" not in log and "Exception in ASGI" not in log, log[-3000:]
