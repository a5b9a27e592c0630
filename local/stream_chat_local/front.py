"""The HTTP front of ``stream-chat serve``: routed as CloudFront routes.

``/api/chat/stream/*/cancel`` goes to a worker of the cancel function, the rest of ``/api/...``
to a worker of the streaming function, everything else to ``web/``.
"""

from __future__ import annotations

import json
import sys
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlsplit

from stream_chat.cancellation import CancelRegistry
from stream_chat.routes import is_cancel_route
from stream_chat_local.function_url import Client, Outcome, Relay, supervise
from stream_chat_local.http_head import error_response
from stream_chat_local.invocation import Invocation
from stream_chat_local.static import StaticFiles
from stream_chat_local.url_event import HttpRequest, build_event
from stream_chat_local.workers import WorkerPool

MAX_REQUEST_BYTES = 6 * 1024 * 1024  # a function URL's request payload quota
ACQUIRE_WAIT_S = 30.0  # locally a request waits this long for a free instance, then 429s


@dataclass(frozen=True)
class LocalFunction:
    """One function behind its own function URL: its instances and its timeout."""

    pool: WorkerPool
    timeout_s: float


class Front:
    """What the handler threads share: both functions, the page, and the cancel registry."""

    def __init__(
        self,
        chat: LocalFunction,
        cancel: LocalFunction,
        static: StaticFiles,
        registry: CancelRegistry | None,
    ) -> None:
        self.chat = chat
        self.cancel_function = cancel
        self.static = static
        self.registry = registry  # built once, for cancels on disconnect

    def route(self, path: str) -> LocalFunction:
        return self.cancel_function if is_cancel_route(path) else self.chat

    def invoke(self, request: HttpRequest, client: Client) -> Outcome | None:
        """Run one request through a worker; None when no worker could take it (throttled)."""
        function = self.route(urlsplit(request.target).path)
        worker = function.pool.acquire(ACQUIRE_WAIT_S)
        if worker is None:
            client.send(error_response(429, "Rate Exceeded."))
            return None
        sink = Relay(client, request.request_id)
        event = json.dumps(build_event(request)).encode()
        invocation = Invocation(event, function.timeout_s, sink, request.request_id)
        worker.api.submit(invocation)
        outcome, detail = supervise(invocation, sink, worker)
        if outcome is Outcome.TIMED_OUT:
            _log(f"{invocation.request_id} Task timed out after {function.timeout_s:.2f} seconds")
            function.pool.replace(worker)
        else:
            function.pool.release(worker)
        if detail:
            _log(f"{invocation.request_id} {outcome.value}: {json.dumps(detail)[:2000]}")
        return outcome

    def cancel(self, stream_id: str | None) -> None:
        """The client went away mid-stream: stop its answer (a local convenience; see docs)."""
        if not stream_id or self.registry is None:
            return
        try:
            self.registry.cancel(stream_id)
        except Exception as exc:  # a failed cancel must not take the front down
            _log(f"cancelling {stream_id} failed: {exc!r}")


class FrontHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    front: Front

    @classmethod
    def bound_to(cls, front: Front) -> type[FrontHandler]:
        return type("BoundFrontHandler", (cls,), {"front": front})

    def log_message(self, format: str, *args: Any) -> None:
        if not self.path.startswith("/api/"):
            return  # page assets are noise; API requests are worth a line
        super().log_message(format, *args)

    def do_GET(self) -> None:
        self._route()

    def do_HEAD(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_PUT(self) -> None:
        self._route()

    def do_PATCH(self) -> None:
        self._route()

    def do_DELETE(self) -> None:
        self._route()

    def do_OPTIONS(self) -> None:
        self._route()

    def _route(self) -> None:
        path = unquote(urlsplit(self.path).path)
        if path.startswith("/api/"):
            self._invoke()
        elif self.command not in ("GET", "HEAD"):
            self._plain(405, b"method not allowed\n", "text/plain")
        elif found := self.front.static.lookup(path):
            self._plain(200, *found)
        else:
            self._plain(404, b"not found\n", "text/plain")

    def _invoke(self) -> None:
        body = self._read_body()
        if body is None:
            return
        request = HttpRequest(
            self.command,
            self.path,
            self.headers.items(),
            body,
            self.client_address[0],
            str(uuid.uuid4()),
        )
        client = Client(self.connection, self.front.cancel)
        outcome = self.front.invoke(request, client)
        self.log_request(outcome.value if outcome else 429)
        if outcome is not Outcome.COMPLETE or client.gone:
            self.close_connection = True

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._plain(411, b"send a Content-Length\n", "text/plain")
            return None
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True
            self.wfile.write(error_response(413, "Request must be smaller than 6291456 bytes"))
            return None
        return self.rfile.read(length)

    def _plain(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def _log(message: str) -> None:
    print(f"stream-chat serve: {message}", file=sys.stderr, flush=True)
