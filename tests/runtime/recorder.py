"""A Runtime API that records the exact bytes a runtime sends.

It is deliberately separate from the emulator that ``stream-chat serve`` uses: it speaks only as
much HTTP/1.1 as the Runtime API needs, over raw sockets, and keeps every byte as sent.
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "/2018-06-01/runtime"
ACCEPTED = (
    b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n"
    b'{"status":"OK"}\n'
)
REFUSED = (
    b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
    b'Content-Length: 28\r\n\r\n{"errorType":"Unavailable"}\n'
)


@dataclass
class RawRequest:
    head: bytes  # request line and headers, as sent
    body: bytes = b""  # chunk framing and trailers included
    chunk_times: list[float] = field(default_factory=list)  # time.monotonic() per data chunk
    received_at: float = field(default_factory=time.time)  # when its head had arrived
    done: threading.Event = field(default_factory=threading.Event)
    reset: bool = False  # the runtime reset the connection before the body ended

    @property
    def line(self) -> str:
        return self.head.split(b"\r\n", 1)[0].decode()

    def header(self, name: str) -> str | None:
        for line in self.head.decode("latin-1").split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Pushed:
    event: dict[str, Any]
    headers: dict[str, str]


class RecordingRuntimeApi:
    def __init__(self) -> None:
        self.requests: list[RawRequest] = []
        self.on_chunk: Callable[[int], None] | None = None  # called with each data chunk's index
        self.hang_up_after: int | None = None  # close a /response after this many data chunks
        # Stop reading a /response after this many data chunks, for stall_s seconds: a stalled
        # consumer, whose full buffers block the runtime's writes.
        self.stall_after: int | None = None
        self.stall_s = 0.0
        self.refuse: str | None = None  # answer 500 to POSTs whose request line starts so
        # SnapStart: GET /restore/next waits for this, as Lambda answers it only in a restored copy
        self.restored = threading.Event()
        self._events: queue.Queue[Pushed] = queue.Queue()
        self._closed = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._connections: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._listener.getsockname()[1]}"

    def push(
        self,
        event: dict[str, Any],
        request_id: str = "req-1",
        *,
        deadline_s: float = 60.0,
        **headers: str | None,
    ) -> None:
        """Queue an event for ``/next``; extra headers as keyword arguments (``_`` for ``-``),
        None to leave a header out."""
        base: dict[str, str | None] = {
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(int((time.time() + deadline_s) * 1000)),
            "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:1:function:f",
        }
        base.update({k.replace("_", "-"): v for k, v in headers.items()})
        self._events.put(Pushed(event, {k: v for k, v in base.items() if v is not None}))

    def find(self, line_start: str, timeout: float = 10.0) -> RawRequest:
        """The first complete request whose request line starts with ``line_start``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for request in list(self.requests):
                if request.line.startswith(line_start) and request.done.is_set():
                    return request
            time.sleep(0.01)
        raise AssertionError(f"no {line_start!r} request; got {[r.line for r in self.requests]}")

    def count(self, line_start: str) -> int:
        return sum(r.line.startswith(line_start) for r in self.requests)

    def close(self) -> None:
        self._closed.set()
        for conn in [self._listener, *self._connections]:
            _close_quietly(conn)
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            while not self._closed.is_set() and self._one(conn, reader):
                pass
        except OSError:
            pass
        finally:
            _close_quietly(conn)

    def _one(self, conn: socket.socket, reader: BinaryIO) -> bool:
        head = b""
        while (line := reader.readline()) not in (b"\r\n", b""):
            head += line
        if not head:
            return False
        request = RawRequest(head)
        self.requests.append(request)
        if request.line.startswith(f"GET {PREFIX}/restore/next "):
            return self._restore(conn, request)
        if request.line.startswith("GET"):
            return self._next(conn, request)
        try:
            kept = self._read_body(conn, reader, request)
        except ConnectionResetError:
            request.reset, kept = True, False
        request.done.set()
        if kept:
            refused = self.refuse is not None and request.line.startswith(self.refuse)
            conn.sendall(REFUSED if refused else ACCEPTED)
        return kept

    def _next(self, conn: socket.socket, request: RawRequest) -> bool:
        request.done.set()
        while not self._closed.is_set():
            try:
                pushed = self._events.get(timeout=0.05)
            except queue.Empty:
                continue
            body = json.dumps(pushed.event).encode()
            headers = "".join(f"{k}: {v}\r\n" for k, v in pushed.headers.items())
            conn.sendall(
                f"HTTP/1.1 200 OK\r\n{headers}Content-Length: {len(body)}\r\n\r\n".encode() + body
            )
            return True
        return False

    def _restore(self, conn: socket.socket, request: RawRequest) -> bool:
        request.done.set()
        while not self._closed.is_set():
            if self.restored.wait(0.05):
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                return True
        return False

    def _read_body(self, conn: socket.socket, reader: BinaryIO, request: RawRequest) -> bool:
        if request.header("Transfer-Encoding") != "chunked":
            request.body = reader.read(int(request.header("Content-Length") or 0))
            return True
        index = 0
        while True:
            size_line = reader.readline()
            size = int(size_line, 16)
            data = reader.read(size + 2) if size else b""
            request.body += size_line + data
            if size == 0:
                while (line := reader.readline()) not in (b"\r\n", b""):
                    request.body += line
                request.body += line
                return True
            request.chunk_times.append(time.monotonic())
            if self.on_chunk:
                self.on_chunk(index)
            index += 1
            if index == self.stall_after:
                self._closed.wait(self.stall_s)
            if self.hang_up_after is not None and index >= self.hang_up_after:
                conn.shutdown(socket.SHUT_RDWR)
                return False


def _close_quietly(conn: socket.socket) -> None:
    # shutdown() first: close() alone does not wake a thread blocked in accept() or recv().
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)
    conn.close()


def parse_chunks(body: bytes) -> tuple[list[bytes], bytes]:
    """(each chunk's data, everything after the zero-length chunk's size line)."""
    chunks = []
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return chunks, body
        assert body[size : size + 2] == b"\r\n", "every chunk ends with CRLF"
        chunks.append(body[:size])
        body = body[size + 2 :]
