"""The journal's writing side: how frames become batches, what a batch costs, and the stores'
items (SQLite, and DynamoDB in moto with the table's real layout)."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from stream_chat.journal import Batch
from stream_chat.journal.dynamodb import DynamoDBJournal
from stream_chat.journal.sqlite import SQLiteJournal
from stream_chat.journal.writer import JOURNAL_BATCH_BYTES, PATIENCE, Batcher, JournalWriter
from stream_chat.protocol.frames import Done, Start, Text, Usage
from stream_chat.protocol.sse import encode_frame
from stream_chat.stores.tables import JOURNAL_TABLE
from tests.support.stores import moto_tables

STREAM_ID = "s" * 32
TABLE = "journal"


def answer_frames(texts: list[str]) -> list[bytes]:
    """An answer's encoded frames as the live stream numbers them: start, texts, usage, done."""
    frames = [Start(STREAM_ID, "m"), *(Text(text) for text in texts), Usage(12, len(texts))]
    frames.append(Done("end_turn"))
    return [encode_frame(n, frame) for n, frame in enumerate(frames, start=1)]


def batches_of(frames: list[bytes], pace_s: float, flush_s: float = 1.0) -> list[Batch]:
    """The batches a writer cuts from ``frames`` arriving every ``pace_s`` (an injected clock:
    each frame comes at its time, and whatever falls due between two frames is written)."""
    batcher = Batcher(STREAM_ID, "", 2e9, flush_s)
    written: list[Batch] = []
    for n, frame in enumerate(frames):
        now = n * pace_s
        wait = batcher.wait(now)
        if wait is not None and wait <= 0:  # due before this frame came
            written.append(batcher.take())
        batcher.add(frame, now)
        if batcher.wait(now) == 0.0:
            written.append(batcher.take())
    if batcher.wait(len(frames) * pace_s) is not None:
        written.append(batcher.take())
    return written


@pytest.mark.parametrize("pace", [6, 10, 30, 100, 1000])
def test_an_answer_of_1000_text_frames_costs_at_most_50_writes_at_any_pace(pace: int) -> None:
    """From 6 frames a second (1,000 of them take 167 s: the default timeout is 180 s) up."""
    frames = answer_frames([f"tok{n} " for n in range(1000)])
    written = batches_of(frames, pace_s=1 / pace)
    assert len(written) <= 50
    assert b"".join(batch.frames for batch in written) == b"".join(frames)  # nothing lost


def test_a_steady_answer_is_written_once_a_second_and_a_trickle_within_patience() -> None:
    steady = batches_of(answer_frames([f"tok{n} " for n in range(300)]), pace_s=1 / 30)
    assert len(steady) >= 300 / 30 - 1  # one a second: a resume is never far behind
    trickle = batches_of(answer_frames([f"tok{n} " for n in range(20)]), pace_s=1.0)
    # start at once, then the texts (ids 2-21) a batch each PATIENCE seconds, then usage and done
    assert [batch.first_id for batch in trickle] == [1, *range(2, 22, PATIENCE), 22]


def test_batches_number_the_frames_and_only_the_last_holds_done() -> None:
    frames = answer_frames([f"tok{n} " for n in range(100)])
    written = batches_of(frames, pace_s=1 / 30)
    assert [batch.number for batch in written] == list(range(len(written)))
    assert written[0].frames == frames[0]  # the start frame, alone: written at once
    first_ids = [batch.first_id for batch in written]
    counts = [batch.frames.count(b"\n\n") for batch in written]
    assert first_ids == [1 + sum(counts[:n]) for n in range(len(written))]
    assert [batch.done for batch in written] == [False] * (len(written) - 1) + [True]


def test_a_batch_is_cut_at_16_kib_however_fast_the_frames_come() -> None:
    frames = answer_frames(["x" * 1000] * 100)  # ~100 kB at once
    written = batches_of(frames, pace_s=0.0)
    assert all(len(batch.frames) < JOURNAL_BATCH_BYTES + 1100 for batch in written)
    assert len(written) >= 100_000 // JOURNAL_BATCH_BYTES
    assert b"".join(batch.frames for batch in written) == b"".join(frames)


def test_the_frames_after_an_id_are_cut_from_a_batch_byte_for_byte() -> None:
    frames = answer_frames(["a", "b", "ç"])
    batch = Batch(STREAM_ID, 0, "", 1, b"".join(frames), True, 0.0)
    assert batch.frames_after(0) == batch.frames
    assert batch.frames_after(2) == b"".join(frames[2:])
    assert batch.frames_after(len(frames)) == b""
    later = Batch(STREAM_ID, 1, "", 3, b"".join(frames[2:]), True, 0.0)
    assert later.frames_after(1) == later.frames and later.frames_after(3) == b"".join(frames[3:])


class Recording:
    """A journal that keeps what it is given and tells when; ``fail_after`` writes then raises."""

    def __init__(self, fail_after: int | None = None, write_s: float = 0.0) -> None:
        self.batches: list[tuple[float, Batch]] = []
        self.fail_after = fail_after
        self.write_s = write_s
        self.attempts = 0

    def write(self, batch: Batch) -> None:
        self.attempts += 1
        if self.fail_after is not None and len(self.batches) >= self.fail_after:
            raise OSError("the journal's store is gone")
        time.sleep(self.write_s)
        self.batches.append((time.monotonic(), batch))

    def read(self, stream_id: str, after: int = -1) -> list[Batch]:
        return [batch for _, batch in self.batches if batch.number > after]


def test_the_writer_writes_the_start_at_once_and_done_without_waiting_for_the_flush() -> None:
    journal = Recording()
    writer = JournalWriter(journal, Batcher(STREAM_ID, "owner", 2e9, flush_s=30.0))
    frames = answer_frames(["a", "b"])
    started = time.monotonic()
    writer.append(frames[0])
    deadline = time.monotonic() + 5
    while not journal.batches and time.monotonic() < deadline:
        time.sleep(0.005)
    assert journal.batches and journal.batches[0][0] - started < 2.0  # not after flush_s (30 s)
    for frame in frames[1:]:
        writer.append(frame)
    while len(journal.batches) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert [batch.done for _, batch in journal.batches] == [False, True]  # done came: written
    writer.close(5)
    assert writer.writes == 2 and writer.failures == 0
    assert journal.batches[1][1].frames == b"".join(frames[1:])
    assert {batch.owner for _, batch in journal.batches} == {"owner"}


def test_appending_never_waits_for_a_slow_store() -> None:
    journal = Recording(write_s=0.5)
    writer = JournalWriter(journal, Batcher(STREAM_ID, "", 2e9, flush_s=0.01))
    started = time.monotonic()
    for frame in answer_frames([f"t{n}" for n in range(500)]):
        writer.append(frame)
    assert time.monotonic() - started < 0.5  # less than one write
    writer.close(10)
    assert b"".join(batch.frames for _, batch in journal.batches).count(b"\n\n") == 503


def test_a_failing_store_stops_the_writer_after_one_failure() -> None:
    journal = Recording(fail_after=1)
    writer = JournalWriter(journal, Batcher(STREAM_ID, "", 2e9, flush_s=0.01))
    for frame in answer_frames([f"t{n}" for n in range(50)]):
        writer.append(frame)
        time.sleep(0.002)
    writer.close(5)
    assert (writer.writes, writer.failures, journal.attempts) == (1, 1, 2)


def test_close_waits_no_longer_than_it_is_given() -> None:
    gate = threading.Event()

    class Stuck(Recording):
        def write(self, batch: Batch) -> None:
            gate.wait(10)

    writer = JournalWriter(Stuck(), Batcher(STREAM_ID, "", 2e9, flush_s=0.01))
    writer.append(answer_frames([])[0])
    started = time.monotonic()
    writer.close(0.2)
    assert time.monotonic() - started < 2.0
    gate.set()


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with moto_tables({TABLE: JOURNAL_TABLE}) as client:
        yield client


def test_a_batch_is_one_dynamodb_item_of_the_documented_layout(dynamodb: Any) -> None:
    journal = DynamoDBJournal(TABLE, ttl_s=86400, client=dynamodb)
    frames = b"".join(answer_frames(["é"]))
    before = time.time()
    journal.write(Batch(STREAM_ID, 0, "sub-alice", 1, frames, True, 1_900_000_000.5))

    (item,) = dynamodb.scan(TableName=TABLE)["Items"]
    assert set(item) == {
        "stream_id", "batch", "owner", "first_id", "frames", "done", "deadline_at", "expires_at"
    }  # fmt: skip
    assert item["stream_id"] == {"S": STREAM_ID} and item["batch"] == {"N": "0"}
    assert item["owner"] == {"S": "sub-alice"} and item["first_id"] == {"N": "1"}
    assert zlib.decompress(item["frames"]["B"]) == frames
    assert item["done"] == {"BOOL": True}
    assert float(item["deadline_at"]["N"]) == 1_900_000_000.5
    assert before + 86400 - 1 <= int(item["expires_at"]["N"]) <= time.time() + 86400


@pytest.mark.parametrize("store", ["dynamodb", "sqlite"])
def test_a_read_returns_the_batches_after_a_number_in_order_and_never_expired_ones(
    store: str, dynamodb: Any, tmp_path: Any
) -> None:
    journal: DynamoDBJournal | SQLiteJournal
    if store == "dynamodb":
        journal = DynamoDBJournal(TABLE, ttl_s=60, client=dynamodb)
    else:
        journal = SQLiteJournal(str(tmp_path / "journal.sqlite3"), ttl_s=60)
    frames = answer_frames([f"t{n}" for n in range(30)])
    for number in (2, 0, 1):  # in any order
        journal.write(Batch(STREAM_ID, number, "", 1 + 11 * number, b"x", number == 2, 9.0))
    journal.write(Batch("o" * 32, 0, "", 1, frames[0], False, 9.0))

    assert [batch.number for batch in journal.read(STREAM_ID)] == [0, 1, 2]
    assert [batch.first_id for batch in journal.read(STREAM_ID, 0)] == [12, 23]
    assert journal.read(STREAM_ID, 2) == []
    assert journal.read("u" * 32) == []
    assert journal.read("o" * 32)[0].frames == frames[0]

    expired = (DynamoDBJournal(TABLE, ttl_s=-10, client=dynamodb) if store == "dynamodb"
               else SQLiteJournal(str(tmp_path / "journal.sqlite3"), ttl_s=-10))  # fmt: skip
    expired.write(Batch("e" * 32, 0, "", 1, frames[0], False, 9.0))
    assert journal.read("e" * 32) == []  # TTL has not deleted it yet; a reader never sees it
