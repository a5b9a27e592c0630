"""The runtime loop: load the handler once, then ``/next`` → handler → ``/response``.

Init (everything before the first ``/next``) imports the handler module named by ``_HANDLER``
and, when the handler is a ``LambdaEntry``, builds its function (``entry``): whatever that takes
is paid for once, before any request waits on it.
A failure there is reported to ``/init/error`` and the process exits, as the Runtime API asks.
With SnapStart, init ends in the snapshot lifecycle (``snapstart``) before the first ``/next``.
Every error is logged as one JSON line (``diagnostics.log_error``), never as a bare traceback.

A handler that returns a ``StreamingResponse`` is streamed; any other return value is answered
buffered, as the managed runtime answers: serialised to JSON in one ``/response``.

Why buffered answers here at all: the cancel function answers buffered, and runs on this loop
too, on AWS as locally, so that its function is built at init like the streaming one (the managed
runtime's client, awslambdaric, calls no init hook: it would leave the build to the first cancel).
A buffered answer is one documented JSON ``POST``, which this loop — already tested byte for byte
against the Runtime API — makes in a few lines.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Iterator
from typing import Any

from stream_chat.runtime import entry, snapstart
from stream_chat.runtime.api import Invocation, RuntimeApi, RuntimeApiError
from stream_chat.runtime.context import LambdaContext
from stream_chat.runtime.diagnostics import InitError, diagnose, log_error
from stream_chat.runtime.response import StreamingResponse
from stream_chat.runtime.streaming import ResponseStream, WriteTimeout, encode_prelude

Handler = Callable[[Any, LambdaContext], Any]  # a StreamingResponse, or JSON to answer buffered

# Writes to the response end this long before the invocation's deadline, so that a stalled
# reader still leaves time to close the handler's body (and its upstream request) and log why.
WRITE_RESERVE_S = 0.5


def main() -> int:
    """Run until the Runtime API goes away; the exit status tells Lambda why we stopped."""
    try:
        api = RuntimeApi(os.environ.get("AWS_LAMBDA_RUNTIME_API", ""))
    except RuntimeApiError as exc:
        log_error(None, exc)
        return 2
    handler = initialise(api)
    if isinstance(handler, int):
        return handler
    if snapstart.enabled(os.environ):
        exit_status = snapstart.take_part(api)
        if exit_status is not None:
            return exit_status
    return serve(api, handler)


def initialise(api: RuntimeApi) -> Handler | int:
    """The handler, or the exit status after its failure was reported to ``/init/error``."""
    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
        # An exception of the function's own build is reported as the managed runtime reports
        # one raised at import: under its class name.
        entry.initialise(handler)
    except Exception as exc:
        log_error(None, exc)
        diagnostic = diagnose(exc)
        _report(None, lambda: api.post_init_error(diagnostic))
        return 1
    return handler


def serve(api: RuntimeApi, handler: Handler) -> int:
    """``/next`` → handler → ``/response``, until the Runtime API is gone."""
    while True:
        try:
            invocation = api.next_invocation()
        except RuntimeApiError as exc:
            log_error(None, exc)
            return 2
        invoke(api, handler, invocation)


def load_handler(name: str) -> Handler:
    """Import ``module.function`` (the managed runtime also accepts ``path/module.function``)."""
    module_name, _, function_name = name.replace("/", ".").rpartition(".")
    if not module_name or not function_name:
        raise InitError(
            "Runtime.MalformedHandlerName", f"bad handler {name!r}: use module.function"
        )
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        raise InitError("Runtime.UserCodeSyntaxError", f"{module_name}: {exc}") from exc
    except Exception as exc:
        raise InitError(
            "Runtime.ImportModuleError", f"unable to import module {module_name!r}: {exc}"
        ) from exc
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise InitError("Runtime.HandlerNotFound", f"{name!r} is not a function")
    return handler  # type: ignore[no-any-return]  # checked callable; its signature is the contract


def invoke(api: RuntimeApi, handler: Handler, invocation: Invocation) -> None:
    """Run one invocation; nothing it does can end the loop except a broken Runtime API."""
    request_id = invocation.request_id
    try:
        context = _context(invocation)
        answer = _call(handler, invocation, context)
    except Exception as exc:
        log_error(request_id, exc)
        diagnostic = diagnose(exc)
        _report(request_id, lambda: api.post_error(invocation, diagnostic))
        return
    if isinstance(answer, bytes):
        _report(request_id, lambda: api.post_response(invocation, answer))
        return
    body, metadata = answer
    write_deadline = context.deadline_ms / 1000 - WRITE_RESERVE_S
    _report(request_id, lambda: _stream(api.address, invocation, body, metadata, write_deadline))


def _context(invocation: Invocation) -> LambdaContext:
    context = LambdaContext.from_headers(invocation.headers)
    # X-Ray and the AWS SDKs read the trace header from the environment, per invocation.
    if context.trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = context.trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    return context


def _call(
    handler: Handler, invocation: Invocation, context: LambdaContext
) -> tuple[Iterator[bytes], bytes] | bytes:
    """The body to stream and the encoded prelude, or the JSON of a buffered answer: every
    failure up to here is reported to ``/error``.
    """
    response = handler(json.loads(invocation.event), context)
    if not isinstance(response, StreamingResponse):
        return json.dumps(response).encode()
    try:
        return iter(response.body), encode_prelude(response.prelude())
    except Exception:
        _close(response.body)
        raise


def _stream(
    address: str, invocation: Invocation, body: Iterator[bytes], metadata: bytes, deadline: float
) -> None:
    try:
        stream = ResponseStream(address, invocation.request_id, invocation.invocation_id, deadline)
        try:
            stream.start(metadata)
            failure = _write_body(stream, body, invocation.request_id)
            status = stream.finish(failure)
        except WriteTimeout:
            stream.abort()  # a reset: the reader must not take what it got for a whole response
            raise
        finally:
            stream.close()
        if status >= 300:
            log_error(invocation.request_id, RuntimeApiError(f"/response answered {status}"))
    finally:
        # The generator's cleanup (closing the upstream request) runs whatever happened above.
        _close(body)


def _write_body(
    stream: ResponseStream, body: Iterator[bytes], request_id: str
) -> dict[str, Any] | None:
    """Write every part as it comes; an error from the body becomes the trailers' diagnostic."""
    while True:
        try:
            chunk = next(body)
        except StopIteration:
            return None
        except Exception as exc:
            log_error(request_id, exc)
            return diagnose(exc)
        if not isinstance(chunk, bytes | bytearray | memoryview):
            wrong = TypeError(f"the body yielded {type(chunk).__name__}, not bytes")
            log_error(request_id, wrong)
            return diagnose(wrong)
        stream.write(chunk)


def _report(request_id: str | None, send: Callable[[], None]) -> None:
    # Whatever went wrong while answering (most likely a broken Runtime API connection) fails
    # this invocation only; the next /next tells whether the environment is still alive.
    try:
        send()
    except Exception as exc:
        log_error(request_id, exc)


def _close(resource: object) -> None:
    close = getattr(resource, "close", None)
    if callable(close):
        try:
            close()
        except Exception as exc:
            log_error(None, exc)
