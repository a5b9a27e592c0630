"""One answer, end to end: the upstream thread, the cancel watcher and the relay chain.

Whatever ends the stream (``done``, an error, a cancel, a SIGTERM, or the runtime closing the body
early), the ``finally`` aborts the upstream request, stops the watcher and releases the viewer's
stream lease with the output tokens counted: no orphaned generation, no leaked lease. It then
publishes the stream's report: one EMF document and one summary log line. A cancel aborts the
upstream from the watcher's thread at once, not when the relay reaches it.
"""

from __future__ import annotations

import queue
import secrets
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger

from stream_chat.accounting.metrics import publish_answer
from stream_chat.accounting.pricing import Prices, price_of
from stream_chat.accounting.record import AnswerRecord, guarded, measured, priced
from stream_chat.answer.inbox import CancelRequested, Failed, Inbox
from stream_chat.answer.relay import to_protocol, watch
from stream_chat.answer.upstream import Upstream
from stream_chat.cancellation import CancelRegistry
from stream_chat.cancellation.watcher import CancelWatcher
from stream_chat.chat_request import ChatRequest
from stream_chat.deadline import Deadline
from stream_chat.errors import ShuttingDown
from stream_chat.limits import Lease, LeasedBody
from stream_chat.protocol.sse import encode_frames
from stream_chat.providers import Provider
from stream_chat.settings import Settings
from stream_chat.shutdown import PROCESS_SHUTDOWN, Shutdown

logger = Logger(service="stream-chat", child=True)

# How long a finished stream waits for the upstream thread: a complete answer is still reading
# the end of its response (a few bytes, normally there already), to pool the connection.
UPSTREAM_EXIT_S = 0.5


def new_stream_id() -> str:
    """192 random bits, URL-safe: unguessable, so a cancel cannot be aimed at others' streams."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class AnswerPipeline:
    provider: Provider
    registry: CancelRegistry | None
    settings: Settings
    shutdown: Shutdown = field(default=PROCESS_SHUTDOWN)

    def frames(
        self,
        request: ChatRequest,
        stream_id: str,
        deadline: Deadline,
        lease: Lease,
        request_id: str | None = None,
    ) -> Iterator[bytes]:
        """The body; everything that can fail before the first byte fails here, eagerly."""
        report = AnswerRecord(stream_id, self.provider.model_label(request), request_id)
        if self.settings.log_content:
            report.answer = []
        prices = price_of(self.settings.prices, report.model)
        return LeasedBody(self._run(request, deadline, lease, report, prices), lease)

    def _run(
        self,
        request: ChatRequest,
        deadline: Deadline,
        lease: Lease,
        report: AnswerRecord,
        prices: Prices | None,
    ) -> Generator[bytes, None, None]:
        start = {"type": "start", "stream_id": report.stream_id, "model": report.model}
        inbox: Inbox = queue.Queue()
        upstream = Upstream(
            self.provider, request, deadline, self.settings.provider_attempts, inbox
        ).start()

        def close_upstream() -> None:
            upstream.abort()
            report.upstream_closed()

        watcher = self._watch_cancel(report.stream_id, lease.viewer.owner, inbox, close_upstream)

        stopping = ShuttingDown("The server is shutting down; ask again in a moment.")
        try:
            with self.shutdown.watching(lambda: inbox.put(Failed(stopping))):
                events = watch(inbox, self.settings, deadline)
                frames = to_protocol(events, start, close_upstream, request.max_tokens)
                counted = lease.meter(priced(frames, prices))
                yield from encode_frames(
                    guarded(measured(counted, report), start, report, close_upstream)
                )
        finally:
            close_upstream()
            if watcher is not None:
                watcher.stop()
            upstream.join(min(UPSTREAM_EXIT_S, deadline.remaining()))
            lease.release()
            self._report(report, upstream, watcher)

    def _report(
        self, report: AnswerRecord, upstream: Upstream, watcher: CancelWatcher | None
    ) -> None:
        """Exactly one EMF document and one summary line per stream, however it ended."""
        report.finish()
        report.provider_request_id = upstream.request_id or report.provider_request_id
        report.retries = upstream.retries
        if watcher is not None:
            report.cancel_reads, report.cancel_read_failures = watcher.reads, watcher.failures
            report.cancel_recorded_at = watcher.cancelled_at
        try:
            publish_answer(report)
        except Exception:
            logger.exception("stream metrics failed")  # never worth failing the answer for
        logger.info("stream ended", extra=report.summary())

    def _watch_cancel(
        self, stream_id: str, owner: str, inbox: Inbox, close_upstream: Callable[[], None]
    ) -> CancelWatcher | None:
        if self.registry is None:
            return None

        def on_cancel() -> None:
            close_upstream()  # first: the relay may be far behind, writing queued text
            inbox.put(CancelRequested())

        return CancelWatcher(
            self.registry, stream_id, self.settings.cancel_poll_s, on_cancel, owner
        ).start()
