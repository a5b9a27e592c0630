"""The resume function: the journaled frames after the client's last id, byte for byte as the
live stream sent them, then the journal followed to ``done``; its refusals; and the endings that
are not ``done`` (its own deadline, and ``answer_lost``)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest

from stream_chat.access import Authorizer
from stream_chat.deadline import Deadline
from stream_chat.handler import ChatFunction
from stream_chat.journal import Batch, Journal
from stream_chat.journal.dynamodb import DynamoDBJournal
from stream_chat.journal.follow import Follow, opening
from stream_chat.journal.sqlite import SQLiteJournal
from stream_chat.providers import make_provider
from stream_chat.resume_handler import ResumeFunction
from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from stream_chat.stores.tables import JOURNAL_TABLE
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.fakes.identity_provider import FakeIdentityProvider, User
from tests.function.conftest import chat_event, user
from tests.function.output import Output
from tests.support.imports import modules_loaded_by, top_level
from tests.support.protocol import ProtocolReader, text_of
from tests.support.serve import clean_env
from tests.support.stores import moto_tables

TEXTS = [f"mot{n} " for n in range(40)] + ["ünïcödé ", "👋", "\u2028end"]
HEARTBEAT = b": ping\n\n"


def resume_event(
    stream_id: str,
    last_id: str | None = None,
    *,
    after: str | None = None,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    extra = dict(headers or {})
    if last_id is not None:
        extra["last-event-id"] = last_id
    event = chat_event("", path=f"/api/chat/stream/{stream_id}", method=method, headers=extra)
    del event["headers"]["content-type"]
    if after is not None:
        event["queryStringParameters"] = {"after": after}
    return event


def frames_of(body: bytes) -> list[bytes]:
    """The frames of a body, each as sent, heartbeats left out."""
    return [frame + b"\n\n" for frame in body.split(b"\n\n")[:-1] if frame + b"\n\n" != HEARTBEAT]


def live_answer(settings: Settings, journal: Journal, **headers: str) -> tuple[str, bytes]:
    """A whole answer, read to its end: its stream id and its body as the client got it."""
    function = ChatFunction(settings, make_provider(settings), None, journal=journal)
    response = function(chat_event(user(), headers=headers), LambdaContext.local("live", 30))
    return response.headers["x-stream-id"], b"".join(response.body)


def resumed(function: ResumeFunction, event: dict[str, Any], timeout_s: float = 10) -> Any:
    response = function(event, LambdaContext.local("resume", timeout_s))
    return response, b"".join(response.body)


@pytest.fixture
def journal(settings: Settings) -> SQLiteJournal:
    return SQLiteJournal(settings.journal_sqlite_path, ttl_s=60)


def test_a_finished_answer_replays_after_any_id_byte_for_byte(
    fake_anthropic: FakeAnthropic, settings: Settings, journal: SQLiteJournal
) -> None:
    fake_anthropic.enqueue(Reply(texts=TEXTS))
    stream_id, live = live_answer(settings, journal)
    sent = frames_of(live)
    function = ResumeFunction(settings, journal)

    for last_id in (0, 1, 20, len(sent) - 1, len(sent)):
        response, body = resumed(function, resume_event(stream_id, str(last_id)))
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["x-stream-id"] == stream_id
        assert body == b"".join(sent[last_id:])

    # Byte for byte, and so exactly the text the model sent, with no gap and no duplicate.
    reader = ProtocolReader(first_id=21)
    reader.feed(resumed(function, resume_event(stream_id, "20"))[1])
    head = ProtocolReader()
    head.feed(b"".join(sent[:20]))
    assert text_of(head.frames) + text_of(reader.frames) == "".join(TEXTS)
    assert reader.frames[-1] == {"type": "done", "stop_reason": "end_turn"}


def test_the_header_wins_over_the_query_and_no_id_means_from_the_start(
    fake_anthropic: FakeAnthropic, settings: Settings, journal: SQLiteJournal
) -> None:
    fake_anthropic.enqueue(Reply(texts=TEXTS))
    stream_id, live = live_answer(settings, journal)
    sent = frames_of(live)
    function = ResumeFunction(settings, journal)
    assert resumed(function, resume_event(stream_id, after="30"))[1] == b"".join(sent[30:])
    assert resumed(function, resume_event(stream_id, "10", after="30"))[1] == b"".join(sent[10:])
    assert resumed(function, resume_event(stream_id))[1] == b"".join(sent)


def test_a_running_answer_is_followed_live_until_done(
    fake_anthropic: FakeAnthropic, settings: Settings, journal: SQLiteJournal
) -> None:
    fake_anthropic.enqueue(Reply(texts=TEXTS, delay_s=0.03))
    quick = replace(settings, journal_flush_s=0.2)
    function = ChatFunction(quick, make_provider(quick), None, journal=journal)
    live = function(chat_event(user()), LambdaContext.local("live", 30))
    stream_id = live.headers["x-stream-id"]
    body = iter(live.body)
    first = next(body)  # the start frame: written to the journal at once

    deadline = time.monotonic() + 5
    while not journal.read(stream_id) and time.monotonic() < deadline:
        time.sleep(0.01)
    response = ResumeFunction(quick, journal)(resume_event(stream_id), LambdaContext.local("r", 30))
    resumed_chunks = iter(response.body)
    assert next(resumed_chunks) == first  # before the answer went any further
    rest_live = first + b"".join(body)  # the live answer goes on, read to its end
    assert b"".join([first, *resumed_chunks]) == b"".join(frames_of(rest_live))


@pytest.mark.parametrize(
    ("event", "status", "code"),
    [
        (resume_event("x" * 32, method="POST"), 405, "method_not_allowed"),
        (resume_event("x" * 32, method="HEAD"), 405, "method_not_allowed"),
        (resume_event("short"), 400, "invalid_stream_id"),
        (resume_event("x" * 32, "-1"), 400, "invalid_field"),
        (resume_event("x" * 32, "7.5"), 400, "invalid_field"),
        (resume_event("x" * 32, after="abc"), 400, "invalid_field"),
        (resume_event("x" * 32, "1"), 404, "not_found"),
        (chat_event("", path="/api/chat/stream/a/b", method="GET"), 404, "not_found"),
        (
            chat_event("", path=f"/api/chat/stream/{'x' * 32}/cancel", method="GET"),
            404,
            "not_found",
        ),
    ],
)
def test_refusals_before_the_stream(
    event: dict[str, Any], status: int, code: str, settings: Settings, journal: SQLiteJournal
) -> None:
    response, body = resumed(ResumeFunction(settings, journal), event)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == code
    if status == 405:
        assert response.headers["allow"] == "GET"
    if code == "invalid_field":
        assert error["field"] == "last_event_id"


def test_without_a_journal_there_is_no_resume_route(settings: Settings) -> None:
    response, _ = resumed(ResumeFunction(settings, None), resume_event("x" * 32))
    assert response.status_code == 404


def test_with_sign_in_a_resume_needs_the_token_of_the_user_who_asked(
    fake_anthropic: FakeAnthropic, settings: Settings, journal: SQLiteJournal
) -> None:
    fake_anthropic.enqueue(Reply(texts=TEXTS))
    with FakeIdentityProvider("chat-client") as idp:
        signed = replace(
            settings, auth="cognito", auth_issuer=idp.issuer, auth_client_id=idp.client_id
        )
        alice = {"x-authorization": f"Bearer {idp.access_token()}"}
        bob = {"x-authorization": f"Bearer {idp.access_token(user=User('bob', 'sub-bob'))}"}
        stream_id, live = live_answer(signed, journal, **alice)
        function = ResumeFunction(signed, journal, Authorizer.from_settings(signed))

        unsigned, _ = resumed(function, resume_event(stream_id))
        others, others_body = resumed(function, resume_event(stream_id, headers=bob))
        unknown, unknown_body = resumed(function, resume_event("u" * 32, headers=bob))
        owners, owners_body = resumed(function, resume_event(stream_id, headers=alice))
    assert (unsigned.status_code, unsigned.headers["www-authenticate"][:6]) == (401, "Bearer")
    assert (others.status_code, others_body) == (404, unknown_body)  # never revealed
    assert unknown.status_code == 404
    assert (owners.status_code, owners_body) == (200, live)


def test_a_store_failing_mid_answer_leaves_the_live_answer_whole(
    fake_anthropic: FakeAnthropic, settings: Settings, journal: SQLiteJournal, output: Output
) -> None:
    class FailingAfterTwo:
        def __init__(self) -> None:
            self.writes = 0

        def write(self, batch: Batch) -> None:
            if self.writes == 2:
                raise OSError("the journal's disk is gone")
            self.writes += 1
            journal.write(batch)

        def read(self, stream_id: str, after: int = -1) -> list[Batch]:
            return journal.read(stream_id, after)

    fake_anthropic.enqueue(Reply(texts=TEXTS, delay_s=0.01))
    quick = replace(settings, journal_flush_s=0.05)
    stream_id, live = live_answer(quick, FailingAfterTwo())

    reader = ProtocolReader()
    reader.feed(live)
    assert text_of(reader.frames) == "".join(TEXTS)
    assert reader.frames[-1] == {"type": "done", "stop_reason": "end_turn"}
    (summary,) = output.logs("stream ended")
    assert (summary["journal_writes"], summary["journal_failures"]) == (2, 1)
    (document,) = output.documents()
    assert (document["JournalWrites"], document["JournalFailures"]) == ([2], [1])
    (warning,) = output.logs("journal write failed: the answer is not resumable")
    assert warning["level"] == "WARNING" and warning["stream_id"] == stream_id

    # The journal stops short of done: a resume replays what it has, then, its own time up,
    # simply ends (the client may resume again), since the writer's deadline has not passed.
    started = time.monotonic()
    _, body = resumed(ResumeFunction(quick, journal), resume_event(stream_id), 1.5)
    assert body and frames_of(live)[: len(frames_of(body))] == frames_of(body)
    assert b"event: done" not in body and time.monotonic() - started < 5


def test_an_answer_whose_writer_ran_out_of_time_ends_as_lost(journal: SQLiteJournal) -> None:
    stream_id = "l" * 32
    start = b'id: 1\nevent: start\ndata: {"type":"start","stream_id":"x","model":"m"}\n\n'
    journal.write(Batch(stream_id, 0, "", 1, start, False, deadline_at=time.time() + 1))
    batches = opening(journal, stream_id, "")
    clock = [time.time()]
    follow = Follow(
        journal, stream_id, 0, Deadline(time.monotonic() + 60), heartbeat_s=10.0,
        now=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s),
    )  # fmt: skip

    body = b"".join(follow.frames(batches))
    assert body == start + (
        b"event: error\n"
        b'data: {"type":"error","code":"answer_lost",'
        b'"message":"The rest of this answer was lost.","retryable":false}\n\n'
        b'event: done\ndata: {"type":"done","stop_reason":"error"}\n\n'
    )  # the ending has no id: the client's last id stays the answer's
    assert clock[0] > time.time() + 5  # only once the writer's deadline and the grace passed


def test_a_silent_journal_is_followed_with_heartbeats_until_the_resume_runs_out(
    journal: SQLiteJournal,
) -> None:
    stream_id = "h" * 32
    journal.write(Batch(stream_id, 0, "", 1, b"id: 1\nevent: x\ndata: {}\n\n", False, 4e9))
    follow = Follow(journal, stream_id, 1, Deadline(time.monotonic() + 1.2), heartbeat_s=0.3)
    started = time.monotonic()
    body = b"".join(follow.frames(opening(journal, stream_id, "")))
    assert 1.0 < time.monotonic() - started < 3.0
    assert body.count(HEARTBEAT) >= 2 and body.replace(HEARTBEAT, b"") == b""


def test_the_dynamodb_journal_serves_a_resume_of_the_real_answer(
    fake_anthropic: FakeAnthropic, settings: Settings
) -> None:
    fake_anthropic.enqueue(Reply(texts=TEXTS))
    with moto_tables({"journal": JOURNAL_TABLE}) as client:
        journal = DynamoDBJournal("journal", ttl_s=60, client=client)
        stream_id, live = live_answer(settings, journal)
        items = client.query(
            TableName="journal",
            KeyConditionExpression="stream_id = :id",
            ExpressionAttributeValues={":id": {"S": stream_id}},
        )["Items"]
        _, body = resumed(ResumeFunction(settings, journal), resume_event(stream_id, "5"))
    assert body == b"".join(frames_of(live)[5:])
    assert [item["done"]["BOOL"] for item in items][-1] is True
    assert [int(item["batch"]["N"]) for item in items] == list(range(len(items)))


def test_the_resume_function_is_light(tmp_path: Any) -> None:
    env = clean_env(STREAM_CHAT_JOURNAL_SQLITE_PATH=str(tmp_path / "journal.sqlite3"))
    loaded = top_level(modules_loaded_by("stream_chat.resume_handler", env, init=True))
    assert not loaded & {"anthropic", "httpx", "aws_lambda_powertools", "boto3", "botocore"}


def test_the_resume_function_tells_a_lost_answer_apart_from_a_slow_one(
    settings: Settings, journal: SQLiteJournal
) -> None:
    start = b'id: 1\nevent: start\ndata: {"type":"start","stream_id":"x","model":"m"}\n\n'
    lost, slow = "l" * 32, "s" * 32
    journal.write(Batch(lost, 0, "", 1, start, False, deadline_at=time.time() - 6))
    journal.write(Batch(slow, 0, "", 1, start, False, deadline_at=time.time() + 60))
    function = ResumeFunction(settings, journal)

    response, body = resumed(function, resume_event(lost, "1"))
    assert response.status_code == 200  # the status was sent before the journal told
    assert body.startswith(b'event: error\ndata: {"type":"error","code":"answer_lost"')
    assert body.endswith(b'event: done\ndata: {"type":"done","stop_reason":"error"}\n\n')
    _, body = resumed(function, resume_event(slow, "1"), timeout_s=1.2)
    assert body == b""  # the writer may still finish it: the resume just ends, to be resumed
