"""Faults through ``serve`` end as well-formed streams too: ``error`` then ``done``."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.local.conftest import StartServe
from tests.support.protocol import ProtocolReader, types_of

CHAT = {"messages": [{"role": "user", "content": "hi"}]}
TEXTS = ["one ", "two ", "three ", "four"]


def stream(serve: Any) -> list[dict[str, Any]]:
    """The frames, each with the ``time.monotonic()`` of its arrival under ``"_at"``."""
    client = serve.request("POST", "/api/chat/stream", CHAT, timeout=30)
    assert client.head()[0] == 200
    reader = ProtocolReader()
    for chunk in client.chunks():  # raises if the chunked body was cut
        for frame in reader.feed(chunk):
            frame["_at"] = time.monotonic()
    reader.close()
    client.close()
    return reader.frames


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (Reply(texts=TEXTS, fault="overloaded_midstream"), "provider_unavailable"),
        (Reply(texts=TEXTS, fault="cut"), "provider_protocol_error"),
        (Reply(texts=TEXTS, fault="stall_with_pings", ping_every_s=0.1), "stall_timeout"),
    ],
)
def test_a_mid_stream_fault(start_serve: StartServe, reply: Reply, code: str) -> None:
    with FakeAnthropic(reply) as fake:
        serve = start_serve(
            ANTHROPIC_BASE_URL=fake.base_url,
            ANTHROPIC_API_KEY=fake.api_key,
            STREAM_CHAT_STALL_TIMEOUT_S="0.5",
        )
        frames = stream(serve)
        fake.wait_for_close(0, timeout=2)
    assert types_of(frames) == ["start", "text", "text", "error", "usage", "done"]
    assert frames[3]["code"] == code
    assert frames[-1]["stop_reason"] == "error"


def test_the_deadline_is_met_before_serve_kills_the_function(start_serve: StartServe) -> None:
    with FakeAnthropic(Reply(texts=[f"t{n} " for n in range(100)], delay_s=0.1)) as fake:
        serve = start_serve(
            "--timeout",
            "3",
            ANTHROPIC_BASE_URL=fake.base_url,
            ANTHROPIC_API_KEY=fake.api_key,
            STREAM_CHAT_DEADLINE_MARGIN_S="0.7",
        )
        frames = stream(serve)
        fake.wait_for_close(0, timeout=2)
    # The function's clock starts when it gets the invocation (after a cold start's init, as on
    # Lambda): it ends its stream at the margin, so serve never has to cut it.
    assert frames[-1]["_at"] - frames[0]["_at"] < 3.0 - 0.5
    assert types_of(frames)[-3:] == ["error", "usage", "done"]
    assert frames[-3]["code"] == "deadline"
    assert frames[-2]["estimated"] is True


def test_serve_answers_through_bedrock_when_the_setting_says_so(start_serve: StartServe) -> None:
    from tests.fakes.bedrock_server import FakeBedrock

    model = "global.anthropic.claude-sonnet-4-6"
    with FakeBedrock(Reply(texts=TEXTS)) as fake:
        # Credentials as boto3 finds them (the launcher's test keys); the endpoint by its
        # standard variable; the region of the environment.
        serve = start_serve(
            STREAM_CHAT_PROVIDER="bedrock",
            AWS_REGION="eu-west-1",
            AWS_ENDPOINT_URL_BEDROCK_RUNTIME=fake.base_url,
        )
        frames = stream(serve)
        fake.wait_for_close(0, timeout=2)
    assert frames[0]["model"] == model
    assert "".join(f["text"] for f in frames if f["type"] == "text") == "".join(TEXTS)
    assert frames[-1]["stop_reason"] == "end_turn"
    assert fake.models == [model]
    assert "/eu-west-1/bedrock/aws4_request" in fake.headers[0]["authorization"]
