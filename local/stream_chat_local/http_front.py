"""The HTTP server of ``stream-chat serve``: uvicorn, with h11 as its parser.

Why uvicorn: it is the most widely used and actively kept ASGI server; on asyncio an idle
connection costs a few kilobytes, not a thread; its listen backlog, keep-alive, HTTP/1.0 and
``HEAD`` handling, flow control and graceful shutdown are mature; and its ASGI ``send`` writes
each body part to the socket at once, which streaming needs. Why h11 rather than httptools: h11
is pure Python (nothing to compile on any machine), validates requests strictly (request line,
header syntax, ``Content-Length``, ``Transfer-Encoding``), bounds the head's size and tells why
it refused a request, which the answers below use.

What is added here is policy, in a subclass of uvicorn's h11 protocol:
- a malformed request gets a JSON answer with the fitting status (400, 414, 431, 501) instead of
  a bare 400 in text;
- a request head must arrive within the read timeout (uvicorn bounds only the idle time
  between requests), else 408 and the connection closes;
- a client that half-closes its socket after sending its request still gets the whole answer
  (RFC 9112 section 9.6) instead of being treated as gone;
- a client that stops taking the response (the write buffer stays over its high-water mark for
  the write timeout) is dropped with a reset: uvicorn would wait for it forever, and a plain
  close would leave the kernel trying to deliver the buffered bytes to it;
- a stop (SIGINT, SIGTERM) first asks the front to end what is running, then lets uvicorn drain
  the connections, and exits with status 0 instead of re-raising the signal.

The subclass relies on members of uvicorn's protocol and of h11's connection that neither
documents (``INTERNALS``): this module is the one place that uses them, read against
``CHECKED``, and ``tests/local/test_http_front_contract.py`` fails by name when a release drops one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import socket
import struct
from collections.abc import Callable, Generator
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

CHECKED = "uvicorn 0.55.0 with h11 0.16.0"
# The undocumented members used below: of an H11Protocol instance, of its h11 connection, and of
# uvicorn.Server (the methods overridden or called).
INTERNALS = {
    "protocol": ("conn", "cycle", "loop", "transport", "send_400_response", "on_response_complete"),
    "connection": ("trailing_data", "our_state"),
    "server": ("handle_exit", "shutdown", "capture_signals"),
}
HEAD_LIMIT = 16 * 1024  # request line and headers together, as h11's default
GRACEFUL_STOP_S = 5  # uvicorn waits this long for responses to end, then cancels them
BACKLOG = 2048
MESSAGES = {
    400: "Bad Request",
    408: "Request Timeout",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    501: "Not Implemented",
}


class _Connection(h11.Connection):
    """h11's connection, remembering why it refused the request."""

    refusal: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.refusal = exc
            raise


class FrontProtocol(H11Protocol):
    head_timeout_s = 10.0
    write_timeout_s = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _Connection(h11.SERVER, max_incomplete_event_size=HEAD_LIMIT)
        self._head_timer: asyncio.TimerHandle | None = None
        self._stall_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._head_timer, self._stall_timer):
            if timer is not None:
                timer.cancel()
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._stall_timer is None:
            self._stall_timer = self.loop.call_later(self.write_timeout_s, self._write_timed_out)

    def resume_writing(self) -> None:
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
        super().resume_writing()

    def _write_timed_out(self) -> None:
        # The client took nothing for the whole write timeout: reset the connection. The response
        # cannot end properly any more, and the reset tells the client so.
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_head_timer()

    def eof_received(self) -> bool | None:  # type: ignore[override]  # asyncio's own contract
        cycle = self.cycle
        if cycle is not None and not cycle.more_body and not cycle.response_complete:
            cycle.keep_alive = False  # the request is whole: answer it, then close
            return True
        waiting = cycle is None or cycle.response_complete
        if waiting and self.conn.trailing_data[0] and self.conn.our_state is h11.IDLE:
            self._send_error(400, "the request ended inside its head")
        return None

    def send_400_response(self, msg: str) -> None:
        refusal = self.conn.refusal if isinstance(self.conn, _Connection) else None
        status = refusal.error_status_hint if refusal is not None else 400
        if status == 431 and b"\n" not in self.conn.trailing_data[0]:
            status = 414  # the request line alone is over the limit
        detail = str(refusal) if refusal is not None else msg
        self._send_error(status if status in MESSAGES else 400, detail)

    def _send_error(self, status: int, detail: str) -> None:
        # Written as bytes: the parser is in an error state, or has no request to answer yet.
        body = json.dumps({"Message": f"{MESSAGES[status]}: {detail}"}).encode()
        head = (
            f"HTTP/1.1 {status} {MESSAGES[status]}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        self.transport.close()

    def _arm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(
            self.head_timeout_s, self._head_timed_out, self.cycle
        )

    def _head_timed_out(self, awaited: Any) -> None:
        waiting = self.cycle is awaited and (awaited is None or awaited.response_complete)
        if not waiting or self.transport.is_closing():
            return
        if self.conn.trailing_data[0] and self.conn.our_state is h11.IDLE:
            self._send_error(408, "the request head took too long")
        else:
            self.transport.close()


class FrontServer(uvicorn.Server):
    """uvicorn's server, calling ``on_stop`` as soon as a stop begins."""

    def __init__(self, config: uvicorn.Config, on_stop: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_stop = on_stop

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        previous = {
            sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    async def shutdown(self, sockets: Any = None) -> None:
        self.on_stop()
        await super().shutdown(sockets)


class _Expected(logging.Filter):
    """Drop uvicorn's notes on what the front does on purpose: refusing a malformed request
    (answered with its status), and returning mid-response to cut a broken stream off."""

    NOTES = ("Invalid HTTP request received.", "ASGI callable returned without completing")

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.NOTES)


def quiet_logs() -> None:
    """uvicorn's own log lines, in serve's format, without the expected ones."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("stream-chat serve: %(message)s"))
    handler.addFilter(_Expected())
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    logger.propagate = False


def server_config(app: Any, read_timeout_s: float, write_timeout_s: float) -> uvicorn.Config:
    timeouts = {"head_timeout_s": read_timeout_s, "write_timeout_s": write_timeout_s}
    protocol = type("FrontProtocol", (FrontProtocol,), timeouts)
    quiet_logs()
    return uvicorn.Config(
        app,
        http=protocol,
        proxy_headers=False,  # nothing stands in front of serve: X-Forwarded-For is a lie
        ws="none",
        lifespan="off",
        log_config=None,
        log_level=logging.WARNING,
        access_log=False,
        server_header=False,
        backlog=BACKLOG,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=GRACEFUL_STOP_S,
        h11_max_incomplete_event_size=HEAD_LIMIT,
    )
