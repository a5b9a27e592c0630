"""The ASGI app behind ``stream-chat serve``, routed as CloudFront routes the deployed site.

A path that one of the routes takes goes to that function's URL (the first match wins, so the
narrower ``/api/chat/stream/*/cancel`` and the resume route come before ``/api/``); everything
else is the page from ``web/``. With a registry (``serve --cancel-on-disconnect``), a client that
goes away mid-stream has its answer cancelled: a local convenience Lambda never offers.
Parsing, framing, limits and timeouts are the HTTP server's (see ``http_front``); here
is only what is ours: who may call, reading the body within a function URL's quota, and handing
the request to a function with the headers CloudFront would give it.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from stream_chat.access import Authorizer
from stream_chat.cancellation import CancelRegistry
from stream_chat_local.client import Client, Message, Receive, Send, send_answer
from stream_chat_local.cloudfront import as_cloudfront_forwards
from stream_chat_local.function_url import LocalFunction, invoke
from stream_chat_local.http_head import Answer, error_answer
from stream_chat_local.request_policy import Head, RequestPolicy
from stream_chat_local.static import StaticFiles
from stream_chat_local.url_event import HttpRequest

MAX_REQUEST_BYTES = 6 * 1024 * 1024  # a function URL's request payload quota
PAGE_METHODS = ("GET", "HEAD")
CLOSE = ("connection", "close")

Route = tuple[Callable[[str], object], LocalFunction]  # (does it take this path, the function)


class Front:
    def __init__(
        self,
        routes: Sequence[Route],
        static: StaticFiles,
        policy: RequestPolicy,
        registry: CancelRegistry | None,
        body_timeout_s: float = 10.0,
        *,
        authorizer: Authorizer | None = None,
    ) -> None:
        self.routes = list(routes)
        self.body_timeout_s = body_timeout_s  # for the whole body
        self.static = static
        self.policy = policy
        self.registry = registry  # for the cancel on disconnect; None: answers run on
        # With sign-in a cancel is owned: the one on disconnect is written for the request's user.
        self.authorizer = authorizer or Authorizer(None)

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        head = Head.of(scope)
        if refusal := self.policy.refuse(head):
            await send_answer(send, refusal)
            return
        function = self.route(scope["path"])
        if function is None:
            await send_answer(send, self._page(scope["method"], scope["path"]))
            return
        await self._call(function, scope, head.headers, receive, send)

    def route(self, path: str) -> LocalFunction | None:
        return next((function for takes, function in self.routes if takes(path)), None)

    def _page(self, method: str, path: str) -> Answer:
        if method not in PAGE_METHODS:
            return error_answer(405, f"{method} is not allowed here.", ("allow", "GET, HEAD"))
        return self.static.answer(path)

    async def _call(
        self,
        function: LocalFunction,
        scope: Message,
        headers: dict[str, str],
        receive: Receive,
        send: Send,
    ) -> None:
        has_body = "transfer-encoding" in headers or headers.get("content-length", "0") != "0"
        if refusal := self.policy.refuse_api(scope["method"], headers, has_body):
            await send_answer(send, _closing(refusal) if has_body else refusal)
            return
        body = await read_body(scope["method"], headers, receive, self.body_timeout_s)
        if isinstance(body, Answer):
            await send_answer(send, body)
            return
        if body is None:
            return  # the client left while sending
        peer = scope.get("client") or ("127.0.0.1", 0)
        request = HttpRequest(
            scope["method"],
            _target(scope),
            as_cloudfront_forwards(headers, peer),
            body,
            peer[0],
            str(uuid.uuid4()),
        )
        client = Client(send, receive, lambda stream_id: self._cancel_soon(stream_id, request))
        try:
            outcome = await invoke(function, request, client)
        finally:
            client.close()
        line = f"{scope['method']} {request.target[:200]} HTTP/{scope['http_version']}"
        _log(f'"{line}" {outcome.value}')

    def _cancel_soon(self, stream_id: str, request: HttpRequest | None = None) -> None:
        """The client went away mid-stream: stop its answer (a local convenience; see docs)."""
        if self.registry is not None:
            asyncio.get_running_loop().run_in_executor(None, self.cancel, stream_id, request)

    def cancel(self, stream_id: str, request: HttpRequest | None = None) -> None:
        """Record the cancel (blocking: a registry write, maybe a token check); never raises."""
        if self.registry is None:
            return
        try:
            owner = self._owner(request)
            self.registry.cancel(stream_id, owner)
        except Exception as exc:  # a failed cancel must not take the front down
            _log(f"cancelling {stream_id} failed: {exc!r}")

    def _owner(self, request: HttpRequest | None) -> str:
        if request is None or self.authorizer.tokens is None:
            return ""
        headers = {name.lower(): value for name, value in request.headers}
        return self.authorizer.authorize(headers, request.source_ip).owner


async def read_body(
    method: str, headers: dict[str, str], receive: Receive, timeout_s: float
) -> bytes | Answer | None:
    """The whole body within the quota and the time; an error answer; None if the client left."""
    length = headers.get("content-length")
    chunked = "transfer-encoding" in headers  # the server accepts only chunked
    if method in ("POST", "PUT", "PATCH") and length is None and not chunked:
        return error_answer(411, "Send a Content-Length.")
    if length is not None and int(length.split(",")[0]) > MAX_REQUEST_BYTES:
        return _too_large()
    body = bytearray()
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
                body += message.get("body", b"")
                if len(body) > MAX_REQUEST_BYTES:
                    return _too_large()
                if not message.get("more_body"):
                    return bytes(body)
    except TimeoutError:
        return error_answer(408, "The request body took too long.", CLOSE)


def _too_large() -> Answer:
    # The rest of the body is never read: the connection must close after the answer.
    return error_answer(413, f"Request must be smaller than {MAX_REQUEST_BYTES} bytes", CLOSE)


def _closing(answer: Answer) -> Answer:
    return Answer(answer.status, answer.body, [*answer.headers, (b"connection", b"close")])


def _target(scope: dict[str, Any] | Message) -> str:
    path = scope["raw_path"].decode("latin-1") if scope.get("raw_path") else scope["path"]
    query = scope["query_string"].decode("latin-1")
    return f"{path}?{query}" if query else path


def _log(message: str) -> None:
    print(f"stream-chat serve: {message}", file=sys.stderr, flush=True)
