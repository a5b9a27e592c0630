"""What the function writes to stdout (the log on Lambda): log lines and EMF documents."""

from __future__ import annotations

import io
import json
import logging
import sys
from typing import Any

import pytest

SERVICE = "stream-chat"


class CurrentStdout(io.TextIOBase):
    """Whatever ``sys.stdout`` is at the time of the write (pytest swaps it per test phase)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


class Output:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self._text = ""

    def text(self) -> str:
        self._text += self._capsys.readouterr().out
        return self._text

    def lines(self) -> list[dict[str, Any]]:
        """Every line, each of which must be one JSON object."""
        parsed = []
        for line in self.text().splitlines():
            document = json.loads(line)
            assert isinstance(document, dict), line
            parsed.append(document)
        return parsed

    def documents(self) -> list[dict[str, Any]]:
        """The EMF documents."""
        return [line for line in self.lines() if "_aws" in line]

    def logs(self, message: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("message") == message]


def capture(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Output:
    """Everything written to stdout from now on, by print (EMF) or by the Powertools Logger.

    The Logger's handler keeps the stream it was created with: it is pointed at stdout as it is.
    """
    handlers = [
        handler
        for handler in logging.getLogger(SERVICE).handlers
        if isinstance(handler, logging.StreamHandler)
    ]
    assert handlers, "the function's Logger should have set up its handler"
    for handler in handlers:
        monkeypatch.setattr(handler, "stream", CurrentStdout())
    return Output(capsys)
