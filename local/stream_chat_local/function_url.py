"""What a function URL does with an invocation's response, streamed or buffered.

Streamed (``RESPONSE_STREAM``): the prelude becomes the HTTP status and headers, and every chunk
is forwarded the moment it arrives (HTTP/1.1 chunked, one ``sendall`` each) by the thread that
read it from the worker: no hand-off between threads on the way. Buffered (``BUFFERED``, the
cancel function): the function's JSON result becomes one HTTP response with a length. The
request's own thread only watches the deadline, the worker and the client. Like AWS, the
function never hears about the client: when it goes away the invocation runs on, its output
discarded, until it ends or its deadline.
"""

from __future__ import annotations

import enum
import select
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from stream_chat_local.http_head import (
    buffered_response,
    error_response,
    response_head,
    stream_id,
)
from stream_chat_local.invocation import (
    Buffered,
    Chunk,
    Failed,
    Finished,
    Invocation,
    Part,
    Prelude,
)
from stream_chat_local.workers import Worker

INIT_LIMIT_S = 10.0  # Lambda's limit for an on-demand environment's init phase
# How often the client's socket is checked for EOF and the worker for life: as often as the
# function polls for cancels, and no more (each check wakes the process).
POLL_S = 0.25


class Outcome(enum.Enum):
    COMPLETE = "complete"  # the body ended with its zero-length chunk
    FAILED = "failed"  # /error, or an invalid response: 502 if nothing was sent yet
    TRUNCATED = "truncated"  # the function's response was cut off
    TIMED_OUT = "timed out"  # past the deadline: the worker must be killed
    DIED = "died"  # the worker process exited during the invocation


class Client:
    """The HTTP client's connection; writes stop silently once it has gone."""

    def __init__(self, sock: socket.socket, on_gone: Callable[[str | None], None]) -> None:
        self.sock = sock
        self.gone = False
        self.stream_id: str | None = None  # from the prelude's x-stream-id, for the cancel
        self._on_gone = on_gone

    def send(self, data: bytes) -> None:
        if self.gone:
            return
        try:
            self.sock.sendall(data)
        except OSError:
            self._went()

    def check(self) -> None:
        """Notice a closed client now, not at the next write (which may be minutes away)."""
        if self.gone:
            return
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
            if readable and not self.sock.recv(1, socket.MSG_PEEK):
                self._went()
        except OSError:
            self._went()

    def _went(self) -> None:
        self.gone = True
        self._on_gone(self.stream_id)


class Relay:
    """The sink of one invocation: writes each part to the client as the part arrives."""

    def __init__(self, client: Client, request_id: str) -> None:
        self.client = client
        self.request_id = request_id
        self.started = False
        self.end: Finished | Buffered | Failed | None = None
        self._ended = threading.Event()
        self._lock = threading.Lock()  # parts and abandon() come from different threads
        self._abandoned = False

    def __call__(self, part: Part) -> None:
        with self._lock:
            if self._abandoned or self.end is not None:
                return
            if isinstance(part, Chunk):
                self.client.send(b"%x\r\n%b\r\n" % (len(part.data), part.data))
            elif isinstance(part, Prelude):
                self.client.stream_id = stream_id(part.metadata)
                self.client.send(response_head(part.metadata, self.request_id))
                self.started = True
            else:
                if isinstance(part, Buffered):
                    self.client.send(buffered_response(part.payload, self.request_id))
                    self.started = True
                self.end = part
                self._ended.set()

    def wait(self, timeout_s: float) -> bool:
        return self._ended.wait(timeout_s)

    def abandon(self) -> bool:
        """Accept no more parts; whether the response had started."""
        with self._lock:
            self._abandoned = True
            return self.started


def supervise(invocation: Invocation, relay: Relay, worker: Worker) -> tuple[Outcome, Any]:
    """Watch one invocation to its end; (how it ended, the error diagnostic if any)."""
    submitted_at = time.monotonic()
    while (left := invocation.seconds_left(INIT_LIMIT_S, submitted_at)) > 0:
        if relay.wait(min(left, POLL_S)):
            return _ended(relay)
        if not worker.alive():
            return _abandon(relay, Outcome.DIED, worker.api.init_error)
        relay.client.check()
    return _abandon(relay, Outcome.TIMED_OUT, None)


def _ended(relay: Relay) -> tuple[Outcome, Any]:
    end = relay.end
    if isinstance(end, Failed):
        return _abandon(relay, Outcome.FAILED, end.diagnostic)
    if isinstance(end, Buffered):
        return Outcome.COMPLETE, None
    assert end is not None
    if not end.complete:
        return _abandon(relay, Outcome.TRUNCATED, None)
    if not relay.started:  # a body with no prelude: Lambda cannot build a response from it
        return _abandon(relay, Outcome.FAILED, {"errorMessage": "no prelude"})
    relay.client.send(b"0\r\n\r\n")
    error = end.trailers.get("lambda-runtime-function-error-type")
    return Outcome.COMPLETE, ({"errorType": error, "trailers": end.trailers} if error else None)


def _abandon(relay: Relay, outcome: Outcome, detail: Any) -> tuple[Outcome, Any]:
    # Once the status is out the client can only see a cut-off body: no further bytes at all.
    if not relay.abandon():
        relay.client.send(error_response(502, "Internal Server Error"))
    return outcome, detail
