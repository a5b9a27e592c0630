"""An answer outlives its connection, through ``serve``: a client reads part of it, drops the
connection, and resumes with the last id it saw; the rest arrives exactly, then ``done``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.fakes.identity_provider import FakeIdentityProvider, User
from tests.local.conftest import Serve, StartServe, StreamClient
from tests.support.protocol import ProtocolReader, text_of, types_of

CHAT = {"messages": [{"role": "user", "content": "Write a long story."}]}
TEXTS = [f"word{n} " for n in range(60)] + ["ünïcödé ", "👋 ", "end."]
FRAME_END = b"\n\n"


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


def start(start_serve: StartServe, fake: FakeAnthropic, **env: str) -> Serve:
    return start_serve(
        "--workers",
        "2",
        ANTHROPIC_BASE_URL=fake.base_url,
        ANTHROPIC_API_KEY=fake.api_key,
        STREAM_CHAT_CANCEL_POLL_S="0.1",
        **env,
    )


def read_frames(client: StreamClient, count: int) -> list[bytes]:
    """The first ``count`` frames of a stream, each as sent."""
    buffer = b""
    while buffer.count(FRAME_END) < count:
        chunk = client.chunk()
        assert chunk is not None, "the stream ended early"
        buffer += chunk.replace(b": ping\n\n", b"")
    return [frame + FRAME_END for frame in buffer.split(FRAME_END)[:count]]


def begin(serve: Serve, count: int, headers: dict[str, str] | None = None) -> tuple[str, bytes]:
    """Start an answer, read ``count`` frames and drop the connection."""
    client = serve.request("POST", "/api/chat/stream", CHAT, headers=headers, timeout=30)
    status, head = client.head()
    assert status == 200
    frames = read_frames(client, count)
    client.close()
    return head["x-stream-id"], b"".join(frames)


def resume(
    serve: Serve, stream_id: str, path_suffix: str = "", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    client = serve.request(
        "GET", f"/api/chat/stream/{stream_id}{path_suffix}", headers=headers, timeout=30
    )
    status, head = client.head()
    body = client.body()
    client.close()
    return status, head, body


def test_a_dropped_answer_resumes_from_its_last_id_to_exactly_the_rest(
    start_serve: StartServe, fake: FakeAnthropic
) -> None:
    fake.enqueue(Reply(texts=TEXTS, delay_s=0.05))
    serve = start(start_serve, fake)
    stream_id, first_twenty = begin(serve, 20)

    status, head, rest = resume(serve, stream_id, **{"Last-Event-ID": "20"})

    assert status == 200 and head["x-stream-id"] == stream_id
    assert head["content-type"] == "text/event-stream; charset=utf-8"
    before, after = ProtocolReader(), ProtocolReader(first_id=21)  # ids strictly increasing
    before.feed(first_twenty)
    after.feed(rest.replace(b": ping\n\n", b""))
    after.close()
    assert text_of(before.frames) + text_of(after.frames) == "".join(TEXTS)
    assert types_of(after.frames)[-2:] == ["usage", "done"]
    assert after.frames[-1] == {"type": "done", "stop_reason": "end_turn"}
    assert fake.streams[0].completed  # the dropped connection never stopped the answer

    # Over: a resume replays to done at once; the frames are the live stream's, byte for byte.
    status, _, replay = resume(serve, stream_id, **{"Last-Event-ID": "0"})
    assert status == 200 and replay == first_twenty + rest.replace(b": ping\n\n", b"")
    assert resume(serve, stream_id, "?after=20")[2] == replay[len(first_twenty) :]

    status, head, body = resume(serve, "u" * 32)
    assert (status, json.loads(body)["error"]["code"]) == (404, "not_found")
    status, head, body = resume(serve, "bad")
    assert (status, json.loads(body)["error"]["code"]) == (400, "invalid_stream_id")
    status, head, body = resume(serve, stream_id, **{"Last-Event-ID": "x"})
    assert (status, json.loads(body)["error"]["field"]) == (400, "last_event_id")


def test_stop_reaches_a_resumed_answer_through_the_cancel_route(
    start_serve: StartServe, fake: FakeAnthropic
) -> None:
    fake.enqueue(Reply(texts=[f"w{n} " for n in range(400)], delay_s=0.05))  # 20 s
    serve = start(start_serve, fake)
    stream_id, _ = begin(serve, 5)
    resumed = serve.request(
        "GET", f"/api/chat/stream/{stream_id}", headers={"Last-Event-ID": "5"}, timeout=30
    )
    assert resumed.head()[0] == 200
    read_frames(resumed, 3)  # the answer goes on, followed through its journal

    cancel = serve.request("POST", f"/api/chat/stream/{stream_id}/cancel", timeout=30)
    assert cancel.head()[0] == 202
    cancel.close()

    fake.wait_for_close(0, timeout=10)
    assert fake.streams[0].client_closed and not fake.streams[0].completed
    rest = b"".join(resumed.chunks())  # ends well before the 20 s answer would have
    resumed.close()
    assert rest.endswith(b'event: done\ndata: {"type":"done","stop_reason":"cancelled"}\n\n')
    assert b"event: usage" in rest


def test_another_users_answer_cannot_be_resumed(
    start_serve: StartServe, fake: FakeAnthropic
) -> None:
    fake.enqueue(Reply(texts=TEXTS, delay_s=0.02))
    with FakeIdentityProvider("local-client") as idp:
        serve = start(
            start_serve,
            fake,
            STREAM_CHAT_AUTH="cognito",
            STREAM_CHAT_AUTH_ISSUER=idp.issuer,
            STREAM_CHAT_AUTH_CLIENT_ID=idp.client_id,
        )
        alice = {"X-Authorization": f"Bearer {idp.access_token()}"}
        bob = {"X-Authorization": f"Bearer {idp.access_token(user=User('bob', 'sub-bob'))}"}
        stream_id, _ = begin(serve, 3, alice)

        assert resume(serve, stream_id)[0] == 401
        status, _, refused = resume(serve, stream_id, **bob)
        assert (status, refused) == resume(serve, "u" * 32, **bob)[::2]  # as if it did not exist
        assert status == 404
        status, _, body = resume(serve, stream_id, **alice)
    assert status == 200 and body.endswith(b'"stop_reason":"end_turn"}\n\n')
