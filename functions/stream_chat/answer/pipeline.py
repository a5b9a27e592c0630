"""One answer, end to end: the upstream thread, the cancel watcher and the relay chain.

    upstream (thread) ─┐
                       ├─▶ inbox ──watch──▶ Relay.frames ──encode_frames──journaled──▶ body
    cancel watcher ────┘                        │                            │
                                                │              JournalWriter (thread) ─▶ journal
                                                └─▶ Outcome ──settle──▶ lease, metrics, log

Whatever ends the answer (``done``, an error, a cancel, a shutdown, or the runtime closing the
body early), the ``finally`` aborts the upstream request, stops the watcher and settles the
answer's account once: no orphaned generation, no leaked lease. A cancel aborts the upstream
from the watcher's thread at once, not when the relay reaches it. Each frame the body yields is
also handed to the answer's journal writer, whose thread writes it off the delivery path.
"""

from __future__ import annotations

import queue
import secrets
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field

from stream_chat.accounting.pricing import price_of
from stream_chat.accounting.record import AnswerRecord, Outcome
from stream_chat.accounting.settle import settle
from stream_chat.answer.continuation import output_cap
from stream_chat.answer.inbox import CancelRequested, Failed, Inbox
from stream_chat.answer.relay import Relay
from stream_chat.answer.upstream import Upstream
from stream_chat.answer.watch import watch
from stream_chat.cancellation import CancelRegistry
from stream_chat.cancellation.watcher import CancelWatcher
from stream_chat.chat_request import ChatRequest
from stream_chat.deadline import Deadline
from stream_chat.errors import ShuttingDown
from stream_chat.journal import Journal
from stream_chat.journal.writer import Batcher, JournalWriter
from stream_chat.limits import Lease, LeasedBody
from stream_chat.protocol.frames import Start
from stream_chat.protocol.sse import HEARTBEAT, encode_frames
from stream_chat.providers import Provider
from stream_chat.settings import Settings
from stream_chat.shutdown import PROCESS_SHUTDOWN, Shutdown

# How long a finished answer waits for the upstream thread: a complete answer is still reading
# the end of its response (a few bytes, normally there already), to pool the connection.
UPSTREAM_EXIT_S = 0.5


def new_stream_id() -> str:
    """192 random bits, URL-safe: unguessable, so a cancel cannot be aimed at others' answers."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Answer:
    """Who asked what, and the answer's identity on the wire."""

    request: ChatRequest
    stream_id: str
    model: str
    lease: Lease
    deadline: Deadline
    request_id: str | None = None


@dataclass(frozen=True)
class AnswerPipeline:
    provider: Provider
    registry: CancelRegistry | None
    settings: Settings
    shutdown: Shutdown = field(default=PROCESS_SHUTDOWN)
    journal: Journal | None = None  # None: answers are not resumable

    def body(
        self,
        request: ChatRequest,
        stream_id: str,
        deadline: Deadline,
        lease: Lease,
        request_id: str | None = None,
    ) -> Iterator[bytes]:
        """The body; everything that can fail before the first byte fails here, eagerly."""
        model = self.provider.model_label(request)
        answer = Answer(request, stream_id, model, lease, deadline, request_id)
        return LeasedBody(self._run(answer), lease)

    def _run(self, answer: Answer) -> Generator[bytes, None, None]:
        inbox: Inbox = queue.Queue()
        upstream = Upstream(
            self.provider, answer.request, answer.deadline, self.settings.provider_attempts, inbox
        ).start()
        watcher = self._watch_cancel(answer, inbox, upstream.abort)
        writer = self._journal_writer(answer)
        outcome = Outcome(text=[] if self.settings.log_content else None)
        relay = Relay(
            Start(answer.stream_id, answer.model),
            outcome,
            max_tokens=output_cap(answer.request, self.settings.thinking_budget_tokens),
            prices=price_of(self.settings.prices, answer.model),
            on_end=upstream.abort,
        )
        stopping = ShuttingDown("The server is shutting down; ask again in a moment.")
        try:
            with self.shutdown.watching(lambda: inbox.put(Failed(stopping))):
                frames = relay.frames(watch(inbox, self.settings, answer.deadline))
                yield from journaled(encode_frames(frames), writer)
        finally:
            upstream.abort()
            if watcher is not None:
                watcher.stop()
            upstream.join(min(UPSTREAM_EXIT_S, answer.deadline.remaining()))
            if writer is not None:  # the last batch, within half the deadline's margin
                writer.close(answer.deadline.remaining() + self.settings.deadline_margin_s / 2)
            settle(_record(answer, outcome, upstream, watcher, writer), answer.lease)

    def _journal_writer(self, answer: Answer) -> JournalWriter | None:
        if self.journal is None:
            return None
        # When the function is stopped (the deadline and its margin), in epoch seconds: a resume
        # on another instance reads it to tell a slow answer from a lost one.
        remaining = answer.deadline.remaining() + self.settings.deadline_margin_s
        deadline_at = time.time() + remaining
        owner = answer.lease.viewer.owner
        batcher = Batcher(answer.stream_id, owner, deadline_at, self.settings.journal_flush_s)
        return JournalWriter(self.journal, batcher)

    def _watch_cancel(
        self, answer: Answer, inbox: Inbox, abort_upstream: Callable[[], None]
    ) -> CancelWatcher | None:
        if self.registry is None:
            return None

        def on_cancel() -> None:
            abort_upstream()  # first: the relay may be far behind, writing queued text
            inbox.put(CancelRequested())

        owner = answer.lease.viewer.owner
        return CancelWatcher(
            self.registry, answer.stream_id, self.settings.cancel_poll_s, on_cancel, owner
        ).start()


def journaled(chunks: Iterable[bytes], writer: JournalWriter | None) -> Iterator[bytes]:
    """The body, each frame handed to the journal as it goes (a heartbeat is no frame)."""
    for chunk in chunks:
        if writer is not None and chunk != HEARTBEAT:
            writer.append(chunk)
        yield chunk


def _record(
    answer: Answer,
    outcome: Outcome,
    upstream: Upstream,
    watcher: CancelWatcher | None,
    writer: JournalWriter | None,
) -> AnswerRecord:
    cancelled_at = watcher.cancelled_at if watcher is not None else None
    latency = None
    if outcome.stop_reason == "cancelled" and None not in (cancelled_at, upstream.aborted_at):
        # Clocks of two instances: never below zero.
        latency = max(0.0, upstream.aborted_at - cancelled_at)  # type: ignore[operator]
    return AnswerRecord(
        answer.stream_id,
        answer.model,
        answer.request_id,
        outcome,
        duration_s=outcome.elapsed(),
        # An answer refused before the provider's stream opened is known only by its error.
        provider_request_id=upstream.request_id
        or (outcome.error.request_id if outcome.error is not None else None),
        retries=upstream.retries,
        cancel_reads=watcher.reads if watcher is not None else 0,
        cancel_read_failures=watcher.failures if watcher is not None else 0,
        cancel_latency_s=latency,
        journal_writes=writer.writes if writer is not None else 0,
        journal_failures=writer.failures if writer is not None else 0,
    )
