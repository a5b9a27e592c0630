"""A fake Anthropic Messages API that speaks the real wire protocol over real HTTP.

The real ``anthropic`` SDK reaches it through ``ANTHROPIC_BASE_URL``: nothing in the SDK is mocked.
Each request to ``POST /v1/messages`` is answered by the next queued ``Reply`` (or the default):
the documented event sequence (message_start, content_block_start, ping, content_block_delta × N,
content_block_stop, message_delta, message_stop) sent with chunked encoding, or a fault shape.
Every stream is recorded, including when the client closed the connection, and so is every TCP
connection accepted. Given an ``ssl.SSLContext`` it serves HTTPS instead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import select
import socket
import ssl
import struct
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from tests.fakes.anthropic_blocks import Block

# The shapes every platform shares; a platform's own fake adds its faults (any other string).
Fault = Literal[
    "http_429",
    "http_500",
    "http_529",
    "http_401",
    "overloaded_midstream",
    "cut",
    "reset",
    "stall_with_pings",
    "malformed",  # a delta cut inside its JSON
    "malformed_delta",  # well-formed JSON, but a delta whose text is a number
    "no_head",  # accepts the request, never sends the response head
]
HTTP_FAULTS: dict[str, tuple[int, str, str]] = {
    "http_429": (429, "rate_limit_error", "Number of request tokens has exceeded your rate limit."),
    "http_500": (500, "api_error", "Internal server error."),
    "http_529": (529, "overloaded_error", "Overloaded"),
    "http_401": (401, "authentication_error", "invalid x-api-key"),
}


class ClientGone(Exception):
    """The client closed its connection."""


@dataclass(frozen=True)
class Reply:
    texts: tuple[str, ...] | list[str] = ("Hello", ", ", "world", "!")
    head_delay_s: float = 0.0  # before the response head, an HTTP fault's too
    delay_s: float = 0.0  # before each text delta
    first_delay_s: float = 0.0  # after message_start, before the first delta
    ping_every_s: float | None = None  # send `ping` events while waiting
    stop_reason: str = "end_turn"
    input_tokens: int = 12
    output_tokens: int | None = None  # default: one per text piece
    fault: Fault | str | None = None
    fault_after: int = 2  # deltas sent before a mid-stream fault
    stall_s: float = 30.0  # how long `stall_with_pings` pings, or `no_head` stays silent, at most
    # Content blocks to play instead of ``texts`` (``tests.fakes.anthropic_blocks``).
    blocks: tuple[Block, ...] | None = None
    stop_details: dict[str, Any] | None = None  # message_delta's, e.g. a refusal's category
    server_tool_use: dict[str, int] | None = None  # the final usage's server tool counts
    chunk_bytes: int | None = None  # cut every event into chunks this long (inside characters)


@dataclass
class StreamRecord:
    opened_at: float
    request_id: str
    connection: int  # which accepted TCP connection carried it, counted from 1
    closed_at: float | None = None
    completed: bool = False
    client_closed: bool = False
    deltas_sent: int = 0
    closed: threading.Event = field(default_factory=threading.Event)
    # Completed or closed: the client may act on message_stop before the fake has written the
    # body's last chunk, and a completed answer's pooled connection stays open.
    ended: threading.Event = field(default_factory=threading.Event)

    def complete(self) -> None:
        self.completed = True
        self.ended.set()

    def close(self, *, client: bool) -> None:
        if self.closed_at is None:
            self.closed_at = time.time()
            self.client_closed = client
            self.closed.set()
            self.ended.set()


class FakeAnthropic:
    """Context manager: an HTTP server on 127.0.0.1 in a background thread."""

    api_key = "test-key"

    def __init__(
        self, default: Reply | None = None, port: int = 0, tls: ssl.SSLContext | None = None
    ) -> None:
        self.default = default or Reply()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.streams: list[StreamRecord] = []
        self.connections = 0  # TCP connections accepted
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", port), self._make_handler(), tls)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        scheme = "https" if self._server.tls is not None else "http"
        return f"{scheme}://{host!s}:{port}"

    def __enter__(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def wait_for_stream(self, index: int, timeout: float) -> StreamRecord:
        """The record of stream ``index`` once its request has arrived."""
        deadline = time.monotonic() + timeout
        while len(self.streams) <= index:
            if time.monotonic() > deadline:
                raise TimeoutError(f"stream {index} never started")
            time.sleep(0.005)
        return self.streams[index]

    def wait_for_end(self, index: int, timeout: float) -> StreamRecord:
        """The record of stream ``index`` once the fake has finished writing it or it closed."""
        deadline = time.monotonic() + timeout
        record = self.wait_for_stream(index, timeout)
        if not record.ended.wait(max(0.0, deadline - time.monotonic())):
            raise TimeoutError(f"stream {index} still running after {timeout}s")
        return record

    def wait_for_close(self, index: int, timeout: float) -> float:
        """Seconds from the stream's start to its connection closing (by either side)."""
        deadline = time.monotonic() + timeout
        record = self.wait_for_stream(index, timeout)
        if not record.closed.wait(max(0.0, deadline - time.monotonic())):
            raise TimeoutError(f"stream {index} still open after {timeout}s")
        assert record.closed_at is not None
        return record.closed_at - record.opened_at

    def _next_reply(self, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            return self._queue.popleft() if self._queue else self.default

    def _accepted(self) -> int:
        with self._lock:
            self.connections += 1
            return self.connections

    def _make_handler(self) -> type[BaseHTTPRequestHandler]:
        class Handler(_MessagesHandler):
            server_fake = self

        return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        tls: ssl.SSLContext | None,
    ) -> None:
        self.tls = tls
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.tls is not None:  # the handshake runs in the connection's own thread
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that fails the TLS handshake or vanishes is part of the tests


class _MessagesHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Small event writes must not wait for a delayed ACK on a reused connection.
    disable_nagle_algorithm = True
    server_fake: FakeAnthropic

    def setup(self) -> None:
        self.connection_number = self.server_fake._accepted()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length", "0")))
        path = self.path.split("?")[0]
        if not self.is_stream_route(path):
            self.send_error_reply(404, "not_found_error", "Not found")
            return
        if not self.authorised(raw):
            return
        try:
            body = self.messages_request(path, json.loads(raw))
            _check_request(body)
        except (ValueError, KeyError, TypeError) as exc:
            self.send_error_reply(400, "invalid_request_error", str(exc))
            return
        reply = self.server_fake._next_reply(body, {k.lower(): v for k, v in self.headers.items()})
        try:
            self.wait(reply.head_delay_s)
        except ClientGone:
            self.close_connection = True
            return
        if reply.fault is not None and self.send_http_fault(reply.fault):
            return
        if reply.fault == "no_head":
            self._stay_silent(reply)
            return
        self._stream(body, reply)

    # -- what another platform serving the same Messages stream overrides --------------------
    content_type = "text/event-stream"
    request_id_header = "request-id"

    def is_stream_route(self, path: str) -> bool:
        return path == "/v1/messages"

    def authorised(self, raw: bytes) -> bool:
        """Whether the request's credentials hold; False once the refusal has been sent."""
        return True

    def messages_request(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """The request as the Messages API would read it (the model may come from the path)."""
        return body

    def send_http_fault(self, fault: str) -> bool:
        """Answer with the fault's HTTP error; False when it is not an HTTP fault."""
        if fault not in HTTP_FAULTS:
            return False
        self.send_error_reply(*HTTP_FAULTS[fault])
        return True

    def send_error_reply(self, status: int, kind: str, message: str) -> None:
        self._send_json(status, _error_body(kind, message))

    def new_request_id(self) -> str:
        return "req_" + uuid.uuid4().hex[:20]

    def midstream_fault(self, fault: str) -> None:
        raise AssertionError(f"unknown fault {fault!r}")

    def _new_record(self) -> StreamRecord:
        record = StreamRecord(
            opened_at=time.time(),
            request_id=self.new_request_id(),
            connection=self.connection_number,
        )
        self.server_fake.streams.append(record)
        return record

    def _stay_silent(self, reply: Reply) -> None:
        record = self._new_record()
        self.close_connection = True
        try:
            self.wait(reply.stall_s)
        except ClientGone:
            record.close(client=True)
        else:
            record.close(client=False)

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header(self.request_id_header, self.new_request_id())
        self.send_header("content-length", str(len(data)))
        if status == 429:
            self.send_header("retry-after", "0")
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, body: dict[str, Any], reply: Reply) -> None:
        record = self._new_record()
        self.send_response(200)
        self.send_header("content-type", self.content_type)
        self.send_header("transfer-encoding", "chunked")
        self.send_header(self.request_id_header, record.request_id)
        self.end_headers()
        self.chunk_bytes = reply.chunk_bytes
        try:
            _Script(self, record, body, reply).play()
        except (ClientGone, BrokenPipeError, ConnectionResetError):
            record.close(client=True)
            self.close_connection = True
        else:
            record.close(client=False)

    # -- low-level writing, used by _Script ------------------------------------------------
    chunk_bytes: int | None = None

    def send_event(self, name: str, data: dict[str, Any] | str) -> None:
        payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        encoded = f"event: {name}\ndata: {payload}\n\n".encode()
        size = self.chunk_bytes or len(encoded)
        for start in range(0, len(encoded), size):
            self.send_chunk(encoded[start : start + size])

    def send_chunk(self, data: bytes) -> None:
        self._check_client()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def wait(self, seconds: float) -> None:
        """Sleep, but notice at once when the client closes the connection."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], left)
            if readable:
                self._check_client()
                time.sleep(min(left, 0.01))

    def _check_client(self) -> None:
        readable, _, _ = select.select([self.connection], [], [], 0)
        # Peeks at the TCP stream itself, also under TLS (SSLSocket refuses flags): EOF is EOF.
        if readable and not socket.socket.recv(self.connection, 1, socket.MSG_PEEK):
            raise ClientGone

    def abort(self, *, reset: bool) -> None:
        if reset:  # SO_LINGER 0 makes close() send RST instead of FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.shutdown(socket.SHUT_RDWR) if not reset else None
        self.close_connection = True


class _Script:
    """The event sequence of one streamed answer, with its pauses and fault."""

    def __init__(
        self, out: _MessagesHandler, record: StreamRecord, body: dict[str, Any], reply: Reply
    ) -> None:
        self.out, self.record, self.body, self.reply = out, record, body, reply

    def play(self) -> None:
        out, reply = self.out, self.reply
        out.send_event("message_start", self._message_start())
        if reply.blocks is not None:
            self._play_blocks(reply.blocks)
            return
        out.send_event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
        out.send_event("ping", {"type": "ping"})
        for number, text in enumerate(reply.texts):
            if reply.fault and number == reply.fault_after and self._fault():
                return
            self._pause(reply.first_delay_s if number == 0 else 0.0)
            self._pause(reply.delay_s)
            out.send_event(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": text},
                },
            )
            self.record.deltas_sent += 1
        if reply.fault and len(reply.texts) <= reply.fault_after and self._fault():
            return
        self._finish()

    def _play_blocks(self, blocks: tuple[Block, ...]) -> None:
        out = self.out
        for index, block in enumerate(blocks):
            self._pause(block.pause_s)
            start = {"type": "content_block_start", "index": index, "content_block": block.start}
            out.send_event("content_block_start", start)
            if index == 0:
                out.send_event("ping", {"type": "ping"})
            for delta in block.deltas:
                self._pause(self.reply.delay_s)
                event = {"type": "content_block_delta", "index": index, "delta": delta}
                out.send_event("content_block_delta", event)
                self.record.deltas_sent += 1
            out.send_event("content_block_stop", {"type": "content_block_stop", "index": index})
        self._end(sum(len(block.deltas) for block in blocks))

    def _pause(self, seconds: float) -> None:
        every = self.reply.ping_every_s
        while seconds > 0:
            step = min(seconds, every) if every else seconds
            self.out.wait(step)
            seconds -= step
            if every and seconds > 0:
                self.out.send_event("ping", {"type": "ping"})

    def _fault(self) -> bool:
        """Play the mid-stream fault; True when the stream ends here."""
        out, fault = self.out, self.reply.fault
        if fault == "overloaded_midstream":
            out.send_event("error", _error_body("overloaded_error", "Overloaded"))
            out.end_chunks()
        elif fault in ("cut", "reset"):
            out.abort(reset=fault == "reset")
        elif fault == "malformed":
            out.send_event(
                "content_block_delta", '{"type": "content_block_delta", "index": 0, "del'
            )
            out.end_chunks()
        elif fault == "malformed_delta":
            out.send_event(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": 123},
                },
            )
            out.end_chunks()
        elif fault == "stall_with_pings":
            deadline = time.monotonic() + self.reply.stall_s
            while time.monotonic() < deadline:
                out.wait(min(0.5, self.reply.ping_every_s or 0.5))
                out.send_event("ping", {"type": "ping"})
            out.end_chunks()
        elif fault is not None:
            out.midstream_fault(fault)
        return True

    def _message_start(self) -> dict[str, Any]:
        return {
            "type": "message_start",
            "message": {
                "id": "msg_" + uuid.uuid4().hex[:24],
                "type": "message",
                "role": "assistant",
                "content": [],
                "model": self.body["model"],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": self.reply.input_tokens,
                    "output_tokens": 1,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                },
            },
        }

    def _finish(self) -> None:
        self.out.send_event("content_block_stop", {"type": "content_block_stop", "index": 0})
        self._end(len(self.reply.texts))

    def _end(self, deltas: int) -> None:
        out, reply = self.out, self.reply
        out_tokens = reply.output_tokens if reply.output_tokens is not None else deltas
        delta: dict[str, Any] = {"stop_reason": reply.stop_reason, "stop_sequence": None}
        if reply.stop_details is not None:
            delta["stop_details"] = reply.stop_details
        usage: dict[str, Any] = {"output_tokens": out_tokens}
        if reply.server_tool_use is not None:
            usage["server_tool_use"] = reply.server_tool_use
        out.send_event("message_delta", {"type": "message_delta", "delta": delta, "usage": usage})
        out.send_event("message_stop", {"type": "message_stop"})
        out.end_chunks()
        self.record.complete()


def _check_request(body: dict[str, Any]) -> None:
    if not body.get("stream"):
        raise ValueError("stream: this fake only streams")
    if not isinstance(body["model"], str) or not isinstance(body["max_tokens"], int):
        raise TypeError("model and max_tokens are required")
    roles = [message["role"] for message in body["messages"]]
    # A paused turn is continued by sending it back: the assistant's, after the user's.
    if roles[-1:] != ["user"] and roles[-2:] != ["user", "assistant"]:
        raise ValueError("messages: must end with a user turn, or an assistant turn to continue")


def _error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds before each delta")
    parser.add_argument("--texts", nargs="*", default=None)
    args = parser.parse_args()
    reply = Reply(delay_s=args.delay, texts=tuple(args.texts) if args.texts else Reply.texts)
    with FakeAnthropic(reply, port=args.port) as fake:
        print(f"READY {fake.base_url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
