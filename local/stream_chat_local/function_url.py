"""What a function URL does with a request, on the front's event loop, streamed or buffered.

The request waits for a free instance (429 past the function's concurrency), becomes an invocation
on a worker, and its response is relayed. Streamed (``RESPONSE_STREAM``): the prelude becomes the
HTTP status and headers, and each chunk is written to the client the moment the emulated Runtime
API hands it over (its thread wakes the loop for every part; nothing is batched). Buffered
(``BUFFERED``, the cancel function): the function's JSON result becomes one response with a
length. Meanwhile the loop watches the deadline, the
worker and the client. Like AWS, the function never hears about the client: when it goes away the
invocation runs on, its output discarded, until it ends or its deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

from stream_chat_local.client import Client
from stream_chat_local.concurrency import Concurrency, Stopping, Throttled
from stream_chat_local.http_head import buffered_answer, error_answer, prelude_head, stream_id
from stream_chat_local.invocation import (
    Buffered,
    Chunk,
    Failed,
    Finished,
    Invocation,
    Part,
    Prelude,
)
from stream_chat_local.url_event import HttpRequest, build_event
from stream_chat_local.workers import Worker, WorkerPool

INIT_LIMIT_S = 10.0  # Lambda's limit for an on-demand environment's init phase
POLL_S = 0.25  # how often a silent invocation's worker is checked for life
RETRY_AFTER_S = 1
THROTTLED = error_answer(429, "Rate Exceeded.", ("retry-after", str(RETRY_AFTER_S)))
STOPPING = error_answer(503, "The server is shutting down.", ("connection", "close"))


class Outcome(enum.Enum):
    COMPLETE = "complete"  # the body ended with its zero-length chunk
    FAILED = "failed"  # /error, or an invalid response: 502 if nothing was sent yet
    TRUNCATED = "truncated"  # the function's response was cut off
    TIMED_OUT = "timed out"  # past the deadline: the worker must be killed
    DIED = "died"  # the worker process exited during the invocation
    THROTTLED = "throttled"  # 429: no instance became free in time
    STOPPING = "stopping"  # 503: serve is shutting down


@dataclass(frozen=True)
class LocalFunction:
    """One function behind its own function URL: its instances, concurrency and timeout."""

    pool: WorkerPool
    concurrency: Concurrency
    timeout_s: float


async def invoke(function: LocalFunction, request: HttpRequest, client: Client) -> Outcome:
    """Run one request through an instance of ``function``; how it ended."""
    try:
        await function.concurrency.acquire()
    except Throttled:
        await client.answer(THROTTLED)
        return Outcome.THROTTLED
    except Stopping:
        await client.answer(STOPPING)
        return Outcome.STOPPING
    try:
        return await _on_worker(function, request, client)
    finally:
        function.concurrency.release()


async def _on_worker(function: LocalFunction, request: HttpRequest, client: Client) -> Outcome:
    worker = await asyncio.to_thread(function.pool.acquire, INIT_LIMIT_S)
    if worker is None:  # the pool closed: serve is stopping
        await client.answer(STOPPING)
        return Outcome.STOPPING
    parts: asyncio.Queue[Part] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def sink(part: Part) -> None:  # on the Runtime API's thread
        with contextlib.suppress(RuntimeError):  # the loop has closed: serve is exiting
            loop.call_soon_threadsafe(parts.put_nowait, part)

    event = json.dumps(build_event(request)).encode()
    invocation = Invocation(event, function.timeout_s, sink, request.request_id)
    worker.api.submit(invocation)
    outcome, detail = await _relay(invocation, parts, worker, client)
    if outcome is Outcome.TIMED_OUT:
        _log(f"{invocation.request_id} Task timed out after {function.timeout_s:.2f} seconds")
        await asyncio.to_thread(function.pool.replace, worker)
    else:
        function.pool.release(worker)
    if detail:
        _log(f"{invocation.request_id} {outcome.value}: {json.dumps(detail)[:2000]}")
    return outcome


async def _relay(
    invocation: Invocation, parts: asyncio.Queue[Part], worker: Worker, client: Client
) -> tuple[Outcome, Any]:
    """Write each part as it arrives, until the end, a failure, the deadline or a dead worker."""
    submitted_at = time.monotonic()
    while (left := invocation.seconds_left(INIT_LIMIT_S, submitted_at)) > 0:
        try:
            async with asyncio.timeout(min(left, POLL_S)):
                part = await parts.get()
        except TimeoutError:
            if not worker.alive():
                return await _abandon(client, Outcome.DIED, worker.api.init_error)
            continue
        if (ended := await _deliver(part, client, invocation.request_id)) is not None:
            return ended
    return await _abandon(client, Outcome.TIMED_OUT, None)


async def _deliver(part: Part, client: Client, request_id: str) -> tuple[Outcome, Any] | None:
    """Hand one part to the client; how the invocation ended, if this part ended it."""
    if isinstance(part, Chunk):
        await client.write(part.data)
    elif isinstance(part, Prelude):
        if not await _start(client, part, request_id):
            return await _abandon(client, Outcome.FAILED, {"errorType": "InvalidPrelude"})
    elif isinstance(part, Buffered):
        await client.answer(buffered_answer(part.payload, request_id))
        return Outcome.COMPLETE, None
    elif isinstance(part, Failed):
        return await _abandon(client, Outcome.FAILED, part.diagnostic)
    else:
        return await _finished(client, part)
    return None


async def _start(client: Client, prelude: Prelude, request_id: str) -> bool:
    try:
        status, headers = prelude_head(prelude.metadata, request_id)
    except (TypeError, ValueError):
        return False
    client.stream_id = stream_id(prelude.metadata)
    await client.start(status, headers)
    return True


async def _finished(client: Client, end: Finished) -> tuple[Outcome, Any]:
    if not end.complete:
        return await _abandon(client, Outcome.TRUNCATED, None)
    if not client.started:  # a body with no prelude: Lambda cannot build a response from it
        return await _abandon(client, Outcome.FAILED, {"errorMessage": "no prelude"})
    await client.end()
    error = end.trailers.get("lambda-runtime-function-error-type")
    return Outcome.COMPLETE, ({"errorType": error, "trailers": end.trailers} if error else None)


async def _abandon(client: Client, outcome: Outcome, detail: Any) -> tuple[Outcome, Any]:
    # Once the status is out the client can only see a cut-off body: the front returns without
    # ending the response, and the server closes the connection.
    if not client.started:
        await client.answer(error_answer(502, "Internal Server Error"))
    return outcome, detail


def _log(message: str) -> None:
    print(f"stream-chat serve: {message}", file=sys.stderr, flush=True)
