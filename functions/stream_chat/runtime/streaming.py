"""One streamed ``POST …/invocation/{id}/response``: HTTP/1.1 chunked, written straight to a socket.

https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming

The body is the JSON prelude and 8 NUL bytes (one chunk), then every body part the handler yields
as a chunk of its own. There is no buffering layer: each chunk is one ``sendall`` of size line,
data and CRLF together on a TCP_NODELAY socket, so it leaves the moment it is produced (two
writes per chunk would let Nagle hold the second one back for a delayed ACK). An error after the
first byte travels in real trailers, declared up front, after the zero-length chunk.

Every write, and the wait for Lambda's answer, is bounded by a deadline (the invocation's, less a
reserve for cleanup). A write that cannot complete by then means the reader has stalled: the
response cannot be finished any more (a half-sent chunk leaves no room for trailers), so it is
aborted with a TCP reset and ``WriteTimeout`` is raised.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import socket
import struct
import time
from collections.abc import Mapping
from typing import Any

from stream_chat.runtime.api import ERROR_TYPE, PREFIX, RuntimeApiError, split_address
from stream_chat.runtime.context import INVOCATION_ID

ERROR_BODY = "Lambda-Runtime-Function-Error-Body"
PRELUDE_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"
DELIMITER = b"\0" * 8


class WriteTimeout(RuntimeApiError):
    """The response could not be written before the deadline: its reader has stalled."""


class ResponseStream:
    """Write one streamed response; every failure to write raises ``RuntimeApiError``."""

    def __init__(
        self, address: str, request_id: str, invocation_id: str | None, deadline: float
    ) -> None:
        self._head = _request_head(address, request_id, invocation_id)
        self._deadline = deadline  # time.time() by which every write must be done
        try:
            self._sock = socket.create_connection(split_address(address), self._remaining())
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as exc:
            raise RuntimeApiError(f"cannot connect to the Runtime API: {exc!r}") from exc

    def start(self, metadata: bytes) -> None:
        """Send the request head and the prelude chunk together: status and headers go out now."""
        self._send(self._head + _chunk(metadata))

    def write(self, data: bytes) -> None:
        # A zero-length chunk would end the body: an empty part is simply nothing to send.
        if data:
            self._send(_chunk(data))

    def finish(self, diagnostic: Mapping[str, Any] | None = None) -> int:
        """End the body (with error trailers if given), read Lambda's answer, close the socket."""
        trailers = b"" if diagnostic is None else _error_trailers(diagnostic)
        try:
            self._send(b"0\r\n" + trailers + b"\r\n")
            self._sock.settimeout(self._remaining())
            response = http.client.HTTPResponse(self._sock, method="POST")
            response.begin()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException) as exc:
            raise RuntimeApiError(f"reading the /response answer: {exc!r}") from exc
        finally:
            self.close()

    def close(self) -> None:
        # The documented contract: close the connection once the response is written.
        self._sock.close()

    def abort(self) -> None:
        """Reset the connection: what was queued is dropped, the response is not complete."""
        with contextlib.suppress(OSError):  # already broken: close() is all that is left
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._sock.close()

    def _send(self, data: bytes) -> None:
        try:
            # sendall's timeout bounds the whole call, not each partial send.
            self._sock.settimeout(self._remaining())
            self._sock.sendall(data)
        except TimeoutError as exc:
            raise WriteTimeout(f"the response reader stalled until the deadline: {exc!r}") from exc
        except OSError as exc:
            raise RuntimeApiError(f"writing the response stream: {exc!r}") from exc

    def _remaining(self) -> float:
        remaining = self._deadline - time.time()
        if remaining <= 0:
            raise WriteTimeout("the deadline for writing the response has passed")
        return remaining


def encode_prelude(prelude: Mapping[str, Any]) -> bytes:
    """The prelude chunk: compact JSON ``{statusCode, headers, cookies}`` and the delimiter."""
    return json.dumps(prelude, separators=(",", ":")).encode() + DELIMITER


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


def _request_head(address: str, request_id: str, invocation_id: str | None) -> bytes:
    lines = [
        f"POST {PREFIX}/invocation/{request_id}/response HTTP/1.1",
        f"Host: {address}",
        "Lambda-Runtime-Function-Response-Mode: streaming",
        "Transfer-Encoding: chunked",
        f"Content-Type: {PRELUDE_CONTENT_TYPE}",
        f"Trailer: {ERROR_TYPE}, {ERROR_BODY}",
    ]
    if invocation_id:
        lines.append(f"{INVOCATION_ID.title()}: {invocation_id}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _error_trailers(diagnostic: Mapping[str, Any]) -> bytes:
    error_type = _header_safe(str(diagnostic["errorType"]))
    body = base64.b64encode(json.dumps(diagnostic).encode()).decode("ascii")
    return f"{ERROR_TYPE}: {error_type}\r\n{ERROR_BODY}: {body}\r\n".encode("latin-1")


def _header_safe(value: str) -> str:
    return "".join(ch for ch in value if 32 <= ord(ch) < 127) or "Unhandled"
