"""A strict reader of protocol v1 streams for tests: it checks the exact frame format.

Fed bytes in arbitrary pieces (split anywhere, even inside a UTF-8 character), it yields the
frames' JSON data in order, asserting ids count from 1, ``event`` equals the JSON ``type``, and
LF-only line endings. Heartbeat comments are counted, not yielded.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Iterator
from typing import Any

HEARTBEAT = ": ping"


class ProtocolReader:
    def __init__(self, first_id: int = 1) -> None:
        """``first_id``: the id the first frame must have (a resumed stream's is above 1)."""
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._buffer = ""
        self._next_id = first_id
        self.heartbeats = 0
        self.frames: list[dict[str, Any]] = []

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        self._buffer += self._decoder.decode(chunk)
        assert "\r" not in self._buffer, "protocol v1 uses LF line endings only"
        found: list[dict[str, Any]] = []
        while "\n\n" in self._buffer:
            block, self._buffer = self._buffer.split("\n\n", 1)
            frame = self._frame(block)
            if frame is not None:
                found.append(frame)
        self.frames.extend(found)
        return found

    def close(self) -> None:
        self._decoder.decode(b"", final=True)
        assert self._buffer == "", f"stream ended inside a frame: {self._buffer!r}"

    def _frame(self, block: str) -> dict[str, Any] | None:
        if block == HEARTBEAT:
            self.heartbeats += 1
            return None
        lines = block.split("\n")
        assert len(lines) == 3, f"a frame is id, event and one data line: {block!r}"
        assert lines[0] == f"id: {self._next_id}", f"expected id {self._next_id}: {lines[0]!r}"
        assert lines[1].startswith("event: "), lines[1]
        assert lines[2].startswith("data: "), lines[2]
        data: dict[str, Any] = json.loads(lines[2][len("data: ") :])
        assert data["type"] == lines[1][len("event: ") :], block
        self._next_id += 1
        return data


def read_frames(chunks: Iterable[bytes]) -> list[dict[str, Any]]:
    reader = ProtocolReader()
    for chunk in chunks:
        reader.feed(chunk)
    reader.close()
    return reader.frames


def iter_frames(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    reader = ProtocolReader()
    for chunk in chunks:
        yield from reader.feed(chunk)
    reader.close()


def text_of(frames: Iterable[dict[str, Any]]) -> str:
    return "".join(frame["text"] for frame in frames if frame["type"] == "text")


def types_of(frames: Iterable[dict[str, Any]]) -> list[str]:
    return [frame["type"] for frame in frames]
