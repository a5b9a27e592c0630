"""``stream-chat serve`` as a subprocess on a free port, and a raw HTTP client that sees chunks.

The client reads the chunked framing itself, so a test can tell a stream that ended properly from
one that was cut off, and see each chunk the moment the server sent it.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.support.serve import ServeProcess, clean_env, running_serve

ROOT = Path(__file__).resolve().parents[2]
TOY = "tests.runtime.toy_handlers"


class Truncated(Exception):
    """The connection closed before the zero-length chunk."""


class StreamClient:
    """One request; ``head()`` then ``chunk()`` until it returns None (the proper end)."""

    def __init__(
        self,
        url: str,
        method: str,
        path: str,
        body: bytes = b"",
        *,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        host, port = url.removeprefix("http://").strip("/").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {host}:{port}",
            f"Content-Length: {len(body)}",
            "Content-Type: application/json",
        ]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        self.reader = self.sock.makefile("rb")
        self.status = 0
        self.headers: dict[str, str] = {}

    def head(self) -> tuple[int, dict[str, str]]:
        self.status = int(self.reader.readline().split()[1])
        while (line := self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            self.headers[name.strip().lower()] = value.strip()
        return self.status, self.headers

    def chunk(self) -> bytes | None:
        size_line = self.reader.readline()
        if not size_line:
            raise Truncated
        size = int(size_line, 16)
        data = self.reader.read(size + 2)
        if len(data) < size + 2:
            raise Truncated
        return data[:size] if size else None

    def chunks(self) -> Iterator[bytes]:
        while (data := self.chunk()) is not None:
            yield data

    def body(self) -> bytes:
        if "content-length" in self.headers:
            return self.reader.read(int(self.headers["content-length"]))
        return b"".join(self.chunks())

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


class Serve(ServeProcess):
    def request(self, method: str, path: str, payload: Any = None, **kw: Any) -> StreamClient:
        body = b"" if payload is None else json.dumps(payload).encode()
        return StreamClient(self.url, method, path, body, **kw)

    def workers(self, handler: str | None = None) -> set[int]:
        """Process ids of the runtime processes serve started (its children), of one function
        (by its ``_HANDLER``) if given."""
        found = children(self.process.pid)
        if handler is None:
            return found
        return {pid for pid in found if f"_HANDLER={handler}".encode() in environ(pid)}


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def environ(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


StartServe = Callable[..., Serve]


@pytest.fixture
def start_serve(tmp_path: Path) -> Iterator[StartServe]:
    """Start serve with the given options and env; stopped with SIGTERM at teardown, and checked
    to have exited cleanly and left no worker process behind."""
    started: list[Serve] = []
    with ExitStack() as stack:

        def start(*options: str, **env: str) -> Serve:
            log = tmp_path / f"serve-{len(started)}.log"
            full_env = clean_env(
                STREAM_CHAT_CANCEL_SQLITE_PATH=str(tmp_path / "cancel.sqlite3"), **env
            )
            running = stack.enter_context(running_serve(*options, env=full_env, log_path=log))
            serve = Serve(running.process, running.url, log)
            started.append(serve)
            return serve

        yield start
        for serve in started:
            workers = serve.workers()
            assert serve.stop() == 0, serve.output()
            assert not [pid for pid in workers if alive(pid)], "a worker outlived serve"


class RawResponse:
    """One response parsed from raw bytes: status, lowercase headers, the rest as the body."""

    def __init__(self, raw: bytes) -> None:
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status_line = lines[0]
        self.status = int(lines[0].split()[1]) if lines[0].startswith("HTTP/") else 0
        self.headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:])
        }

    def json(self) -> Any:
        return json.loads(self.body)


def exchange(url: str, data: bytes, *, half_close: bool = False, timeout: float = 10.0) -> bytes:
    """Send ``data`` as is and read until the server closes the connection."""
    host, port = url.removeprefix("http://").strip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = bytearray()
        while chunk := sock.recv(65536):
            received += chunk
    return bytes(received)


def host_of(url: str) -> str:
    return url.removeprefix("http://").strip("/")
