"""An emulated Lambda Runtime API for one local worker process, as each Lambda instance has its own.

It serves ``/next`` one invocation at a time and reads a streamed ``/response`` incrementally
(``chunked``), handing each part onward the moment it is complete. A buffered ``/response`` (no
``Lambda-Runtime-Function-Response-Mode: streaming``) is the function's whole JSON result, handed
on at once. ``/error`` and ``/init/error`` are recorded as they are documented.

SnapStart's calls too: ``GET /restore/next`` is answered once ``release_restore()`` is called
(Lambda answers it in an instance restored from the snapshot), and ``/restore/error`` is kept as
the environment's failure to start, in ``init_error`` as well as ``restore_error``.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from stream_chat_local.chunked import read_chunk, read_trailers, relay_chunks
from stream_chat_local.http_server import LocalServer
from stream_chat_local.invocation import Buffered, Failed, Finished, Invocation

PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:local:000000000000:function:stream-chat"
BUFFERED_LIMIT = 6 * 1024 * 1024  # Lambda's quota for a buffered response payload


class EmulatedRuntimeApi:
    """The HTTP server a worker's ``AWS_LAMBDA_RUNTIME_API`` points at, on 127.0.0.1."""

    def __init__(self) -> None:
        self.first_next_at: float | None = None  # time.time() of the runtime's first /next
        self.init_error: dict[str, Any] | None = None
        self.restore_error: dict[str, Any] | None = None
        self.restored_at: float | None = None  # time.time() of the /restore/next answer
        self._restore = threading.Event()
        self._pending: queue.SimpleQueue[Invocation | None] = queue.SimpleQueue()
        self._running: dict[str, Invocation] = {}
        self._closed = threading.Event()
        self._server = LocalServer(("127.0.0.1", 0), _handler_for(self))
        # Every poll wakes the process (about 0.1 ms of CPU on a small VM): poll rarely, and let
        # close() wait for the loop in the background instead.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def submit(self, invocation: Invocation) -> None:
        """Queue an invocation: the runtime's next (or current) ``/next`` receives it."""
        self._pending.put(invocation)

    def release_restore(self) -> None:
        """Let ``/restore/next`` answer: the instance is restored."""
        self._restore.set()

    def wait_restore(self) -> bool:
        """Block until released (True) or closed (False)."""
        self._restore.wait()
        if self._closed.is_set():
            return False
        self.restored_at = time.time()
        return True

    def close(self) -> None:
        """Stop answering: a waiting ``/next`` returns at once, the server soon after."""
        self._closed.set()
        self._restore.set()
        self._pending.put(None)
        threading.Thread(target=self._stop, daemon=True).start()

    def _stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def take_next(self) -> Invocation | None:
        """Block until an invocation is submitted; None once the API is closed."""
        if self.first_next_at is None:
            self.first_next_at = time.time()
        invocation = None if self._closed.is_set() else self._pending.get()
        if invocation is None:
            self._pending.put(None)  # wake the next waiter too
            return None
        self._running[invocation.request_id] = invocation
        invocation.mark_delivered()
        return invocation

    def running(self, request_id: str) -> Invocation | None:
        return self._running.get(request_id)

    def done(self, request_id: str) -> None:
        self._running.pop(request_id, None)


def _handler_for(api: EmulatedRuntimeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(_RuntimeHandler):
        runtime_api = api

    return Handler


class _RuntimeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    runtime_api: EmulatedRuntimeApi

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the worker's own output is the log that matters

    def do_GET(self) -> None:
        if self.path == f"{PREFIX}/restore/next":
            self._restore_next()
            return
        if self.path != f"{PREFIX}/invocation/next":
            self._answer(404, {"errorMessage": "not found"})
            return
        invocation = self.runtime_api.take_next()
        if invocation is None:  # shutting down: the worker is being stopped anyway
            self.close_connection = True
            return
        self.send_response(200)
        for name, value in invocation.next_headers(FUNCTION_ARN).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(invocation.event)))
        self.end_headers()
        self.wfile.write(invocation.event)

    def _restore_next(self) -> None:
        if self.runtime_api.wait_restore():
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.close_connection = True

    def do_POST(self) -> None:
        parts = self.path.removeprefix(f"{PREFIX}/").split("/")
        if parts == ["init", "error"]:
            self.runtime_api.init_error = self._json_body()
            self._answer(202, {"status": "OK"})
            return
        if parts == ["restore", "error"]:
            report = self._json_body()
            self.runtime_api.restore_error = self.runtime_api.init_error = report
            self._answer(202, {"status": "OK"})
            return
        invocation = self.runtime_api.running(parts[1]) if len(parts) == 3 else None
        if invocation is None or parts[0] != "invocation" or parts[2] not in ("response", "error"):
            self._answer(400, {"errorMessage": f"unexpected {self.path}"})
            return
        if parts[2] == "error":
            invocation.put(Failed(self._json_body()))
        elif self.headers.get("Lambda-Runtime-Function-Response-Mode") == "streaming":
            self._read_stream(invocation)
        else:
            self._read_buffered(invocation)
        self.runtime_api.done(invocation.request_id)
        self._answer(202, {"status": "OK"})

    def _read_stream(self, invocation: Invocation) -> None:
        if self.headers.get("Transfer-Encoding") != "chunked":
            invocation.put(_failed("Runtime.InvalidStream", "a streamed response must be chunked"))
            self._raw_body()
            return
        ended, trailers = relay_chunks(self.rfile, invocation.put)
        invocation.put(Finished(complete=ended, trailers=trailers))
        if not ended:
            self.close_connection = True

    def _read_buffered(self, invocation: Invocation) -> None:
        payload = self._raw_body()
        if payload is None:
            invocation.put(_failed("Runtime.TruncatedResponse", "the response was cut off"))
        elif len(payload) > BUFFERED_LIMIT:
            size = f"{len(payload)} bytes exceeds the limit of {BUFFERED_LIMIT}"
            invocation.put(
                _failed("Function.ResponseSizeTooLarge", f"Response payload size: {size}")
            )
        else:
            invocation.put(Buffered(payload))

    def _raw_body(self) -> bytes | None:
        """The whole request body, sized or chunked; None if the connection broke first."""
        if self.headers.get("Transfer-Encoding") != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = bytearray()
        while data := read_chunk(self.rfile):
            body += data
        if data is None:
            self.close_connection = True
            return None
        read_trailers(self.rfile)
        return bytes(body)

    def _json_body(self) -> dict[str, Any]:
        raw = self._raw_body() or b""
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
        return {"errorMessage": raw.decode(errors="replace")}

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _failed(error_type: str, message: str) -> Failed:
    return Failed({"errorType": error_type, "errorMessage": message})
