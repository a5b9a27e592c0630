"""What a function URL does with a request, on the front's event loop, streamed or buffered.

The request waits for a free instance (429 past the function's concurrency), becomes an invocation
on a worker, and its response is relayed. Streamed (``RESPONSE_STREAM``): the prelude becomes the
HTTP status and headers, and each chunk is written to the client the moment the emulated Runtime
API hands it over (its thread wakes the loop for every part; nothing is batched). Buffered
(``BUFFERED``, the cancel function): the function's JSON result becomes one response with a
length.

The invocation and the delivery to the client are two tasks joined by a queue. The invocation's
side watches the deadline and the worker, and gives the instance and its concurrency slot back
the moment the invocation ends; the delivery (``delivery``) writes to the client at the client's
pace. So a client that stops reading holds no instance, and its slowness never counts against
the function's deadline: only the server's write timeout ends such a connection. Like AWS, the
function never hears about the client: when it goes away the invocation runs on, its output
discarded, until it ends or its deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass

from stream_chat_local.client import Client
from stream_chat_local.concurrency import Concurrency, Stopping, Throttled
from stream_chat_local.delivery import Ended, Item, Outcome, deliver
from stream_chat_local.invocation import Buffered, Failed, Finished, Invocation, Part
from stream_chat_local.url_event import HttpRequest, build_event
from stream_chat_local.workers import Worker, WorkerPool

INIT_LIMIT_S = 10.0  # Lambda's limit for an on-demand environment's init phase
POLL_S = 0.25  # how often a silent invocation's worker is checked for life


@dataclass(frozen=True)
class LocalFunction:
    """One function behind its own function URL: its instances, concurrency and timeout."""

    pool: WorkerPool
    concurrency: Concurrency
    timeout_s: float


async def invoke(function: LocalFunction, request: HttpRequest, client: Client) -> Outcome:
    """Run one request through an instance of ``function``; how it ended."""
    items: asyncio.Queue[Item] = asyncio.Queue()
    running = asyncio.create_task(_run(function, request, items))
    try:
        failure = await deliver(items, client, request.request_id)
        ended = await running
    finally:
        running.cancel()  # a no-op once it is done; else serve is stopping this request
    if failure is not None:
        ended = failure  # the function's response could not be one (no or an invalid prelude)
    if ended.detail:
        _log(f"{request.request_id} {ended.outcome.value}: {json.dumps(ended.detail)[:2000]}")
    return ended.outcome


async def _run(function: LocalFunction, request: HttpRequest, items: asyncio.Queue[Item]) -> Ended:
    """The invocation, from waiting for a slot to its end, which is the queue's last item."""
    try:
        await function.concurrency.acquire()
    except Throttled:
        ended = Ended(Outcome.THROTTLED)
    except Stopping:
        ended = Ended(Outcome.STOPPING)
    else:
        try:
            ended = await _on_worker(function, request, items)
        finally:
            function.concurrency.release()
    items.put_nowait(ended)
    return ended


async def _on_worker(
    function: LocalFunction, request: HttpRequest, items: asyncio.Queue[Item]
) -> Ended:
    worker = await asyncio.to_thread(function.pool.acquire, INIT_LIMIT_S)
    if worker is None:  # the pool closed: serve is stopping
        return Ended(Outcome.STOPPING)
    parts: asyncio.Queue[Part] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def sink(part: Part) -> None:  # on the Runtime API's thread
        with contextlib.suppress(RuntimeError):  # the loop has closed: serve is exiting
            loop.call_soon_threadsafe(parts.put_nowait, part)

    event = json.dumps(build_event(request)).encode()
    invocation = Invocation(event, function.timeout_s, sink, request.request_id)
    worker.api.submit(invocation)
    ended = await _watch(invocation, parts, worker, items)
    if ended.outcome is Outcome.TIMED_OUT:
        _log(f"{invocation.request_id} Task timed out after {function.timeout_s:.2f} seconds")
        await asyncio.to_thread(function.pool.replace, worker)
    else:
        function.pool.release(worker)
    return ended


async def _watch(
    invocation: Invocation, parts: asyncio.Queue[Part], worker: Worker, items: asyncio.Queue[Item]
) -> Ended:
    """Pass each part on as it arrives, until the end, a failure, the deadline or a dead worker."""
    submitted_at = time.monotonic()
    while (left := invocation.seconds_left(INIT_LIMIT_S, submitted_at)) > 0:
        try:
            async with asyncio.timeout(min(left, POLL_S)):
                part = await parts.get()
        except TimeoutError:
            if not worker.alive():
                return Ended(Outcome.DIED, worker.api.init_error)
            continue
        items.put_nowait(part)
        if (ended := _ending(part)) is not None:
            return ended
    return Ended(Outcome.TIMED_OUT)


def _ending(part: Part) -> Ended | None:
    """How the invocation ended, if ``part`` is its last."""
    if isinstance(part, Finished):
        if not part.complete:
            return Ended(Outcome.TRUNCATED)
        error = part.trailers.get("lambda-runtime-function-error-type")
        return Ended(
            Outcome.COMPLETE, {"errorType": error, "trailers": part.trailers} if error else None
        )
    if isinstance(part, Buffered):
        return Ended(Outcome.COMPLETE)
    if isinstance(part, Failed):
        return Ended(Outcome.FAILED, part.diagnostic)
    return None


def _log(message: str) -> None:
    print(f"stream-chat serve: {message}", file=sys.stderr, flush=True)
