"""The HTTP front as a raw-socket client sees it: every malformed request gets a clear answer."""

from __future__ import annotations

import json
import resource
import socket
import time
from collections.abc import Iterator

import pytest

from tests.local.conftest import RawResponse, Serve, exchange, host_of
from tests.support.protocol import ProtocolReader
from tests.support.serve import clean_env, running_serve

DEMO = {"STREAM_CHAT_PROVIDER": "demo", "STREAM_CHAT_DEMO_TOKEN_DELAY_S": "0.002"}
JSON_TYPE = "Content-Type: application/json"
CHAT = json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}).encode()


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    """One server for the module (each test opens its own connections); checked at the end
    to have logged no traceback."""
    tmp = tmp_path_factory.mktemp("front")
    env = clean_env(STREAM_CHAT_CANCEL_SQLITE_PATH=str(tmp / "cancel.sqlite3"), **DEMO)
    options = ("--read-timeout", "1")
    with running_serve(*options, env=env, log_path=tmp / "serve.log") as running:
        served = Serve(running.process, running.url, running.log_path)
        yield served
        assert "Traceback" not in served.output()


def head(serve: Serve, request_line: str, *headers: str, body: bytes = b"") -> bytes:
    lines = [request_line, f"Host: {host_of(serve.url)}", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chat_post(serve: Serve, version: str = "1.1", *extra: str) -> bytes:
    return head(
        serve,
        f"POST /api/chat/stream HTTP/{version}",
        "Content-Type: application/json",
        f"Content-Length: {len(CHAT)}",
        *extra,
        body=CHAT,
    )


@pytest.mark.parametrize(
    ("request_line", "headers", "status"),
    [
        ("GARBAGE", (), 400),
        ("GET / HTTP/9.9", (), 505),
        ("GET /" + "a" * 65_000 + " HTTP/1.1", (), 414),
        ("GET / HTTP/1.1", ("X-Big: " + "a" * 20_000,), 431),
        ("GET /%00 HTTP/1.1", (), 400),
        ("GET /" + "a" * 300 + " HTTP/1.1", (), 404),
        ("GET /" + "a" * 300 + "/b HTTP/1.1", (), 404),
        ("POST /api/chat/stream HTTP/1.1", ("Content-Length: abc",), 400),
        ("POST /api/chat/stream HTTP/1.1", ("Content-Length: 0x10",), 400),
        ("POST /api/chat/stream HTTP/1.1", ("Content-Length: 1.5",), 400),
        ("POST /api/chat/stream HTTP/1.1", ("Content-Length: -1",), 400),
        ("POST /api/chat/stream HTTP/1.1", ("Content-Length: 66, 67",), 400),
        ("POST /api/chat/stream HTTP/1.1", ("Transfer-Encoding: gzip",), 501),
        ("POST /api/chat/stream HTTP/1.1", ("Content-Type: application/json",), 411),
        ("POST /api/chat/stream HTTP/1.1", ("Content-Length: 7000000", JSON_TYPE), 413),
        ("POST /api/chat/stream HTTP/1.1", ("Content-Length: 2",), 415),
        ("FOO / HTTP/1.1", (), 405),
        ("DELETE /index.html HTTP/1.1", (), 405),
        ("GET / HTTP/1.1", ("Bad Header: x",), 400),
    ],
)
def test_a_malformed_request_gets_a_json_error(
    serve: Serve, request_line: str, headers: tuple[str, ...], status: int
) -> None:
    started = time.monotonic()
    response = RawResponse(exchange(serve.url, head(serve, request_line, *headers)))

    assert response.status == status, response.status_line
    assert response.headers["content-type"] == "application/json"
    assert response.json()["Message"]
    assert time.monotonic() - started < 5, "answered, not left to time out"


def test_405_names_the_allowed_methods(serve: Serve) -> None:
    response = RawResponse(exchange(serve.url, head(serve, "PUT / HTTP/1.1")))
    assert (response.status, response.headers["allow"]) == (405, "GET, HEAD")


def test_a_request_without_host_is_refused_unless_http_1_0(serve: Serve) -> None:
    without = RawResponse(exchange(serve.url, b"GET /config.json HTTP/1.1\r\n\r\n"))
    old = RawResponse(exchange(serve.url, b"GET /config.json HTTP/1.0\r\n\r\n"))
    assert without.status == 400
    assert old.status == 200 and json.loads(old.body)["apiBase"] == ""


def test_a_body_the_server_did_not_read_is_never_a_second_request(serve: Serve) -> None:
    smuggled = b"GET /config.json HTTP/1.1\r\nHost: " + host_of(serve.url).encode() + b"\r\n\r\n"
    too_large = head(
        serve, "POST /api/chat/stream HTTP/1.1", "Content-Length: 7000000", JSON_TYPE, body=smuggled
    ).replace(b"Connection: close\r\n", b"")
    chunked = head(
        serve,
        "POST /api/chat/stream HTTP/1.1",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
        body=b"%x\r\n%b\r\n0\r\n\r\n" % (len(smuggled), smuggled),
    )

    first = exchange(serve.url, too_large)
    second = exchange(serve.url, chunked)

    assert first.count(b"HTTP/1.1 ") == 1 and RawResponse(first).status == 413
    assert second.count(b"HTTP/1.1 ") == 1
    # A chunked body is read whole and handed to the function, which finds no chat in it.
    assert RawResponse(second).status == 400


def test_http_1_0_gets_a_body_delimited_by_the_close(serve: Serve) -> None:
    raw = exchange(serve.url, chat_post(serve, "1.0"))

    response = RawResponse(raw)
    assert response.status == 200
    assert "transfer-encoding" not in response.headers
    reader = ProtocolReader()
    reader.feed(response.body)
    reader.close()
    assert reader.frames[-1] == {"type": "done", "stop_reason": "max_tokens"}


def test_head_gets_the_head_only_and_the_connection_stays_usable(serve: Serve) -> None:
    host, port = host_of(serve.url).split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        first_request = f"HEAD /api/chat/stream HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n"
        sock.sendall(first_request.encode() + head(serve, "GET /config.json HTTP/1.1"))
        received = bytearray()
        while chunk := sock.recv(65536):
            received += chunk

    first, _, rest = bytes(received).partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 405")
    assert rest.startswith(b"HTTP/1.1 200"), "HEAD's answer carried a body"
    assert json.loads(RawResponse(rest).body)["apiBase"] == ""


def test_a_half_closed_client_still_gets_its_whole_stream(serve: Serve) -> None:
    raw = exchange(serve.url, chat_post(serve), half_close=True)

    response = RawResponse(raw)
    assert response.status == 200
    assert b'"type":"done"' in response.body
    assert response.body.endswith(b"0\r\n\r\n"), "the chunked body was cut"


def test_a_head_that_never_completes_gets_408(serve: Serve) -> None:
    started = time.monotonic()
    host, port = host_of(serve.url).split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /config.json HTTP/1.1\r\nHost: ")
        answer = sock.recv(65536)
        assert sock.recv(1) == b""

    assert answer.startswith(b"HTTP/1.1 408")
    assert time.monotonic() - started < 5


def test_an_idle_connection_is_closed_after_the_read_timeout(serve: Serve) -> None:
    host, port = host_of(serve.url).split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        started = time.monotonic()
        assert sock.recv(1) == b""
    assert time.monotonic() - started < 5


def test_a_body_that_stops_arriving_gets_408(serve: Serve) -> None:
    host, port = host_of(serve.url).split(":")
    partial = chat_post(serve)[:-10]
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(partial)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408")


def test_a_server_with_thousands_of_idle_connections_still_answers(serve: Serve) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < 4096 <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (4096, hard))  # this test's own sockets
    host, port = host_of(serve.url).split(":")
    idle = [socket.create_connection((host, int(port)), timeout=10) for _ in range(2000)]
    try:
        started = time.monotonic()
        response = RawResponse(exchange(serve.url, head(serve, "GET /config.json HTTP/1.1")))
        assert response.status == 200
        assert time.monotonic() - started < 5
    finally:
        for sock in idle:
            sock.close()
    # Closing them all at once costs nothing either.
    assert RawResponse(exchange(serve.url, head(serve, "GET /config.json HTTP/1.1"))).status == 200
