"""The emulated Runtime API: ``/next``, and a streamed ``/response`` read chunk by chunk."""

from __future__ import annotations

import http.client
import json
import queue
import socket
import time
from collections.abc import Iterator

import pytest

from stream_chat_local.invocation import (
    Buffered,
    Chunk,
    Failed,
    Finished,
    Invocation,
    Part,
    Prelude,
)
from stream_chat_local.runtime_api import EmulatedRuntimeApi

PREFIX = "/2018-06-01/runtime"


@pytest.fixture
def api() -> Iterator[EmulatedRuntimeApi]:
    emulator = EmulatedRuntimeApi()
    yield emulator
    emulator.close()


class Received:
    """An invocation whose sink keeps the parts for the test to take one by one."""

    def __init__(self, timeout_s: float) -> None:
        self.parts: queue.SimpleQueue[Part] = queue.SimpleQueue()
        self.invocation = Invocation(b'{"hello": "world"}', timeout_s, self.parts.put)
        self.request_id = self.invocation.request_id

    def next(self) -> Part:
        return self.parts.get(timeout=5)


def take(api: EmulatedRuntimeApi, timeout_s: float = 30.0) -> tuple[Received, dict[str, str]]:
    received = Received(timeout_s)
    invocation = received.invocation
    api.submit(invocation)
    host, port = api.address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", f"{PREFIX}/invocation/next")
    response = conn.getresponse()
    assert (response.status, response.read()) == (200, invocation.event)
    headers = {k.lower(): v for k, v in response.getheaders()}
    conn.close()
    return received, headers


def post_stream(api: EmulatedRuntimeApi, request_id: str) -> socket.socket:
    host, port = api.address.split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.sendall(
        f"POST {PREFIX}/invocation/{request_id}/response HTTP/1.1\r\nHost: x\r\n"
        "Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/vnd.awslambda.http-integration-response\r\n\r\n".encode()
    )
    return sock


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


def test_next_answers_with_the_event_and_its_context_headers(api: EmulatedRuntimeApi) -> None:
    invocation, headers = take(api, timeout_s=30)

    assert headers["lambda-runtime-aws-request-id"] == invocation.request_id
    assert 29_000 < int(headers["lambda-runtime-deadline-ms"]) - time.time() * 1000 <= 30_000
    assert headers["lambda-runtime-invoked-function-arn"].startswith("arn:aws:lambda:")
    assert headers["lambda-runtime-trace-id"].startswith("Root=1-")
    assert api.first_next_at is not None


def test_the_prelude_is_found_across_chunk_boundaries_and_chunks_pass_one_by_one(
    api: EmulatedRuntimeApi,
) -> None:
    invocation, _ = take(api)
    sock = post_stream(api, invocation.request_id)

    sock.sendall(
        chunk(b'{"statusCode":201,"headers":{"a":"b"},"cook')
        + chunk(b'ies":["c=d"]}\0\0\0')
        + chunk(b"\0\0\0\0\0first")
    )
    assert invocation.next() == Prelude(
        {"statusCode": 201, "headers": {"a": "b"}, "cookies": ["c=d"]}
    )
    assert invocation.next() == Chunk(b"first")
    sock.sendall(chunk(b"second"))
    assert invocation.next() == Chunk(b"second"), "handed onward before the body ends"
    sock.sendall(
        b"0\r\nLambda-Runtime-Function-Error-Type: Function.X\r\n"
        b"Lambda-Runtime-Function-Error-Body: e30=\r\n\r\n"
    )
    assert invocation.next() == Finished(
        True,
        {
            "lambda-runtime-function-error-type": "Function.X",
            "lambda-runtime-function-error-body": "e30=",
        },
    )
    assert sock.recv(100).startswith(b"HTTP/1.1 202")
    sock.close()


def test_a_body_cut_off_mid_stream_is_not_complete(api: EmulatedRuntimeApi) -> None:
    invocation, _ = take(api)
    sock = post_stream(api, invocation.request_id)

    sock.sendall(chunk(b'{"statusCode":200}' + b"\0" * 8) + b"10\r\nonly half")
    sock.close()

    assert isinstance(invocation.next(), Prelude)
    assert invocation.next() == Finished(False)


def test_error_and_init_error_are_recorded(api: EmulatedRuntimeApi) -> None:
    invocation, _ = take(api)
    host, port = api.address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    report = {"errorMessage": "m", "errorType": "T", "stackTrace": []}

    for path in (f"invocation/{invocation.request_id}/error", "init/error"):
        conn.request("POST", f"{PREFIX}/{path}", json.dumps(report))
        answer = conn.getresponse()
        assert (answer.status, json.loads(answer.read())) == (202, {"status": "OK"})
    conn.close()

    assert invocation.next() == Failed(report)
    assert api.init_error == report


def post_buffered(api: EmulatedRuntimeApi, request_id: str, body: bytes, chunked: bool) -> int:
    host, port = api.address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    headers = {"Content-Type": "application/json"}
    if chunked:  # a client may send its buffered JSON chunked: still one response, whole
        conn.request(
            "POST",
            f"{PREFIX}/invocation/{request_id}/response",
            iter([body[:5], body[5:]]),
            headers,
            encode_chunked=True,
        )
    else:
        conn.request("POST", f"{PREFIX}/invocation/{request_id}/response", body, headers)
    answer = conn.getresponse()
    answer.read()
    conn.close()
    return answer.status


@pytest.mark.parametrize("chunked", [False, True])
def test_a_buffered_response_is_handed_on_whole(api: EmulatedRuntimeApi, chunked: bool) -> None:
    invocation, _ = take(api)
    result = json.dumps({"statusCode": 202, "body": "{}"}).encode()

    assert post_buffered(api, invocation.request_id, result, chunked) == 202

    assert invocation.next() == Buffered(result)
    assert api.running(invocation.request_id) is None


def test_a_buffered_response_over_6_mb_fails_as_on_lambda(api: EmulatedRuntimeApi) -> None:
    invocation, _ = take(api)
    result = json.dumps({"statusCode": 200, "body": "x" * (6 * 1024 * 1024)}).encode()

    post_buffered(api, invocation.request_id, result, chunked=False)

    part = invocation.next()
    assert isinstance(part, Failed)
    assert part.diagnostic["errorType"] == "Function.ResponseSizeTooLarge"
