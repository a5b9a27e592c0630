"""Stop means stop, through ``serve``: the cancel function records it, the stream polls it.

Each bound is measured from the cancel's 202, the moment the cancel is recorded, and keeps a wide
margin for a loaded 2-vCPU machine: the tight figure (poll interval + 300 ms, cold and warm) is
the cancel propagation benchmark's (``make bench``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.local.conftest import Serve, StartServe, StreamClient
from tests.support.protocol import ProtocolReader, types_of

POLL_S = 0.25
MARGIN_S = 1.5
CHAT = {"messages": [{"role": "user", "content": "Write a long story."}]}
CHAT_HANDLER = "stream_chat.handler.lambda_handler"
CANCEL_HANDLER = "stream_chat.cancel_handler.lambda_handler"


@pytest.fixture
def slow_fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(Reply(texts=[f"word{n} " for n in range(400)], delay_s=0.05)) as fake:
        yield fake


def start(start_serve: StartServe, fake: FakeAnthropic, *options: str) -> Serve:
    return start_serve(
        "--workers",
        "1",
        *options,
        ANTHROPIC_BASE_URL=fake.base_url,
        ANTHROPIC_API_KEY=fake.api_key,
        STREAM_CHAT_CANCEL_POLL_S=str(POLL_S),
    )


def stream_some_text(serve: Serve) -> tuple[StreamClient, ProtocolReader, str]:
    client = serve.request("POST", "/api/chat/stream", CHAT, timeout=30)
    status, headers = client.head()
    assert status == 200
    reader = ProtocolReader()
    while sum(frame["type"] == "text" for frame in reader.frames) < 2:
        chunk = client.chunk()
        assert chunk is not None, "the stream ended early"
        reader.feed(chunk)
    return client, reader, headers["x-stream-id"]


def cancel(serve: Serve, stream_id: str) -> float:
    """Send the cancel; when its 202 arrived (the cancel is recorded by then)."""
    request = serve.request("POST", f"/api/chat/stream/{stream_id}/cancel", timeout=30)
    status, headers = request.head()
    answered = time.time()
    assert status == 202
    assert headers["content-type"] == "application/json"  # buffered: a whole body, a length
    assert request.body() == b'{"stream_id":"%s","cancelled":true}' % stream_id.encode()
    request.close()
    return answered


def check_stopped(
    fake: FakeAnthropic, client: StreamClient, reader: ProtocolReader, answered: float
) -> None:
    fake.wait_for_close(0, timeout=POLL_S + 10)
    record = fake.streams[0]
    assert record.client_closed and not record.completed
    assert record.closed_at is not None and record.closed_at - answered < POLL_S + MARGIN_S
    for chunk in client.chunks():
        reader.feed(chunk)
    reader.close()
    assert types_of(reader.frames)[-2:] == ["usage", "done"]
    assert reader.frames[-1] == {"type": "done", "stop_reason": "cancelled"}
    client.close()


def test_the_cancel_route_stops_the_upstream(
    start_serve: StartServe, slow_fake: FakeAnthropic
) -> None:
    serve = start(start_serve, slow_fake)
    client, reader, stream_id = stream_some_text(serve)

    # The streaming function's only instance is busy with the stream: the cancel is answered
    # by the cancel function's own instance, warmed at start, not queued behind the stream.
    answered = cancel(serve, stream_id)

    check_stopped(slow_fake, client, reader, answered)
    assert len(serve.workers(CHAT_HANDLER)) == 1
    assert len(serve.workers(CANCEL_HANDLER)) == 1


def test_a_cancel_landing_on_a_cold_instance_stops_the_upstream(
    start_serve: StartServe, slow_fake: FakeAnthropic
) -> None:
    serve = start(start_serve, slow_fake, "--warm", "0")
    client, reader, stream_id = stream_some_text(serve)
    assert not serve.workers(CANCEL_HANDLER)  # nothing warm: the cancel starts an instance

    answered = cancel(serve, stream_id)

    check_stopped(slow_fake, client, reader, answered)
    assert len(serve.workers(CANCEL_HANDLER)) == 1
