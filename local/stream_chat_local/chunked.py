"""Reading an HTTP/1.1 chunked streaming response body incrementally, as Lambda does.

The body is the JSON prelude up to 8 NUL bytes (found across any chunk boundaries), then the
function's chunks, each handed onward the moment it is complete, then optional trailers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from io import BufferedIOBase

from stream_chat_local.invocation import Chunk, Failed, Part, Prelude

DELIMITER = b"\0" * 8


def relay_chunks(rfile: BufferedIOBase, put: Callable[[Part], None]) -> tuple[bool, dict[str, str]]:
    """Hand each chunk onward as it completes; (whether the body ended properly, its trailers)."""
    head: bytearray | None = bytearray()  # the prelude until its delimiter, across chunk bounds
    while True:
        data = read_chunk(rfile)
        if data is None:
            return False, {}
        if not data:
            return True, read_trailers(rfile)
        if head is None:
            put(Chunk(data))
            continue
        head += data
        end = head.find(DELIMITER)
        if end >= 0:
            put(_prelude(bytes(head[:end])))
            if rest := bytes(head[end + len(DELIMITER) :]):
                put(Chunk(rest))
            head = None


def _prelude(raw: bytes) -> Prelude | Failed:
    try:
        metadata = json.loads(raw)
    except ValueError:
        metadata = None
    if not isinstance(metadata, dict):
        return Failed({"errorType": "Runtime.InvalidPrelude", "errorMessage": repr(raw[:200])})
    return Prelude(metadata)


def read_chunk(rfile: BufferedIOBase) -> bytes | None:
    """One chunk's data (b"" for the last chunk), or None if the connection broke first."""
    line = rfile.readline(1024)
    try:
        size = int(line.split(b";", 1)[0], 16)
    except ValueError:
        return None
    data = rfile.read(size + 2) if size else b""
    if size and (len(data) != size + 2 or not data.endswith(b"\r\n")):
        return None
    return data[:size]


def read_trailers(rfile: BufferedIOBase) -> dict[str, str]:
    trailers: dict[str, str] = {}
    while (line := rfile.readline(65536)) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        trailers[name.strip().lower()] = value.strip()
    return trailers
