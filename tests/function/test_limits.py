"""Per-viewer limits: exact under concurrency on both stores; every stream gives its lease back."""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stream_chat.access import Viewer, viewer_address
from stream_chat.cancel_handler import CancelFunction
from stream_chat.cancellation.sqlite import SQLiteRegistry
from stream_chat.errors import LimitExceeded, TokenBudgetSpent, TooManyRequests, TooManyStreams
from stream_chat.handler import ChatFunction
from stream_chat.limits import Limiter, Limits, LimitStore, day_window
from stream_chat.limits.dynamodb import DynamoDBLimits
from stream_chat.limits.sqlite import SQLiteLimits
from stream_chat.providers import make_provider
from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from stream_chat.stores.tables import LIMITS_TABLE
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.function.conftest import build_function, chat_event, user
from tests.support.limits_race import admit_in_process
from tests.support.protocol import iter_frames, read_frames
from tests.support.stores import moto_tables

TABLE = "stream-chat-limits"
NOON = 1_795_521_630.0  # 2026-11-24 12:00:30 UTC: 30 s into a minute, mid-day
ALICE = "user:alice"

MakeStore = Callable[[Limits], LimitStore]


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with moto_tables({TABLE: LIMITS_TABLE}) as client:
        yield client


class Atomic:
    """Each call on the client is atomic, as DynamoDB guarantees for a conditional write or a
    transaction; moto's in-memory tables are not thread-safe and would let two writes interleave.
    The store's own concurrency logic is what these tests put under pressure."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return method(*args, **kwargs)

        return call


@pytest.fixture(params=["sqlite", "dynamodb"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> MakeStore:
    if request.param == "dynamodb":
        client = Atomic(request.getfixturevalue("dynamodb"))
        return lambda limits: DynamoDBLimits(TABLE, limits, client)  # type: ignore[arg-type]
    return lambda limits: SQLiteLimits(str(tmp_path / "limits.sqlite3"), limits)


def admit_all(store: LimitStore, count: int, now: float = NOON) -> list[str | Exception]:
    """``count`` admissions released at once from a barrier; each a lease key or the refusal."""
    barrier = threading.Barrier(count)

    def one(n: int) -> str | Exception:
        barrier.wait()
        try:
            return str(store.admit(ALICE, f"lease-{n}", now + 60, now))
        except LimitExceeded as error:
            return error

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_twenty_parallel_admissions_against_three_streams_admit_exactly_three(
    make_store: MakeStore,
) -> None:
    results = admit_all(make_store(Limits(concurrent_streams=3)), 20)
    admitted = [r for r in results if isinstance(r, str)]
    assert len(admitted) == 3 and len(set(admitted)) == 3
    refusals = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, TooManyStreams) for r in refusals) and len(refusals) == 17
    assert {r.code for r in refusals} == {"limit_concurrent"}


def test_twenty_parallel_requests_against_five_a_minute_admit_exactly_five(
    make_store: MakeStore,
) -> None:
    results = admit_all(make_store(Limits(requests_per_minute=5)), 20)
    refusals = [r for r in results if isinstance(r, Exception)]
    assert len(refusals) == 15 and all(isinstance(r, TooManyRequests) for r in refusals)
    assert {r.retry_after_s for r in refusals if isinstance(r, LimitExceeded)} == {30}


def test_the_rate_counts_per_minute(make_store: MakeStore) -> None:
    store = make_store(Limits(requests_per_minute=2))
    for n in range(2):
        store.admit(ALICE, f"a{n}", NOON + 60, NOON)
    with pytest.raises(TooManyRequests):
        store.admit(ALICE, "a3", NOON + 60, NOON + 29)
    store.admit(ALICE, "a4", NOON + 90, NOON + 30)  # the next minute
    store.admit("user:bob", "b1", NOON + 60, NOON)  # another viewer


def test_a_refused_stream_does_not_count_against_the_rate(make_store: MakeStore) -> None:
    store = make_store(Limits(concurrent_streams=1, requests_per_minute=3))
    first = store.admit(ALICE, "first", NOON + 60, NOON)
    for n in range(5):
        with pytest.raises(TooManyStreams):
            store.admit(ALICE, f"x{n}", NOON + 60, NOON)
    assert first is not None
    store.release(first, "first")
    second = store.admit(ALICE, "second", NOON + 60, NOON)
    assert second is not None
    store.release(second, "second")
    store.admit(ALICE, "third", NOON + 60, NOON)
    with pytest.raises(TooManyRequests):
        store.admit(ALICE, "fourth", NOON + 60, NOON)


def test_output_tokens_are_limited_per_day(make_store: MakeStore) -> None:
    store = make_store(Limits(output_tokens_per_day=100))
    store.admit(ALICE, "a", NOON + 60, NOON)
    store.add_output_tokens(ALICE, 60, NOON)
    store.admit(ALICE, "b", NOON + 60, NOON)  # 60 < 100: admitted; this stream may overshoot
    store.add_output_tokens(ALICE, 60, NOON)
    with pytest.raises(TokenBudgetSpent) as refused:
        store.admit(ALICE, "c", NOON + 60, NOON)
    assert refused.value.code == "limit_tokens"
    assert refused.value.retry_after_s == day_window(NOON)[1] == 12 * 3600 - 30
    store.admit(ALICE, "d", NOON + 86_400 + 60, NOON + 86_400)  # a new UTC day
    store.admit("user:bob", "e", NOON + 60, NOON)


def test_an_expired_lease_frees_its_slot(make_store: MakeStore) -> None:
    """A killed instance never releases: its lease ends with the invocation's deadline."""
    store = make_store(Limits(concurrent_streams=1))
    dead = store.admit(ALICE, "dead", NOON + 5, NOON)
    with pytest.raises(TooManyStreams):
        store.admit(ALICE, "early", NOON + 60, NOON + 4)
    taken = store.admit(ALICE, "later", NOON + 70, NOON + 10)
    assert dead is not None and taken is not None
    store.release(dead, "dead")  # the dead stream's late release must not free the new lease
    with pytest.raises(TooManyStreams):
        store.admit(ALICE, "again", NOON + 70, NOON + 11)
    store.release(taken, "later")
    store.admit(ALICE, "after", NOON + 70, NOON + 12)


def test_without_limits_nothing_is_stored(tmp_path: Path) -> None:
    limiter = Limiter.from_settings(Settings(limits_sqlite_path=str(tmp_path / "x.sqlite3")))
    assert limiter.store is None
    lease = limiter.admit(Viewer("ip:203.0.113.7"), 30)
    lease.release()
    assert not (tmp_path / "x.sqlite3").exists()


# -- processes sharing one SQLite file -------------------------------------------------------------
def test_twenty_processes_against_three_streams_admit_exactly_three(tmp_path: Path) -> None:
    path = str(tmp_path / "limits.sqlite3")
    SQLiteLimits(path, Limits(concurrent_streams=3))  # the schema exists before the race
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(20), ctx.Queue()
    processes = [
        ctx.Process(target=admit_in_process, args=(path, barrier, results, n)) for n in range(20)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=60) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    assert sorted(outcomes).count("admitted") == 3 and outcomes.count("refused") == 17


# -- through the handler -----------------------------------------------------------------------
@pytest.fixture
def limited(settings: Settings, fake_anthropic: FakeAnthropic) -> Settings:
    return replace(settings, limit_concurrent_streams=1, provider_attempts=1)


def request(
    function: ChatFunction, headers: dict[str, str] | None = None, source_ip: str | None = None
) -> Any:
    event = chat_event(user(), headers=headers, source_ip=source_ip)
    return function(event, LambdaContext.local("t", 30))


def assert_limited(response: Any, code: str) -> dict[str, Any]:
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = json.loads(b"".join(response.body))
    assert body["error"]["code"] == code
    assert int(response.headers["retry-after"]) == body["error"]["retry_after_s"] >= 1
    return body


def test_over_the_limit_is_429_and_the_provider_is_not_called(
    limited: Settings, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.enqueue(Reply(texts=["a "] * 10, delay_s=0.02))
    function = build_function(limited)
    first = request(function)
    assert first.status_code == 200
    assert_limited(request(function), "limit_concurrent")
    assert read_frames(first.body)[-1] == {"type": "done", "stop_reason": "end_turn"}
    assert request(function).status_code == 200  # the ended stream gave its lease back
    assert len(fake_anthropic.requests) == 1  # neither the refused nor the unread one called


def cancel_midway(response: Any, settings: Settings) -> list[Any]:
    frames = []
    for frame in iter_frames(response.body):
        frames.append(frame)
        if len(frames) == 2:
            path = f"/api/chat/stream/{response.headers['x-stream-id']}/cancel"
            registry = SQLiteRegistry(settings.cancel_sqlite_path, ttl_s=60)
            answer = CancelFunction(registry)(
                chat_event("", path=path), LambdaContext.local("c", 5)
            )
            assert answer["statusCode"] == 202
    return frames


def close_midway(response: Any) -> list[Any]:
    frames = iter_frames(response.body)
    taken = [next(frames), next(frames)]
    response.body.close()
    return taken


ENDINGS: dict[str, tuple[Reply, dict[str, Any], str | None]] = {
    "done": (Reply(), {}, "end_turn"),
    "cancel": (Reply(texts=["w "] * 200, delay_s=0.02), {}, "cancelled"),
    "timeout": (Reply(first_delay_s=3.0), {"first_token_timeout_s": 0.3}, "error"),
    "provider error": (Reply(fault="http_500"), {}, "error"),
    "provider error mid-stream": (Reply(fault="overloaded_midstream"), {}, "error"),
    "body closed mid-stream": (Reply(texts=["w "] * 200, delay_s=0.02), {}, None),
    "body closed unread": (Reply(), {}, None),
}


@pytest.mark.parametrize("ending", ENDINGS)
def test_every_ending_releases_the_lease(
    limited: Settings, fake_anthropic: FakeAnthropic, ending: str
) -> None:
    reply, overrides, stop_reason = ENDINGS[ending]
    fake_anthropic.enqueue(reply)
    settings = replace(limited, **overrides)
    function = build_function(settings)
    response = request(function)
    assert response.status_code == 200
    assert_limited(request(function), "limit_concurrent")
    if ending == "cancel":
        frames = cancel_midway(response, settings)
    elif ending == "body closed mid-stream":
        frames = close_midway(response)
    elif ending == "body closed unread":
        response.body.close()
        frames = []
    else:
        frames = read_frames(response.body)
    if stop_reason is not None:
        assert frames[-1] == {"type": "done", "stop_reason": stop_reason}
    after = request(function)
    assert after.status_code == 200
    after.body.close()


def test_output_tokens_are_counted_from_the_final_usage(
    settings: Settings, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.default = Reply(texts=["a", "b"], output_tokens=7)
    function = build_function(replace(settings, limit_output_tokens_per_day=10))
    for _ in range(2):
        frames = read_frames(request(function).body)
        assert next(f for f in frames if f["type"] == "usage")["output_tokens"] == 7
    body = assert_limited(request(function), "limit_tokens")
    assert "budget" in body["error"]["message"]
    assert len(fake_anthropic.requests) == 2


# -- whose limit: the viewer's address without sign-in ------------------------------------------
CLOUDFRONT = "130.176.12.34"  # sourceIp behind CloudFront is CloudFront's own


@pytest.mark.parametrize(
    ("header", "source_ip", "expected"),
    [
        ("198.51.100.7:5312", CLOUDFRONT, "198.51.100.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd:443", CLOUDFRONT, "2001:db8:1:2::/64"),
        ("[2001:db8:1:2::9]:443", CLOUDFRONT, "2001:db8:1:2::/64"),
        (None, "203.0.113.9", "203.0.113.9"),
        (None, "2001:db8:5:6::1", "2001:db8:5:6::/64"),
        ("not an address", "203.0.113.9", "203.0.113.9"),
        ("", "203.0.113.9", "203.0.113.9"),
    ],
)
def test_viewer_address(header: str | None, source_ip: str, expected: str) -> None:
    headers = {} if header is None else {"cloudfront-viewer-address": header}
    assert viewer_address(headers, source_ip) == expected


def test_behind_cloudfront_each_viewer_address_has_its_own_limit(limited: Settings) -> None:
    function = build_function(replace(limited, provider="demo"))

    def viewer(address: str) -> Any:
        return request(function, {"cloudfront-viewer-address": address}, source_ip=CLOUDFRONT)

    first = viewer("198.51.100.7:1111")
    assert first.status_code == 200
    assert viewer("198.51.100.7:2222").status_code == 429  # same viewer, another port
    other = viewer("198.51.100.8:1111")
    assert other.status_code == 200  # another viewer, same CloudFront edge address
    first.body.close()
    other.body.close()


def test_without_cloudfront_the_source_ip_is_the_key(limited: Settings) -> None:
    function = build_function(replace(limited, provider="demo"))
    first = request(function, source_ip="203.0.113.1")
    assert first.status_code == 200
    assert request(function, source_ip="203.0.113.1").status_code == 429
    other = request(function, source_ip="203.0.113.2")
    assert other.status_code == 200
    first.body.close()
    other.body.close()


# -- 20 requests at once through the handler ---------------------------------------------------
@pytest.mark.parametrize("store", ["sqlite", "dynamodb"])
def test_twenty_parallel_requests_against_a_limit_of_three(
    store: str, settings: Settings, fake_anthropic: FakeAnthropic, request: pytest.FixtureRequest
) -> None:
    settings = replace(settings, limit_concurrent_streams=3)
    limiter = Limiter.from_settings(settings)
    if store == "dynamodb":
        client = Atomic(request.getfixturevalue("dynamodb"))
        on_dynamodb = DynamoDBLimits(TABLE, Limits(concurrent_streams=3), client)  # type: ignore[arg-type]
        limiter = Limiter(on_dynamodb)
    function = ChatFunction(settings, make_provider(settings), None, limiter=limiter)
    barrier = threading.Barrier(20)

    def one(_: int) -> Any:
        barrier.wait()
        return function(chat_event(user()), LambdaContext.local("t", 30))

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(one, range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 3 + [429] * 17
    for response in responses:
        if response.status_code == 200:
            response.body.close()
    assert fake_anthropic.requests == []
    again = function(chat_event(user()), LambdaContext.local("t", 30))
    assert again.status_code == 200  # the three leases came back
    again.body.close()


class Contended:
    """DynamoDB under contention: the first transactions are cancelled as conflicting."""

    def __init__(self, inner: Any, conflicts: int) -> None:
        self.inner, self.conflicts, self.attempts = inner, conflicts, 0

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.attempts += 1
        if self.conflicts:
            self.conflicts -= 1
            reasons = [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * (
                len(kwargs["TransactItems"]) - 1
            )
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                    "CancellationReasons": reasons,
                },
                "TransactWriteItems",
            )
        return self.inner.transact_write_items(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_conflicting_transactions_are_retried_briefly(dynamodb: Any) -> None:
    limits = Limits(concurrent_streams=1, requests_per_minute=10)
    client = Contended(dynamodb, conflicts=3)
    store = DynamoDBLimits(TABLE, limits, client)  # type: ignore[arg-type]
    assert store.admit(ALICE, "a", NOON + 60, NOON) == f"{ALICE}#stream#0"
    assert client.attempts == 4
    hammered = DynamoDBLimits(TABLE, limits, Contended(dynamodb, conflicts=100))  # type: ignore[arg-type]
    with pytest.raises(TooManyRequests) as refused:
        hammered.admit("user:bob", "b", NOON + 60, NOON)
    assert refused.value.retry_after_s == 1
