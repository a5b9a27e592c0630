"""``stream-chat serve`` end to end: the real runtime loop in worker processes behind HTTP."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from stream_chat_local.serve import DEFAULT_HANDLER
from tests.local.conftest import TOY, Serve, StartServe, StreamClient, Truncated, alive
from tests.support.protocol import ProtocolReader

DEMO = {"STREAM_CHAT_PROVIDER": "demo", "STREAM_CHAT_DEMO_TOKEN_DELAY_S": "0.002"}


def chat(text: str, max_tokens: int = 400) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}], "max_tokens": max_tokens}


def assert_logged(serve: Serve, needle: str) -> None:
    deadline = time.monotonic() + 5
    while needle not in serve.output() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert needle in serve.output()


def read_stream(client: StreamClient) -> list[dict[str, Any]]:
    reader = ProtocolReader()
    for data in client.chunks():
        reader.feed(data)
    reader.close()
    return reader.frames


def test_a_chat_streams_through_the_real_handler(start_serve: StartServe) -> None:
    serve = start_serve(**DEMO)

    client = serve.request("POST", "/api/chat/stream", chat("What is SSE?"))
    status, headers = client.head()
    frames = read_stream(client)

    assert status == 200
    assert headers["content-type"] == "text/event-stream; charset=utf-8"
    assert headers["transfer-encoding"] == "chunked"
    assert frames[0] == {"type": "start", "stream_id": headers["x-stream-id"], "model": "demo"}
    assert frames[-1] == {"type": "done", "stop_reason": "end_turn"}
    text = "".join(f["text"] for f in frames if f["type"] == "text")
    assert text.startswith('## About "What is SSE?"')


def test_function_errors_keep_their_status_and_headers(start_serve: StartServe) -> None:
    serve = start_serve(**DEMO)

    client = serve.request("GET", "/api/chat/stream")
    status, headers = client.head()

    assert (status, headers["allow"]) == (405, "POST")
    assert json.loads(client.body())["error"]["code"] == "method_not_allowed"


Spans = list[tuple[float, float]]


def twenty_at_once(serve: Any) -> tuple[dict[int, list[dict[str, Any]]], Spans]:
    """Twenty streams started together: each one's frames, and when each was open."""
    results: dict[int, list[dict[str, Any]]] = {}
    spans: Spans = []
    go = threading.Barrier(20, timeout=30)

    def one(number: int) -> None:
        go.wait()
        client = serve.request("POST", "/api/chat/stream", chat(f"question {number}"), timeout=60)
        client.head()
        opened = time.monotonic()
        results[number] = read_stream(client)
        spans.append((opened, time.monotonic()))
        client.close()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return results, spans


def test_twenty_concurrent_streams_arrive_intact_and_in_order(start_serve: StartServe) -> None:
    serve = start_serve("--workers", "20", **{**DEMO, "STREAM_CHAT_DEMO_TOKEN_DELAY_S": "0.02"})
    # A first round starts the twenty instances: on a busy machine their inits, one after the
    # other, take longer than an answer, so only warm instances can all be open at once.
    warm, _ = twenty_at_once(serve)
    assert sorted(warm) == list(range(20))

    results, spans = twenty_at_once(serve)

    assert sorted(results) == list(range(20))
    assert max(s for s, _ in spans) < min(e for _, e in spans), "all 20 were open at once"
    texts = {}
    for number, frames in results.items():
        assert [f["type"] for f in frames[:1] + frames[-2:]] == ["start", "usage", "done"]
        texts[number] = "".join(f["text"] for f in frames if f["type"] == "text")
        assert f"You asked about: *question {number}*" in texts[number]
    # Same answer with each stream's own question: nothing lost, reordered or crossed over.
    assert len({text.replace(f"question {n}", "Q") for n, text in texts.items()}) == 1
    assert len(serve.workers(DEFAULT_HANDLER)) == 20


def test_each_frame_reaches_the_client_before_the_next_is_produced(
    start_serve: StartServe, tmp_path: Path
) -> None:
    serve = start_serve("--handler", f"{TOY}.acked_frames")

    client = serve.request("POST", "/api/x", {"ack_dir": str(tmp_path), "frames": 8})
    assert client.head()[0] == 200
    (tmp_path / "ack-0").touch()
    received = []
    for data in client.chunks():
        received.append(data)
        (tmp_path / f"ack-{len(received)}").touch()

    assert len(received) == 8, "a frame that waited for its acknowledgement timed out"


def test_a_worker_past_its_deadline_is_killed_replaced_and_the_stream_truncated(
    start_serve: StartServe, tmp_path: Path
) -> None:
    serve = start_serve("--timeout", "1", "--workers", "1", "--handler", f"{TOY}.endless")
    (before,) = serve.workers(f"{TOY}.endless")

    # Six frames, then the function overruns its timeout without writing (a write past the
    # deadline would end the invocation on the runtime's side first).
    overrun = {"marker": str(tmp_path / "m"), "interval_s": 0, "frames": 6, "linger_s": 30}
    client = serve.request("POST", "/api/x", overrun)
    started = time.monotonic()
    assert client.head()[0] == 200
    frames = 0
    with pytest.raises(Truncated):
        for _ in client.chunks():
            frames += 1

    assert 0.9 < time.monotonic() - started < 5
    assert frames == 6
    assert not alive(before)
    assert not (tmp_path / "m").exists(), "SIGKILL: the function's cleanup never ran"
    again = serve.request("POST", "/api/x", {"marker": str(tmp_path / "m2"), "frames": 2})
    assert again.head()[0] == 200
    assert len(list(again.chunks())) == 2
    assert serve.workers(f"{TOY}.endless") and before not in serve.workers()


def test_a_failure_before_the_first_byte_is_a_502(start_serve: StartServe) -> None:
    serve = start_serve("--handler", f"{TOY}.raises")

    client = serve.request("POST", "/api/x", {})

    assert client.head()[0] == 502
    assert json.loads(client.body()) == {"Message": "Internal Server Error"}
    assert '"errorMessage": "the event is not usable", "errorType": "ValueError"' in serve.output()


def test_an_init_failure_is_a_502_and_logged(start_serve: StartServe) -> None:
    serve = start_serve("--handler", "tests.runtime.broken_handler.handler")

    client = serve.request("POST", "/api/x", {})

    assert client.head()[0] == 502
    assert_logged(serve, '"errorType": "Runtime.ImportModuleError"')
