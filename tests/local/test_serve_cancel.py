"""Stop means stop, through ``serve``: the cancel reaches the upstream via the shared registry."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.local.conftest import StartServe, StreamClient
from tests.support.protocol import ProtocolReader, types_of

POLL_S = 0.25
CHAT = {"messages": [{"role": "user", "content": "Write a long story."}]}


@pytest.fixture
def slow_fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(Reply(texts=[f"word{n} " for n in range(400)], delay_s=0.05)) as fake:
        yield fake


def read_until_text(client: StreamClient, reader: ProtocolReader, texts: int) -> None:
    while sum(frame["type"] == "text" for frame in reader.frames) < texts:
        chunk = client.chunk()
        assert chunk is not None, "the stream ended early"
        reader.feed(chunk)


def test_the_cancel_route_stops_the_upstream(
    start_serve: StartServe, slow_fake: FakeAnthropic
) -> None:
    serve = start_serve(
        "--workers",
        "2",
        ANTHROPIC_BASE_URL=slow_fake.base_url,
        ANTHROPIC_API_KEY=slow_fake.api_key,
        STREAM_CHAT_CANCEL_POLL_S=str(POLL_S),
    )
    client = serve.request("POST", "/api/chat/stream", CHAT)
    status, headers = client.head()
    assert status == 200
    reader = ProtocolReader()
    read_until_text(client, reader, 2)

    cancelled_at = time.time()
    cancel = serve.request("POST", f"/api/chat/stream/{headers['x-stream-id']}/cancel")
    assert cancel.head()[0] == 202
    assert cancel.body() == b'{"stream_id":"%s","cancelled":true}' % headers["x-stream-id"].encode()

    slow_fake.wait_for_close(0, timeout=POLL_S + 3)
    record = slow_fake.streams[0]
    assert record.client_closed and not record.completed
    assert record.closed_at is not None and record.closed_at - cancelled_at < POLL_S + 1.0
    for chunk in client.chunks():
        reader.feed(chunk)
    reader.close()
    assert types_of(reader.frames)[-2:] == ["usage", "done"]
    assert reader.frames[-1] == {"type": "done", "stop_reason": "cancelled"}
    client.close()
