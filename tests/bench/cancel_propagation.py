"""How fast "Stop" reaches the upstream: cancel request sent → upstream connection closed.

Through ``serve`` (SQLite registry shared by the worker processes, as a cancel on Lambda lands
on another instance) and in-process on the DynamoDB registry (moto), 20 runs each, with the
default poll interval. The bound to meet is the interval plus a small margin.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import time
from typing import Any

from tests.bench.figures import record
from tests.bench.processes import percentiles, post_chunks, serve
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.support.serve import clean_env

RUNS = 20
POLL_S = 0.25
CHAT = {"messages": [{"role": "user", "content": "Write a long story."}]}
SLOW = Reply(texts=[f"w{n} " for n in range(2000)], delay_s=0.02)


def run() -> list[str]:
    through_serve, through_dynamodb = _through_serve(), _through_dynamodb()
    for name, delays in (("serve + SQLite", through_serve), ("DynamoDB (moto)", through_dynamodb)):
        p50, _, worst = percentiles(delays)
        record(f"cancel propagation p50, {name}", p50 * 1e3, "ms")
        record(f"cancel propagation max, {name}", worst * 1e3, "ms")
    return [
        f"poll interval {POLL_S} s, {RUNS} runs each, upstream streaming a token every 20 ms",
        f"serve + SQLite registry:    {_summary(through_serve)}",
        f"handler + DynamoDB (moto):  {_summary(through_dynamodb)}",
    ]


def _through_serve() -> list[float]:
    delays = []
    with FakeAnthropic(SLOW) as fake:
        env = clean_env(
            ANTHROPIC_BASE_URL=fake.base_url,
            ANTHROPIC_API_KEY=fake.api_key,
            STREAM_CHAT_CANCEL_POLL_S=str(POLL_S),
        )
        with serve("--workers", "2", env=env) as server:
            for index in range(RUNS):
                chunks = post_chunks(server.url, "/api/chat/stream", CHAT)
                stream_id = _stream_id(chunks)
                next(chunks)  # some text is flowing
                sent = time.time()
                _post(server.url, f"/api/chat/stream/{stream_id}/cancel")
                delays.append(_closed_at(fake, index) - sent)
                for _ in chunks:  # drain to `done`
                    pass
    return delays


def _through_dynamodb() -> list[float]:
    import boto3
    from moto import mock_aws

    from stream_chat.handler import ChatFunction
    from stream_chat.runtime.context import LambdaContext
    from stream_chat.settings import Settings

    delays = []
    os.environ.update(
        AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing"
    )
    with mock_aws(), FakeAnthropic(SLOW) as fake:
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="cancels",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "stream_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "stream_id", "KeyType": "HASH"}],
        )
        # The SDK reads its base URL and key from the environment, as it does on Lambda.
        os.environ.update(ANTHROPIC_BASE_URL=fake.base_url, ANTHROPIC_API_KEY=fake.api_key)
        settings = Settings(
            provider="anthropic",
            cancel_backend="dynamodb",
            cancel_table="cancels",
            cancel_poll_s=POLL_S,
        )
        running = ChatFunction.from_settings(settings)
        other = ChatFunction.from_settings(settings)
        for index in range(RUNS):
            event = _event("/api/chat/stream", json.dumps(CHAT))
            response = running(event, LambdaContext.local("a", 60))
            body = iter(response.body)
            next(body), next(body)
            sent = time.time()
            stream_id = response.headers["x-stream-id"]
            other(_event(f"/api/chat/stream/{stream_id}/cancel", ""), LambdaContext.local("b", 5))
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
        "requestContext": {"http": {"method": "POST", "path": path}},
    }


def _stream_id(chunks: Any) -> str:
    _, first = next(chunks)
    data = first.split(b"data: ", 1)[1]
    stream_id: str = json.loads(data)["stream_id"]
    return stream_id


def _post(url: str, path: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("POST", path, body=b"", headers={"content-type": "application/json"})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 202:
        raise RuntimeError(f"cancel answered {response.status}")


def _closed_at(fake: FakeAnthropic, index: int) -> float:
    fake.wait_for_close(index, timeout=10)
    closed = fake.streams[index].closed_at
    assert closed is not None
    return closed


def _summary(delays: list[float]) -> str:
    cuts = statistics.quantiles(delays, n=100, method="inclusive")
    worst = max(delays)
    verdict = "within" if worst < POLL_S + 1.0 else "OVER"
    return (
        f"p50 {cuts[49] * 1e3:5.0f} ms   p99 {cuts[98] * 1e3:5.0f} ms   "
        f"max {worst * 1e3:5.0f} ms   ({verdict} interval + 1 s)"
    )
