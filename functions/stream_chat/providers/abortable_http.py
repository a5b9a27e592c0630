"""The SDK's HTTP client, with connections that one request attempt can shut down at any moment.

Closing an httpx response from another thread does not wake a ``recv`` blocked on its socket,
and until ``messages.create()`` returns there is no response to close at all. So the client's
network backend gives every socket it opens, and every pooled one it reuses, to the ``Attempt``
running in the thread that does the I/O; ``Attempt.abort()`` shuts those sockets down from any
thread: a blocked read returns at once and the provider sees the connection end (FIN).

An attempt aborted before its request is sent fails its first connect, read or write at once, so
the request never reaches the provider. A TCP connect or TLS handshake already in progress has
no socket to shut down yet: it ends within the connect timeout and the request is not sent.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import anthropic
import httpcore2
import httpx2

from stream_chat.providers.sdk_internals import wrap_network_backend

_current: ContextVar[Attempt | None] = ContextVar("stream_chat_attempt", default=None)

# The SDK's own keepalive settings, which it applies only to the client it builds itself.
_KEEPALIVE = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)] + [
    (socket.IPPROTO_TCP, option, value)
    for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 60), ("TCP_KEEPCNT", 5))
    if (option := getattr(socket, name, None)) is not None
]


# How long an idle pooled connection is kept for the next answer. httpx's default (5 s) would
# reuse it only for answers seconds apart, while a reader's next question usually comes later.
# The API's edge (Cloudflare) closes idle client connections after 400 s; 60 s stays far below
# that, so a kept connection is rarely one the edge is closing just then, and a connection the
# edge did close is seen as readable at checkout and replaced (httpcore's ``has_expired``).
KEEPALIVE_EXPIRY_S = 60.0


def abortable_client() -> httpx2.Client:
    """An httpx client for ``anthropic.Anthropic(http_client=...)``, with the SDK's defaults."""
    limits = anthropic.DEFAULT_CONNECTION_LIMITS
    transport = httpx2.HTTPTransport(
        limits=httpx2.Limits(
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=KEEPALIVE_EXPIRY_S,
        ),
        socket_options=_KEEPALIVE,
    )
    # httpx takes no network backend of its own: its connection pool does.
    wrap_network_backend(transport, _AttemptBackend)
    return _Client(transport=transport)


class _Client(anthropic.DefaultHttpxClient):
    """Closes its pooled connections when dropped, as the client the SDK builds itself does."""

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


class Attempt:
    """The connections of one upstream request: ``abort()`` ends them, ``release()`` keeps them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: set[_AttemptStream] = set()
        self._aborted = False
        self._released = False

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Within the block, the I/O this thread does through the client belongs to the attempt."""
        previous = _current.get()
        _current.set(self)
        try:
            yield
        finally:
            _current.set(previous)

    def abort(self) -> None:
        """Shut the attempt's sockets down now; its later I/O fails (idempotent, any thread)."""
        with self._lock:
            if self._released:
                return
            self._aborted = True
            for stream in self._streams:
                stream.shut_down()
            self._streams.clear()

    def release(self) -> None:
        """The answer is complete: its connection may return to the pool, untouched by abort."""
        with self._lock:
            self._released = True
            self._streams.clear()

    @property
    def aborted(self) -> bool:
        return self._aborted

    def _adopt(self, stream: _AttemptStream) -> None:
        with self._lock:
            if not self._released and not self._aborted:
                self._streams.add(stream)

    def _drop(self, stream: _AttemptStream) -> None:
        with self._lock:
            self._streams.discard(stream)


class _AttemptStream(httpcore2.NetworkStream):
    """A connection's stream, owned by whichever attempt last used it."""

    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner
        self._attempt: Attempt | None = None

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.join_current(httpcore2.ReadError)
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.join_current(httpcore2.WriteError)
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        # Forgotten first, under the attempt's lock: abort never shuts a socket being closed.
        if self._attempt is not None:
            self._attempt._drop(self)
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.NetworkStream:
        self.join_current(httpcore2.ConnectError)
        if self._attempt is not None:  # the TLS socket takes this one's place
            self._attempt._drop(self)
        return _joined(_AttemptStream(self._inner.start_tls(ssl_context, server_hostname, timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)

    def join_current(self, error: type[httpcore2.NetworkError]) -> None:
        """Move to the running attempt, if it changed; raise ``error`` if that was aborted.

        The socket is shut down too: after a failed write httpcore still reads the response.
        """
        attempt = _current.get()
        if attempt is not self._attempt:
            if self._attempt is not None:
                self._attempt._drop(self)
            self._attempt = attempt
            if attempt is not None:
                attempt._adopt(self)
        if attempt is not None and attempt.aborted:
            self.shut_down()
            raise error("The upstream request was aborted.")

    def shut_down(self) -> None:
        sock = self._inner.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # already closed by the other side
                # The plain socket call even for an SSLSocket, whose own shutdown() would also
                # drop its TLS state under the thread still reading it.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _AttemptBackend(httpcore2.NetworkBackend):
    def __init__(self, inner: httpcore2.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        _refuse_if_aborted()
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _joined(_AttemptStream(stream))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _refuse_if_aborted() -> None:
    attempt = _current.get()
    if attempt is not None and attempt.aborted:
        raise httpcore2.ConnectError("The upstream request was aborted.")


def _joined(stream: _AttemptStream) -> _AttemptStream:
    """``stream``, joined to the running attempt; closed with ConnectError if that was aborted."""
    try:
        stream.join_current(httpcore2.ConnectError)
    except httpcore2.ConnectError:
        stream.close()
        raise
    return stream
