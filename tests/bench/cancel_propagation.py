"""How fast "Stop" reaches the upstream: cancel request sent → upstream connection closed.

Through ``serve``, which runs cancels on the cancel function's own instances as AWS does, with the
SQLite registry shared by the worker processes: warm (the cancel instance started with serve)
and cold (a fresh serve with ``--warm 0``, so each cancel starts a new cancel instance and waits
for its init). Then in-process on the DynamoDB registry (moto). The bound to meet, at the
maximum, is the poll interval plus 300 ms.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import time
from collections.abc import Iterator
from typing import Any

from tests.bench.figures import record
from tests.bench.processes import percentiles, post_chunks, serve
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.support.serve import clean_env

RUNS = 10
POLL_S = 0.25
BOUND_S = POLL_S + 0.3
CHAT = {"messages": [{"role": "user", "content": "Write a long story."}]}
SLOW = Reply(texts=[f"w{n} " for n in range(2000)], delay_s=0.02)


def run() -> list[str]:
    warm, warm_from_202 = _through_serve(cold=False)
    cold, cold_from_202 = _through_serve(cold=True)
    dynamodb = _through_dynamodb()
    for name, delays in (("warm", warm), ("cold", cold), ("DynamoDB in-process", dynamodb)):
        p50, _, worst = percentiles(delays)
        record(f"cancel → upstream closed p50, {name}", p50 * 1e3, "ms")
        record(f"cancel → upstream closed max, {name}", worst * 1e3, "ms")
    return [
        f"poll interval {POLL_S} s, {RUNS} runs each, upstream streaming a token every 20 ms",
        f"serve, warm cancel instance:  {_summary(warm)}",
        f"  (from the cancel's 202:     {_summary(warm_from_202)})",
        f"serve, cold cancel instance:  {_summary(cold)}",
        f"  (from the cancel's 202:     {_summary(cold_from_202)})",
        f"handler + DynamoDB (moto):    {_summary(dynamodb)}",
    ]


def _through_serve(cold: bool) -> tuple[list[float], list[float]]:
    """(cancel sent → upstream closed, cancel's 202 → upstream closed) per run."""
    sent_delays, answered_delays = [], []
    with FakeAnthropic(SLOW) as fake:
        env = clean_env(
            ANTHROPIC_BASE_URL=fake.base_url,
            ANTHROPIC_API_KEY=fake.api_key,
            STREAM_CHAT_CANCEL_POLL_S=str(POLL_S),
        )
        for index, server in enumerate(_servers(env, cold)):
            chunks = post_chunks(server.url, "/api/chat/stream", CHAT)
            stream_id = _stream_id(chunks)
            next(chunks)  # some text is flowing
            sent = time.time()
            answered = _post(server.url, f"/api/chat/stream/{stream_id}/cancel")
            closed = _closed_at(fake, index)
            sent_delays.append(closed - sent)
            answered_delays.append(closed - answered)
            for _ in chunks:  # drain to `done`
                pass
    return sent_delays, answered_delays


def _servers(env: dict[str, str], cold: bool) -> Iterator[Any]:
    """One serve for every run (warm), or a fresh one per run with nothing started (cold)."""
    if not cold:
        with serve("--workers", "2", env=env) as server:
            for _ in range(RUNS):
                yield server
        return
    for _ in range(RUNS):
        with serve("--warm", "0", env=env) as server:
            yield server


def _through_dynamodb() -> list[float]:
    from stream_chat.cancel_handler import CancelFunction
    from stream_chat.cancellation.dynamodb import DynamoDBRegistry
    from stream_chat.handler import ChatFunction
    from stream_chat.runtime.context import LambdaContext
    from stream_chat.settings import Settings
    from stream_chat.stores.tables import CANCEL_TABLE
    from tests.support.stores import moto_tables

    delays = []
    os.environ.update(
        AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing"
    )
    with moto_tables({"cancels": CANCEL_TABLE}), FakeAnthropic(SLOW) as fake:
        # The SDK reads its base URL and key from the environment, as it does on Lambda.
        os.environ.update(ANTHROPIC_BASE_URL=fake.base_url, ANTHROPIC_API_KEY=fake.api_key)
        settings = Settings(
            provider="anthropic",
            cancel_backend="dynamodb",
            cancel_table="cancels",
            cancel_poll_s=POLL_S,
        )
        running = ChatFunction.from_settings(settings)
        cancel = CancelFunction(DynamoDBRegistry("cancels", ttl_s=600))
        for index in range(RUNS):
            event = _event("/api/chat/stream", json.dumps(CHAT))
            response = running(event, LambdaContext.local("a", 60))
            body = iter(response.body)
            next(body), next(body)
            sent = time.time()
            stream_id = response.headers["x-stream-id"]
            cancel(_event(f"/api/chat/stream/{stream_id}/cancel", ""), LambdaContext.local("b", 5))
            for _ in body:  # the relay runs as the body is read, as the runtime does
                pass
            delays.append(_closed_at(fake, index) - sent)
    return delays


def _event(path: str, body: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "rawPath": path,
        "body": body,
        "isBase64Encoded": False,
        "headers": {},
        "requestContext": {"http": {"method": "POST", "path": path, "sourceIp": "127.0.0.1"}},
    }


def _stream_id(chunks: Any) -> str:
    _, first = next(chunks)
    data = first.split(b"data: ", 1)[1]
    stream_id: str = json.loads(data)["stream_id"]
    return stream_id


def _post(url: str, path: str) -> float:
    """POST a cancel; when its 202 arrived."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("POST", path, body=b"", headers={"content-type": "application/json"})
    response = connection.getresponse()
    answered = time.time()
    response.read()
    connection.close()
    if response.status != 202:
        raise RuntimeError(f"cancel answered {response.status}")
    return answered


def _closed_at(fake: FakeAnthropic, index: int) -> float:
    fake.wait_for_close(index, timeout=10)
    closed = fake.streams[index].closed_at
    assert closed is not None
    return closed


def _summary(delays: list[float]) -> str:
    worst = max(delays)
    verdict = "within" if worst < BOUND_S else "OVER"
    return (
        f"median {statistics.median(delays) * 1e3:4.0f} ms   max {worst * 1e3:4.0f} ms   "
        f"({verdict} interval + 300 ms)"
    )
