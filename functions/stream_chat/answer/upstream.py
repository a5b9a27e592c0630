"""Runs the provider in a background thread, so waiting on it never blocks the stream.

The thread puts provider events on an inbox queue; the relay reads the inbox with deadlines, so
heartbeats, timeouts and cancellation keep working while the provider is silent. Transient
failures (``StreamChatError.transient``) before any content are retried with jittered
exponential backoff within the remaining time; after content has been sent they are reported, never
retried silently. ``abort()`` reaches the
attempt in progress at every moment (before its request is sent, waiting for the response head,
mid-stream) and ends the retries: no new attempt starts after it. A turn the model paused
(``pause_turn``) is continued by the same thread (``answer.continuation``): the relay sees one
answer.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from aws_lambda_powertools import Logger

from stream_chat.answer.continuation import CONTINUE_FLOOR_S, MAX_CONTINUATIONS, SummedUsage
from stream_chat.answer.inbox import Failed, Finished, Inbox
from stream_chat.chat_request import ChatRequest
from stream_chat.deadline import Deadline
from stream_chat.errors import InternalError, StreamChatError
from stream_chat.providers import Provider
from stream_chat.providers.events import CONTENT, MessageEnd, ProviderCall, UsageUpdate

logger = Logger(service="stream-chat", child=True)

BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 8.0
# A retry must leave its attempt time to come back: twice as long as the last one took (attempts
# vary, and a busy instance slows them all), and never less than this. One that could not would
# end in ``deadline`` and hide the provider's own error.
ATTEMPT_FLOOR_S = 0.1


class Upstream:
    def __init__(
        self,
        provider: Provider,
        request: ChatRequest,
        deadline: Deadline,
        attempts: int,
        inbox: Inbox,
    ) -> None:
        self._provider, self._request, self._deadline = provider, request, deadline
        self._attempts = attempts
        self._inbox = inbox
        self._aborted = threading.Event()
        self._lock = threading.Lock()
        self._call: ProviderCall | None = None  # the attempt in progress, if any
        self._thread = threading.Thread(target=self._run, name="upstream", daemon=True)
        self._request_id: str | None = None  # of the latest attempt that had one
        self.retries = 0
        self.aborted_at: float | None = None  # wall clock, comparable with a cancel record

    @property
    def request_id(self) -> str | None:
        """The provider's id for the attempt in progress, else for the latest one that had one."""
        call = self._call
        return (call.request_id if call is not None else None) or self._request_id

    def start(self) -> Upstream:
        self._thread.start()
        return self

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for the thread to end; True when it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def abort(self) -> None:
        """Stop the upstream request now, whatever it is doing (idempotent, any thread)."""
        with self._lock:
            if self.aborted_at is None:
                self.aborted_at = time.time()
            self._aborted.set()
            if self._call is not None:
                self._call.abort()

    def _run(self) -> None:
        attempt = 1
        while not self._aborted.is_set():
            started = time.monotonic()
            error = self._attempt()
            if error is None:
                return
            if not self._retry_after(error, attempt, time.monotonic() - started):
                self._inbox.put(Failed(error))
                return
            attempt += 1

    def _attempt(self) -> StreamChatError | None:
        """One request; None when it ended (or was aborted), else the error that ended it."""
        self._content_sent = False
        try:
            self._forward_turn()
            return None
        except StreamChatError as error:
            return None if self._aborted.is_set() else error
        except Exception:
            if self._aborted.is_set():
                return None
            logger.exception("provider failed unexpectedly")
            return InternalError("The answer failed unexpectedly.")

    def _forward_turn(self) -> None:
        """The turn's calls, into the inbox: the first, and the continuations of a pause."""
        paused: list[dict[str, Any]] = []
        usage = SummedUsage()
        for number in range(MAX_CONTINUATIONS + 1):
            call = self._provider.open(self._request, self._deadline, paused)
            more = self._forward(call, usage, may_continue=number < MAX_CONTINUATIONS)
            if more is None:
                break
            paused = [*paused, *more]
            usage.next_call()
        self._inbox.put(Finished())

    def _forward(
        self, call: ProviderCall, usage: SummedUsage, *, may_continue: bool
    ) -> list[dict[str, Any]] | None:
        """Iterate ``call`` into the inbox, abortable from its very start; the content of the
        turn when it paused and is to be continued, else None."""
        try:
            with self._lock:
                if self._aborted.is_set():
                    return None
                self._call = call
            paused: list[dict[str, Any]] | None = None
            for event in call:  # after MessageEnd, the call only reads the rest of its response
                self._content_sent = self._content_sent or isinstance(event, CONTENT)
                if isinstance(event, MessageEnd) and self._continues(event, may_continue):
                    paused = call.content()
                    continue
                self._inbox.put(usage.add(event) if isinstance(event, UsageUpdate) else event)
            return paused
        finally:
            self._request_id = call.request_id or self._request_id
            with self._lock:
                self._call = None
            call.close()

    def _continues(self, end: MessageEnd, may_continue: bool) -> bool:
        return (
            end.stop_reason == "pause_turn"
            and may_continue
            and self._deadline.remaining() > CONTINUE_FLOOR_S
            and not self._aborted.is_set()
        )

    def _retry_after(self, error: StreamChatError, attempt: int, took_s: float) -> bool:
        """Wait out a jittered backoff when a retry is allowed and it and its attempt fit."""
        if self._content_sent or not error.transient or attempt >= self._attempts:
            return False
        delay = random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)))  # noqa: S311
        if delay + max(ATTEMPT_FLOOR_S, 2 * took_s) >= self._deadline.remaining():
            return False
        logger.info(
            "retrying provider",
            extra={"attempt": attempt, "code": error.code, "delay_s": round(delay, 3)},
        )
        self.retries += 1
        return not self._aborted.wait(delay)
