"""A client that stops reading holds neither an instance nor a concurrency slot.

The client below asks for an answer far bigger than the socket buffers (its own receive buffer is
pinned small) and never reads it. The invocation still ends on its own (or on Stop), and from
then on the instance is free: the next request is admitted, and the healthy worker is never
killed as "timed out" however long the client stalls. The stalled connection itself is dropped
after the write timeout.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.local.conftest import Serve, StartServe, host_of
from tests.support.protocol import ProtocolReader

CHAT = {"messages": [{"role": "user", "content": "Write a long story."}]}
CHAT_HANDLER = "stream_chat.handler.lambda_handler"
DELTA = "x" * 2000 + " "  # each text frame about 2 kB
BIG = 5000  # deltas: about 10 MB, beyond the socket buffers (up to 4 MB each here)
TIMEOUT_S = 8  # the function's timeout: the stall outlasts it
ADMIT_WAIT_S = 15  # the next request may wait this long for the instance (serve's queue)


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


def start(start_serve: StartServe, fake: FakeAnthropic, write_timeout_s: float) -> Serve:
    return start_serve(
        "--workers",
        "1",
        "--timeout",
        str(TIMEOUT_S),
        "--queue-timeout",
        str(ADMIT_WAIT_S),
        "--write-timeout",
        str(write_timeout_s),
        ANTHROPIC_BASE_URL=fake.base_url,
        ANTHROPIC_API_KEY=fake.api_key,
        STREAM_CHAT_CANCEL_POLL_S="0.1",
    )


def stalled_request(serve: Serve) -> socket.socket:
    """Send a chat request on a socket with a small receive buffer that is never read."""
    host, port = host_of(serve.url).split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: no autotuning
    sock.settimeout(30)
    sock.connect((host, int(port)))
    body = json.dumps(CHAT).encode()
    head = (
        f"POST /api/chat/stream HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    sock.sendall(head.encode() + body)
    return sock


def head_of(sock: socket.socket) -> bytes:
    """Just the response head (and whatever came with it in the same reads)."""
    received = b""
    while b"\r\n\r\n" not in received and len(received) < 65536:
        data = sock.recv(1024)
        assert data, "the connection closed before the response head"
        received += data
    return received


def answered_in_full(serve: Serve) -> None:
    """A request is admitted (not 429) and its answer ends properly."""
    client = serve.request("POST", "/api/chat/stream", CHAT, timeout=ADMIT_WAIT_S + 30)
    status, _ = client.head()
    assert status == 200, client.body()
    reader = ProtocolReader()
    for chunk in client.chunks():
        reader.feed(chunk)
    client.close()
    assert reader.frames[-1] == {"type": "done", "stop_reason": "end_turn"}


def outcomes(serve: Serve) -> list[str]:
    """The outcome of each API request, in the order they ended."""
    return [
        line.rpartition(" ")[2]
        for line in serve.output().splitlines()
        if line.startswith('stream-chat serve: "POST /api/chat/stream ')
    ]


def wait_for_outcomes(serve: Serve, count: int, timeout_s: float) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while len(found := outcomes(serve)) < count:
        assert time.monotonic() < deadline, serve.output()
        time.sleep(0.05)
    return found


def close_after_the_deadline(sock: socket.socket, sent_at: float) -> None:
    """Keep stalling until well past the function's timeout, then leave."""
    time.sleep(max(0.0, sent_at + TIMEOUT_S + 1.5 - time.monotonic()))
    sock.close()


def test_a_client_that_stops_reading_frees_the_instance_when_the_answer_ends(
    start_serve: StartServe, fake: FakeAnthropic
) -> None:
    fake.enqueue(Reply(texts=[DELTA] * BIG), Reply(texts=["short"]))
    serve = start(start_serve, fake, write_timeout_s=60)  # far longer than the test
    (worker,) = serve.workers(CHAT_HANDLER)

    stalled = stalled_request(serve)
    sent_at = time.monotonic()
    try:
        fake.wait_for_end(0, timeout=30)  # the whole answer was produced
        answered_in_full(serve)  # the only instance is free again: no 429
        close_after_the_deadline(stalled, sent_at)
    finally:
        stalled.close()

    assert wait_for_outcomes(serve, 2, timeout_s=10) == ["complete", "complete"]
    assert "timed out" not in serve.output()
    assert serve.workers(CHAT_HANDLER) == {worker}, "a healthy worker was replaced"


def test_a_stopped_answer_frees_the_instance_of_a_client_that_stopped_reading(
    start_serve: StartServe, fake: FakeAnthropic
) -> None:
    # A long answer in big pieces (20 kB each, 40 MB in all), still running when Stop comes.
    fake.enqueue(Reply(texts=[DELTA * 10] * 2000, delay_s=0.01), Reply(texts=["short"]))
    serve = start(start_serve, fake, write_timeout_s=60)
    (worker,) = serve.workers(CHAT_HANDLER)

    stalled = stalled_request(serve)
    sent_at = time.monotonic()
    try:
        head = head_of(stalled).decode("latin-1").lower()
        stream_id = head.split("x-stream-id:")[1].split("\r\n")[0].strip()
        record = fake.wait_for_stream(0, timeout=10)
        deadline = time.monotonic() + 30
        while record.deltas_sent < 250:  # 5 MB: past what the buffers hold
            assert time.monotonic() < deadline and not record.ended.is_set()
            time.sleep(0.01)
        cancel = serve.request("POST", f"/api/chat/stream/{stream_id}/cancel")
        assert cancel.head()[0] == 202
        cancel.close()
        fake.wait_for_close(0, timeout=10)  # the function stopped its upstream
        assert not record.completed
        answered_in_full(serve)
        close_after_the_deadline(stalled, sent_at)
    finally:
        stalled.close()

    assert "complete" in wait_for_outcomes(serve, 2, timeout_s=10)
    assert "timed out" not in serve.output()
    assert serve.workers(CHAT_HANDLER) == {worker}, "a healthy worker was replaced"


def test_a_stalled_connection_is_dropped_after_the_write_timeout(
    start_serve: StartServe, fake: FakeAnthropic
) -> None:
    fake.enqueue(Reply(texts=[DELTA] * BIG))
    serve = start(start_serve, fake, write_timeout_s=1)

    stalled = stalled_request(serve)
    try:
        fake.wait_for_end(0, timeout=30)
        # The front is done with the request once the connection is dropped: one second of
        # stall, plus a wide margin for a loaded machine.
        assert wait_for_outcomes(serve, 1, timeout_s=15) == ["complete"]
        received = bytearray()
        with pytest.raises(ConnectionResetError):
            while data := stalled.recv(65536):
                received += data
    finally:
        stalled.close()
    assert len(received) < len(DELTA) * BIG, "the whole answer was kept for the client"
