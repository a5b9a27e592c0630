"""An incremental server-sent events parser (WHATWG HTML, "Parsing an event stream"). Pure: no I/O.

Feed it bytes as they arrive, split anywhere (inside a line, a CRLF pair or a UTF-8 character);
it returns each event once its terminating blank line has arrived.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# Only CRLF, LF and CR end a line (not U+2028 and the others ``str.splitlines`` knows). A CR at
# the very end may be the first half of a CRLF, so it waits for the next chunk.
_LINE_END = re.compile(r"\r\n|\r(?=.)|\n", re.DOTALL)


@dataclass(frozen=True)
class SseEvent:
    event: str
    data: str
    id: str | None = None


class SseReader:
    """Turns a byte stream into ``SseEvent``s; counts comments (heartbeats) in ``comments``."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._started = False
        self._event = ""
        self._data: list[str] = []
        self._last_id: str | None = None
        self.comments = 0

    def feed(self, chunk: bytes) -> list[SseEvent]:
        text = self._pending + self._decoder.decode(chunk)
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        events = []
        start = 0
        for end in _LINE_END.finditer(text):
            event = self._line(text[start : end.start()])
            start = end.end()
            if event is not None:
                events.append(event)
        self._pending = text[start:]
        return events

    def close(self) -> list[SseEvent]:
        """The end of the stream: a final lone CR did end its line; an unfinished event is lost."""
        events = self.feed(b"")
        if self._pending.endswith("\r"):
            event = self._line(self._pending[:-1])
            events += [event] if event is not None else []
        self._pending = ""
        return events

    def _line(self, line: str) -> SseEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            self.comments += 1
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._last_id = value
        return None

    def _dispatch(self) -> SseEvent | None:
        event, data = self._event or "message", self._data
        self._event, self._data = "", []
        if not data:
            return None
        return SseEvent(event=event, data="\n".join(data), id=self._last_id)
