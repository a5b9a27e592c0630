"""One answer, end to end: the upstream thread, the cancel watcher and the relay chain.

Whatever ends the stream (``done``, an error, a cancel, a SIGTERM, or the runtime closing the body
early), the ``finally`` aborts the upstream request, stops the watcher and releases the viewer's
stream lease with the output tokens counted: no orphaned generation, no leaked lease.
"""

from __future__ import annotations

import queue
import secrets
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger

from stream_chat.budget import Budget
from stream_chat.cancellation import CancelRegistry
from stream_chat.cancellation.watcher import CancelWatcher
from stream_chat.chat_request import ChatRequest
from stream_chat.errors import ShuttingDown
from stream_chat.limits import Lease, LeasedBody
from stream_chat.providers import Provider
from stream_chat.relay import to_protocol, watch
from stream_chat.settings import Settings
from stream_chat.shutdown import PROCESS_SHUTDOWN, Shutdown
from stream_chat.sse import encode_stream
from stream_chat.upstream import CancelRequested, Failed, Inbox, Upstream

logger = Logger(service="stream-chat", child=True)


def new_stream_id() -> str:
    """192 random bits, URL-safe: unguessable, so a cancel cannot be aimed at others' streams."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class ChatStream:
    provider: Provider
    registry: CancelRegistry | None
    settings: Settings
    shutdown: Shutdown = field(default=PROCESS_SHUTDOWN)

    def frames(
        self, request: ChatRequest, stream_id: str, budget: Budget, lease: Lease
    ) -> Iterator[bytes]:
        """The body; everything that can fail before the first byte fails here, eagerly."""
        start = {
            "type": "start",
            "stream_id": stream_id,
            "model": self.provider.model_label(request),
        }
        return LeasedBody(self._run(request, stream_id, budget, lease, start), lease)

    def _run(
        self,
        request: ChatRequest,
        stream_id: str,
        budget: Budget,
        lease: Lease,
        start: dict[str, str],
    ) -> Generator[bytes, None, None]:
        inbox: Inbox = queue.Queue()
        upstream = Upstream(
            self.provider, request, budget, self.settings.provider_attempts, inbox
        ).start()
        watcher = self._watch_cancel(stream_id, lease.viewer.owner, inbox)
        started = time.monotonic()
        stopping = ShuttingDown("The server is shutting down; ask again in a moment.")
        try:
            with self.shutdown.watching(lambda: inbox.put(Failed(stopping))):
                events = watch(inbox, self.settings, budget)
                yield from encode_stream(lease.meter(to_protocol(events, start, upstream.abort)))
        finally:
            upstream.abort()
            if watcher is not None:
                watcher.stop()
            lease.release()
            logger.info(
                "stream ended",
                extra={
                    "duration_s": round(time.monotonic() - started, 3),
                    "provider_request_id": upstream.request_id,
                    "retries": upstream.retries,
                    "cancel_reads": watcher.reads if watcher else 0,
                    "cancel_read_failures": watcher.failures if watcher else 0,
                    "output_tokens": lease.output_tokens,
                },
            )

    def _watch_cancel(self, stream_id: str, owner: str, inbox: Inbox) -> CancelWatcher | None:
        if self.registry is None:
            return None
        return CancelWatcher(
            self.registry,
            stream_id,
            self.settings.cancel_poll_s,
            lambda: inbox.put(CancelRequested()),
            owner,
        ).start()
