"""Sign-in, limits and owned cancels end to end through ``serve``, against the stand-in pool."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.fakes.identity_provider import FakeIdentityProvider, User
from tests.local.conftest import TOY, Serve, StartServe, StreamClient
from tests.support.protocol import ProtocolReader

CHAT = {"messages": [{"role": "user", "content": "Write a long story."}]}
FORGED = {"CloudFront-Viewer-Address": "203.0.113.7:443", "CloudFront-Is-Mobile-Viewer": "true"}


@pytest.fixture
def idp() -> Iterator[FakeIdentityProvider]:
    with FakeIdentityProvider("local-client") as fake:
        yield fake


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


def bearer(token: str) -> dict[str, str]:
    return {"X-Authorization": f"Bearer {token}"}


def read_until_text(client: StreamClient, reader: ProtocolReader) -> None:
    while not any(frame["type"] == "text" for frame in reader.frames):
        chunk = client.chunk()
        assert chunk is not None, "the stream ended early"
        reader.feed(chunk)


def refused(serve: Serve, headers: dict[str, str]) -> tuple[int, dict[str, str], dict[str, str]]:
    client = serve.request("POST", "/api/chat/stream", CHAT, headers=headers)
    status, head = client.head()
    body = json.loads(client.body())
    client.close()
    return status, head, body["error"]


def test_sign_in_limits_and_owned_cancel_through_serve(
    start_serve: StartServe, idp: FakeIdentityProvider, fake: FakeAnthropic
) -> None:
    fake.enqueue(Reply(texts=[f"w{n} " for n in range(300)], delay_s=0.03))  # alice's answer
    serve = start_serve(
        "--workers",
        "3",
        "--cancel-on-disconnect",  # the front's own cancel, written for the viewer (last step)
        ANTHROPIC_BASE_URL=fake.base_url,
        ANTHROPIC_API_KEY=fake.api_key,
        STREAM_CHAT_AUTH="cognito",
        STREAM_CHAT_AUTH_ISSUER=idp.issuer,
        STREAM_CHAT_AUTH_CLIENT_ID=idp.client_id,
        STREAM_CHAT_LIMIT_CONCURRENT_STREAMS="1",
        STREAM_CHAT_CANCEL_POLL_S="0.1",
    )
    alice, bob = idp.access_token(), idp.access_token(user=User("bob", "sub-bob"))

    assert refused(serve, {})[0] == 401
    status, head, error = refused(serve, bearer(idp.id_token()))
    assert (status, error["code"]) == (401, "unauthorized")
    assert head["www-authenticate"].startswith("Bearer")

    stream = serve.request("POST", "/api/chat/stream", CHAT, headers=bearer(alice))
    status, head = stream.head()
    assert status == 200
    stream_id = head["x-stream-id"]
    reader = ProtocolReader()
    read_until_text(stream, reader)

    status, head, error = refused(serve, bearer(alice))  # one answer at a time for alice
    assert (status, error["code"]) == (429, "limit_concurrent")
    assert int(head["retry-after"]) == error["retry_after_s"]

    cancel = serve.request("POST", f"/api/chat/stream/{stream_id}/cancel", headers=bearer(bob))
    assert cancel.head()[0] == 202
    cancel.close()
    for _ in range(30):  # three poll intervals and more: bob's cancel must not stop it
        chunk = stream.chunk()
        assert chunk is not None
        reader.feed(chunk)
    assert [frame["type"] for frame in reader.frames[1:]] == ["text"] * (len(reader.frames) - 1)

    cancel = serve.request("POST", f"/api/chat/stream/{stream_id}/cancel", headers=bearer(alice))
    assert cancel.head()[0] == 202
    cancel.close()
    for chunk in stream.chunks():
        reader.feed(chunk)
    stream.close()
    assert reader.frames[-1] == {"type": "done", "stop_reason": "cancelled"}

    again = serve.request("POST", "/api/chat/stream", CHAT, headers=bearer(alice))
    assert again.head()[0] == 200  # the cancelled stream gave its lease back
    final = ProtocolReader()
    for chunk in again.chunks():
        final.feed(chunk)
    again.close()
    assert final.frames[-1] == {"type": "done", "stop_reason": "end_turn"}
    assert len(fake.requests) == 2  # refused requests never reached the provider

    # Leaving mid-answer with --cancel-on-disconnect: the front's cancel is written for alice,
    # so it stops.
    fake.enqueue(Reply(texts=[f"w{n} " for n in range(300)], delay_s=0.03))
    leaving = serve.request("POST", "/api/chat/stream", CHAT, headers=bearer(alice))
    assert leaving.head()[0] == 200
    read_until_text(leaving, ProtocolReader())
    leaving.close()
    fake.wait_for_close(2, timeout=5)  # the whole answer would take 9 s
    assert fake.streams[2].client_closed and not fake.streams[2].completed


def test_a_forged_viewer_address_does_not_escape_the_no_sign_in_limits(
    start_serve: StartServe, fake: FakeAnthropic
) -> None:
    fake.enqueue(Reply(texts=[f"w{n} " for n in range(300)], delay_s=0.03))  # holds the one stream
    serve = start_serve(
        "--workers",
        "2",
        ANTHROPIC_BASE_URL=fake.base_url,
        ANTHROPIC_API_KEY=fake.api_key,
        STREAM_CHAT_LIMIT_CONCURRENT_STREAMS="1",
    )
    held = serve.request("POST", "/api/chat/stream", CHAT, headers=FORGED)
    assert held.head()[0] == 200
    read_until_text(held, ProtocolReader())

    # Each request claims to be another viewer; all come from the same address, which is what
    # the limit counts, as it counts the address CloudFront saw.
    for n in range(1, 6):
        status, _, error = refused(serve, {"CloudFront-Viewer-Address": f"198.51.100.{n}:443"})
        assert (status, error["code"]) == (429, "limit_concurrent")
    held.close()
    assert len(fake.requests) == 1  # no forged request reached the provider


def test_the_function_gets_the_viewer_address_of_the_peer_and_no_forged_cloudfront_header(
    start_serve: StartServe,
) -> None:
    serve = start_serve("--handler", f"{TOY}.echo_event")
    client = serve.request(
        "POST", "/api/x", {}, headers={**FORGED, "CloudFront-Forwarded-Proto": "x"}
    )
    peer_port = client.sock.getsockname()[1]
    assert client.head()[0] == 200
    seen = json.loads(client.body())
    client.close()
    cloudfront = {k: v for k, v in seen["headers"].items() if k.startswith("cloudfront-")}
    assert cloudfront == {"cloudfront-viewer-address": f"127.0.0.1:{peer_port}"}
    assert seen["sourceIp"] == "127.0.0.1"
