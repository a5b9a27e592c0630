"""Stop means stop: the cancel route reaches the running stream through the registry."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stream_chat.cancel_handler import CancelFunction
from stream_chat.cancellation import CancelRegistry
from stream_chat.cancellation.dynamodb import DynamoDBRegistry
from stream_chat.cancellation.sqlite import SQLiteRegistry
from stream_chat.cancellation.watcher import CancelWatcher
from stream_chat.handler import ChatFunction
from stream_chat.providers import make_provider
from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from stream_chat.stores.tables import CANCEL_TABLE
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.function.conftest import chat_event, user
from tests.support.protocol import iter_frames, types_of
from tests.support.stores import is_cancelled, moto_tables

TABLE = "stream-chat-cancel"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with moto_tables({TABLE: CANCEL_TABLE}) as client:
        yield client


def test_dynamodb_registry_round_trip(dynamodb: Any) -> None:
    registry = DynamoDBRegistry(TABLE, ttl_s=600, client=dynamodb)
    reads: list[dict[str, Any]] = []
    dynamodb.meta.events.register(
        "provide-client-params.dynamodb.GetItem", lambda params, **_: reads.append(params)
    )
    assert not is_cancelled(registry, "stream-a")
    before = int(time.time())
    registry.cancel("stream-a")
    registry.cancel("stream-a")  # idempotent
    assert is_cancelled(registry, "stream-a") and not is_cancelled(registry, "stream-b")
    items = dynamodb.scan(TableName=TABLE)["Items"]
    assert len(items) == 1
    expires = int(items[0]["expires_at"]["N"])
    assert before + 600 <= expires <= int(time.time()) + 600
    assert all(params["ConsistentRead"] is True for params in reads)


def test_the_watcher_survives_throttling(dynamodb: Any) -> None:
    registry = DynamoDBRegistry(TABLE, ttl_s=600, client=dynamodb)
    throttles = [2]

    def throttle(**_: Any) -> None:
        if throttles[0]:
            throttles[0] -= 1
            raise ClientError(
                {
                    "Error": {
                        "Code": "ProvisionedThroughputExceededException",
                        "Message": "slow down",
                    }
                },
                "GetItem",
            )

    dynamodb.meta.events.register("before-call.dynamodb.GetItem", throttle)
    registry.cancel("stream-a")
    cancelled = threading.Event()
    watcher = CancelWatcher(registry, "stream-a", 0.05, cancelled.set).start()
    try:
        assert cancelled.wait(2)
    finally:
        watcher.stop()
    assert (watcher.failures, watcher.reads) == (2, 3)


def test_sqlite_registry_is_shared_between_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "cancel.sqlite3")
    registry = SQLiteRegistry(path, ttl_s=60)
    code = (
        "import sys; from stream_chat.cancellation.sqlite import SQLiteRegistry as R;"
        "R(sys.argv[1], ttl_s=60).cancel('from-another-process')"
    )
    subprocess.run(
        [sys.executable, "-c", code, path],
        check=True,
        timeout=30,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[2] / "functions")},
    )
    assert is_cancelled(registry, "from-another-process")
    assert not is_cancelled(registry, "another")


def test_expired_cancels_are_ignored(tmp_path: Path) -> None:
    registry = SQLiteRegistry(str(tmp_path / "c.sqlite3"), ttl_s=1)
    registry.cancel("old")
    assert is_cancelled(registry, "old")
    time.sleep(1.1)
    assert not is_cancelled(registry, "old")


class Counting:
    def __init__(self, inner: CancelRegistry) -> None:
        self.inner, self.reads = inner, 0

    def cancel(self, stream_id: str, owner: str = "") -> None:
        self.inner.cancel(stream_id, owner)

    def cancelled_at(self, stream_id: str, owner: str = "") -> float | None:
        self.reads += 1
        return self.inner.cancelled_at(stream_id, owner)


def test_an_uncancelled_stream_reads_at_most_once_per_interval(
    fake_anthropic: FakeAnthropic, settings: Settings
) -> None:
    fake_anthropic.enqueue(Reply(texts=["x"] * 10, delay_s=0.1))
    registry = Counting(SQLiteRegistry(settings.cancel_sqlite_path, ttl_s=60))
    function = ChatFunction(replace(settings, cancel_poll_s=0.1), make_provider(settings), registry)
    started = time.monotonic()
    response = function(chat_event(user()), LambdaContext.local("r", 30))
    frames = list(iter_frames(response.body))
    elapsed = time.monotonic() - started
    assert frames[-1]["stop_reason"] == "end_turn"
    assert 1 <= registry.reads <= elapsed / 0.1


def stream_then_cancel(
    settings: Settings, registry: CancelRegistry, fake: FakeAnthropic
) -> tuple[list[dict[str, Any]], float]:
    """Start a slow answer, cancel it through the cancel function after two texts."""
    fake.enqueue(Reply(texts=[f"w{n} " for n in range(100)], delay_s=0.05))
    running = ChatFunction(settings, make_provider(settings), registry)
    cancel_function = CancelFunction(registry)
    response = running(chat_event(user()), LambdaContext.local("a", 30))
    stream_id = response.headers["x-stream-id"]
    frames, cancelled_at = [], 0.0
    for frame in iter_frames(response.body):
        frames.append(frame)
        if len(frames) == 3:
            cancel = chat_event("", path=f"/api/chat/stream/{stream_id}/cancel")
            cancelled_at = time.time()  # the stream may stop before the 202 is back
            assert cancel_function(cancel, LambdaContext.local("b", 5))["statusCode"] == 202
    closed = fake.wait_for_close(0, timeout=5) + fake.streams[0].opened_at
    return frames, closed - cancelled_at


def check_cancelled(frames: list[dict[str, Any]], delay: float, poll_s: float) -> None:
    assert types_of(frames)[-2:] == ["usage", "done"]
    assert frames[-1] == {"type": "done", "stop_reason": "cancelled"}
    assert frames[-2]["estimated"] is True and frames[-2]["output_tokens"] >= 1
    assert "error" not in types_of(frames)
    assert 0 <= delay < poll_s + 1.0


def test_cancel_stops_the_upstream_with_sqlite(
    fake_anthropic: FakeAnthropic, settings: Settings
) -> None:
    registry = SQLiteRegistry(settings.cancel_sqlite_path, ttl_s=60)
    frames, delay = stream_then_cancel(settings, registry, fake_anthropic)
    check_cancelled(frames, delay, settings.cancel_poll_s)
    assert fake_anthropic.streams[0].client_closed


def test_cancel_stops_the_upstream_with_dynamodb(
    fake_anthropic: FakeAnthropic, dynamodb: Any, settings: Settings
) -> None:
    registry = DynamoDBRegistry(TABLE, ttl_s=60, client=dynamodb)
    frames, delay = stream_then_cancel(settings, registry, fake_anthropic)
    check_cancelled(frames, delay, settings.cancel_poll_s)
    assert fake_anthropic.streams[0].client_closed


def test_registries_tell_when_a_stream_was_cancelled(tmp_path: Path, dynamodb: Any) -> None:
    path = str(tmp_path / "c.sqlite3")
    pairs = [
        (SQLiteRegistry(path, ttl_s=60), SQLiteRegistry(path, ttl_s=3600)),
        (
            DynamoDBRegistry(TABLE, ttl_s=60, client=dynamodb),
            DynamoDBRegistry(TABLE, ttl_s=3600, client=dynamodb),
        ),
    ]
    for writer, reader in pairs:  # a reader configured differently reads the same time
        before = time.time()
        writer.cancel("stream-x", "sub-bob")
        after = time.time()
        recorded = reader.cancelled_at("stream-x", "sub-bob")
        assert recorded is not None and before - 0.001 <= recorded <= after + 0.001
        assert reader.cancelled_at("stream-y", "sub-bob") is None


@pytest.mark.parametrize("store", ["sqlite", "dynamodb"])
def test_a_cancel_is_recorded_for_its_owner_only(
    store: str, dynamodb: Any, settings: Settings
) -> None:
    registry: CancelRegistry = (
        DynamoDBRegistry(TABLE, ttl_s=600, client=dynamodb)
        if store == "dynamodb"
        else SQLiteRegistry(settings.cancel_sqlite_path, ttl_s=600)
    )
    registry.cancel("stream-a", "sub-bob")
    assert registry.cancelled_at("stream-a", "sub-alice") is None
    assert registry.cancelled_at("stream-a") is None  # the unowned record is another record too
    assert registry.cancelled_at("stream-a", "sub-bob") is not None
    registry.cancel("stream-a", "sub-alice")
    assert registry.cancelled_at("stream-a", "sub-alice") is not None
    registry.cancel("stream-b")
    assert registry.cancelled_at("stream-b") is not None
    assert registry.cancelled_at("stream-b", "sub-bob") is None
