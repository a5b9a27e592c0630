"""The relay through the real anthropic SDK against the fake wire server: exact frames."""

from __future__ import annotations

import time

from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.function.conftest import Invoke, build_function, chat_event, user
from tests.support.protocol import read_frames


def test_a_normal_answer_is_relayed_exactly(
    invoke: Invoke, fake_anthropic: FakeAnthropic, settings: Settings
) -> None:
    fake_anthropic.enqueue(
        Reply(texts=["Hel", "lo\n", "wörld 🚀"], input_tokens=21, output_tokens=7)
    )
    response, frames = invoke(chat_event(user("Hi there")))
    stream_id = response.headers["x-stream-id"]
    assert frames == [
        {"type": "start", "stream_id": stream_id, "model": settings.model},
        {"type": "text", "text": "Hel"},
        {"type": "text", "text": "lo\n"},
        {"type": "text", "text": "wörld 🚀"},
        {
            "type": "usage",
            "input_tokens": 21,
            "output_tokens": 7,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            # claude-sonnet-4-6: 21 × $3 + 7 × $15 per million tokens
            "cost_usd": 0.000168,
            "stop_reason": "end_turn",
        },
        {"type": "done", "stop_reason": "end_turn"},
    ]
    assert fake_anthropic.wait_for_end(0, timeout=5).completed


def test_the_request_reaches_anthropic_as_configured(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    body = {
        "messages": [
            {"role": "user", "content": "q1"},
            {"role": "assistant", "content": [{"type": "text", "text": "a1"}]},
            {"role": "user", "content": "q2"},
        ],
        "max_tokens": 50,
    }
    invoke(chat_event(body), system_prompt="Server prompt.")
    sent = fake_anthropic.requests[0]
    assert sent["stream"] is True and sent["max_tokens"] == 50
    assert sent["system"] == "Server prompt."
    assert sent["messages"][2] == {"role": "user", "content": [{"type": "text", "text": "q2"}]}
    headers = fake_anthropic.headers[0]
    assert fake_anthropic.api_key in (
        headers.get("x-api-key"),
        headers.get("authorization", "")[7:],
    )


def test_stop_reasons_pass_through(invoke: Invoke, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.enqueue(Reply(texts=["cut"], stop_reason="max_tokens"))
    _, frames = invoke(chat_event(user()))
    assert frames[-1] == {"type": "done", "stop_reason": "max_tokens"}


def test_heartbeats_fill_a_long_first_token_wait(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.enqueue(Reply(texts=["late"], first_delay_s=1.0, ping_every_s=0.1))
    response, _ = invoke(chat_event(user()), heartbeat_s=0.2, read=False)
    timed = [(time.monotonic(), chunk) for chunk in response.body]
    heartbeats = [chunk for _, chunk in timed if chunk == b": ping\n\n"]
    assert [chunk for _, chunk in timed].index(b": ping\n\n") > 0  # after the start frame
    # The clock runs from the start frame to the first text: however long a busy machine
    # makes that wait, ours fill it at their interval, and Anthropic's own pings (twice as
    # frequent) are not forwarded.
    first_text = next(at for at, chunk in timed if b"\nevent: text\n" in chunk)
    waited_s = first_text - timed[0][0]
    assert 3 <= len(heartbeats) <= waited_s / 0.2 + 1


def test_answers_reuse_one_upstream_connection(
    invoke: Invoke, fake_anthropic: FakeAnthropic, settings: Settings
) -> None:
    function = build_function(settings)
    for _ in range(3):
        response = function(chat_event(user()), LambdaContext.local("r", 30))
        assert read_frames(response.body)[-1] == {"type": "done", "stop_reason": "end_turn"}
    assert len(fake_anthropic.streams) == 3
    assert fake_anthropic.connections == 1
