"""The client's side of a local function URL: the invocation's parts, written as HTTP.

It takes the parts from the queue the invocation fills, in order, at the pace the client reads:
a client that stops reading blocks only this side (until the server's write timeout drops it),
never the invocation, which ends, and frees its instance, on its own.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from typing import Any

from stream_chat_local.client import Client
from stream_chat_local.http_head import buffered_answer, error_answer, prelude_head, stream_id
from stream_chat_local.invocation import Buffered, Chunk, Failed, Finished, Part, Prelude

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
class Ended:
    """How an invocation ended (the last item of its queue), and what to log about it."""

    outcome: Outcome
    detail: Any = None


Item = Part | Ended


async def deliver(items: asyncio.Queue[Item], client: Client, request_id: str) -> Ended | None:
    """Write each item as it comes, until the invocation's end; a failure of the response
    itself (no prelude, or one that cannot be a head), after which nothing more is written."""
    while not isinstance(item := await items.get(), Ended):
        if (failure := await _deliver(item, client, request_id)) is not None:
            return failure
    if item.outcome is Outcome.THROTTLED:
        await client.answer(THROTTLED)
    elif item.outcome is Outcome.STOPPING and not client.started:
        await client.answer(STOPPING)
    elif not client.finished:  # it timed out or died, or its last part was a failure
        await _abandon(client)
    return None


async def _deliver(part: Part, client: Client, request_id: str) -> Ended | None:
    if isinstance(part, Chunk):
        await client.write(part.data)
    elif isinstance(part, Prelude):
        if not await _start(client, part, request_id):
            await _abandon(client)
            return Ended(Outcome.FAILED, {"errorType": "InvalidPrelude"})
    elif isinstance(part, Buffered):
        await client.answer(buffered_answer(part.payload, request_id))
    elif isinstance(part, Failed):
        await _abandon(client)
    elif isinstance(part, Finished):
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


async def _finished(client: Client, end: Finished) -> Ended | None:
    if not end.complete:
        await _abandon(client)
    elif not client.started:  # a body with no prelude: Lambda cannot build a response from it
        await _abandon(client)
        return Ended(Outcome.FAILED, {"errorMessage": "no prelude"})
    else:
        await client.end()
    return None


async def _abandon(client: Client) -> None:
    # Once the status is out the client can only see a cut-off body: the front returns without
    # ending the response, and the server closes the connection.
    if not client.started:
        await client.answer(error_answer(502, "Internal Server Error"))
