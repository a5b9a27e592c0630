"""Server-sent events wire format (WHATWG HTML, "Server-sent events"). Pure: no I/O.

Frames are ``id: <n>\\nevent: <type>\\ndata: <json>\\n\\n``. The JSON is compact and keeps
non-ASCII characters as UTF-8; ``json.dumps`` escapes CR and LF, so one frame is always one
``data:`` line. U+2028/U+2029 are not SSE line terminators, so they pass through as they are.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Iterator, Mapping

from stream_chat.protocol.frames import Frame

HEADERS: Mapping[str, str] = {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
}

HEARTBEAT = b": ping\n\n"

_REPLACE = "stream-chat-replacement"


def _replace_unencodable(error: UnicodeError) -> tuple[str | bytes, int]:
    assert isinstance(error, UnicodeEncodeError)  # registered for encoding only
    # The encoder hands over a whole run of unencodable characters at once; each one of them
    # gets its own U+FFFD, so a reader can still tell how many there were. The replacement goes
    # as bytes: an error handler's text must be ASCII for the UTF-8 encoder.
    return "\ufffd".encode() * (error.end - error.start), error.end


codecs.register_error(_REPLACE, _replace_unencodable)


class Heartbeat:
    """Marker in a frame stream: nothing was sent for a heartbeat interval."""

    __slots__ = ()


HEARTBEAT_MARK = Heartbeat()


def encode_frame(frame_id: int, frame: Frame) -> bytes:
    """One complete SSE frame, named by the frame's type."""
    payload = json.dumps(frame.data(), ensure_ascii=False, separators=(",", ":"))
    text = f"id: {frame_id}\nevent: {frame.kind}\ndata: {payload}\n\n"
    # A lone surrogate cannot be UTF-8: U+FFFD in its place keeps the frame valid.
    return text.encode("utf-8", _REPLACE)


def encode_unnumbered(frame: Frame) -> bytes:
    """A frame without an ``id:`` line: one that is no part of the answer's numbered frames (a
    resume's own ending), so a client's last id never moves past the answer's."""
    return encode_frame(0, frame).split(b"\n", 1)[1]


def encode_frames(frames: Iterable[Frame | Heartbeat]) -> Iterator[bytes]:
    """Number frames from 1 and encode them; heartbeats become comments."""
    frame_id = 0
    for frame in frames:
        if isinstance(frame, Heartbeat):
            yield HEARTBEAT
            continue
        frame_id += 1
        yield encode_frame(frame_id, frame)
