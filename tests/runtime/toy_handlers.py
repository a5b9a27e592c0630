"""Handlers the runtime tests run through ``_HANDLER``, each exercising one path of the loop.

An event may be a function URL event whose JSON ``body`` holds the parameters (as ``serve`` sends
it) or the parameters themselves (as the runtime tests push them).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from stream_chat.runtime.entry import LambdaEntry
from stream_chat.runtime.response import StreamingResponse

SSE = {"content-type": "text/event-stream"}
INVOCATIONS = 0  # module state survives between invocations of one process, as on Lambda
IMPORTED_AT = time.time()


def params(event: dict[str, Any]) -> dict[str, Any]:
    body = event.get("body")
    return json.loads(body) if isinstance(body, str) and body else event


def frame(number: int, text: str = "") -> bytes:
    data = json.dumps({"type": "text", "text": text or f"frame {number}"})
    return f"id: {number}\nevent: text\ndata: {data}\n\n".encode()


def frames(event: dict[str, Any], context: Any) -> StreamingResponse:
    """Each given part as a chunk, with the given status and cookies."""
    p = params(event)
    parts = [part.encode() for part in p["parts"]]
    return StreamingResponse(p.get("status", 200), SSE, iter(parts), p.get("cookies", ()))


def raises(event: dict[str, Any], context: Any) -> StreamingResponse:
    raise ValueError("the event is not usable")


def buffered(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A buffered function URL response, as a managed-runtime handler returns it."""
    return {"statusCode": 202, "headers": {"x-echo": "é"}, "body": json.dumps(params(event))}


def not_json(event: dict[str, Any], context: Any) -> object:
    return object()


def bad_body(event: dict[str, Any], context: Any) -> StreamingResponse:
    """``kind`` "none": a body that is not iterable; "text": one that yields str, not bytes."""
    body: Any = None if params(event)["kind"] == "none" else iter([b"ok", "not bytes"])
    return StreamingResponse(200, SSE, body)


def fails_midstream(event: dict[str, Any], context: Any) -> StreamingResponse:
    def body() -> Iterator[bytes]:
        yield b"one"
        yield b"two"
        raise RuntimeError("the upstream broke")

    return StreamingResponse(200, SSE, body())


def counts(event: dict[str, Any], context: Any) -> StreamingResponse:
    global INVOCATIONS  # noqa: PLW0603
    INVOCATIONS += 1
    return StreamingResponse(200, SSE, iter([f"invocation {INVOCATIONS}".encode()]))


def import_time(event: dict[str, Any], context: Any) -> StreamingResponse:
    return StreamingResponse(200, SSE, iter([repr(IMPORTED_AT).encode()]))


def _time_of_build() -> Callable[[dict[str, Any], Any], StreamingResponse]:
    built_at = time.time()
    return lambda event, context: StreamingResponse(200, SSE, iter([repr(built_at).encode()]))


def _unbuildable() -> Callable[[dict[str, Any], Any], StreamingResponse]:
    raise ValueError("the function's settings are not usable")


# Entries whose function is built by the runtime's init, not at import.
built_at = LambdaEntry(_time_of_build)
fails_to_build = LambdaEntry(_unbuildable)


def echo_context(event: dict[str, Any], context: Any) -> StreamingResponse:
    seen = {
        "aws_request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "invoked_function_arn": context.invoked_function_arn,
        "function_name": context.function_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invocation_id": context.invocation_id,
        "tenant_id": context.tenant_id,
        "client_context": context.client_context,
        "identity": context.identity,
        "trace_env": os.environ.get("_X_AMZN_TRACE_ID"),
    }
    return StreamingResponse(
        200, {"content-type": "application/json"}, iter([json.dumps(seen).encode()])
    )


def echo_event(event: dict[str, Any], context: Any) -> StreamingResponse:
    """The event's headers and its source address, as the function got them."""
    seen = {"headers": event["headers"], "sourceIp": event["requestContext"]["http"]["sourceIp"]}
    return StreamingResponse(
        200, {"content-type": "application/json"}, iter([json.dumps(seen).encode()])
    )


def acked_frames(event: dict[str, Any], context: Any) -> StreamingResponse:
    """Frame ``n + 1`` is produced only after whoever reads the stream acknowledged frame ``n``
    (ack 0 is the prelude) by creating ``ack-<n>`` in ``ack_dir``: a buffered frame deadlocks.
    """
    p = params(event)
    acks = Path(p["ack_dir"])

    def body() -> Iterator[bytes]:
        for number in range(1, p["frames"] + 1):
            _wait_for(acks / f"ack-{number - 1}", timeout_s=5.0)
            yield frame(number, f"{time.time():.6f}")

    return StreamingResponse(200, SSE, body())


def endless(event: dict[str, Any], context: Any) -> StreamingResponse:
    """Frames every ``interval_s`` (bounded), then ``linger_s`` without a write; records in
    ``marker`` that its cleanup ran."""
    p = params(event)

    def body() -> Iterator[bytes]:
        try:
            for number in range(1, p.get("frames", 2000) + 1):
                yield frame(number)
                time.sleep(p.get("interval_s", 0.01))
            time.sleep(p.get("linger_s", 0.0))
        finally:
            Path(p["marker"]).write_text("closed")

    return StreamingResponse(200, SSE, body())


def firehose(event: dict[str, Any], context: Any) -> StreamingResponse:
    """``frames`` parts of ``size`` bytes as fast as they are taken; on close, writes the time
    (``time.time()``) to ``marker``: the moment its cleanup (an upstream abort) ran."""
    p = params(event)
    part = b"x" * p.get("size", 65536)

    def body() -> Iterator[bytes]:
        try:
            for _ in range(p["frames"]):
                yield part
        finally:
            Path(p["marker"]).write_text(repr(time.time()))

    return StreamingResponse(200, SSE, body())


def _wait_for(path: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path.name} never came: the previous frame was not delivered")
        time.sleep(0.001)
