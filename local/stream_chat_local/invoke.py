"""``stream-chat invoke EVENT``: run the handler on a function URL event, printing the stream live.

Like ``sam local invoke``, but streaming: each body chunk is written to stdout the moment the
handler produces it. Logs and metric documents go to stderr so that stdout is exactly the
response body. The event's path picks the function as CloudFront does: a cancel goes to the
cancel function, whose buffered response body is printed whole, and a resume
(``GET /api/chat/stream/{stream_id}``) to the resume function, which streams the journaled
answer. The event is passed to the
handler as given, as Lambda passes it; a file that is not a JSON object is refused with one line
and exit status 2. Cancels and the journal go to throw-away SQLite files unless a store is
configured (``STREAM_CHAT_JOURNAL_SQLITE_PATH`` set for both runs: a resume follows an answer
an earlier ``invoke`` wrote).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from stream_chat.routes import is_cancel_route, is_resume_route
from stream_chat.runtime.context import LambdaContext
from stream_chat.runtime.entry import LambdaEntry
from stream_chat.settings import ENV
from stream_chat_local.scratch import scratch_directory

USAGE_ERROR = 2


class EventFileError(Exception):
    """The event file cannot be a function URL event; the message names why."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("event", type=Path, help="function URL event (payload 2.0) JSON file")
    parser.add_argument(
        "--timeout", type=float, default=180.0, help="function timeout in seconds (default: 180)"
    )
    parser.add_argument("--quiet", action="store_true", help="print the body only")


def run(args: argparse.Namespace) -> int:
    try:
        event = load_event(args.event)
    except EventFileError as exc:
        print(f"stream-chat invoke: {args.event}: {exc}", file=sys.stderr)
        return USAGE_ERROR
    with scratch_directory() as scratch:
        if not os.environ.get(ENV["cancel_backend"]) and not os.environ.get(
            ENV["cancel_sqlite_path"]
        ):
            os.environ[ENV["cancel_sqlite_path"]] = str(scratch / "cancel.sqlite3")
        if not os.environ.get(ENV["journal_backend"]) and not os.environ.get(
            ENV["journal_sqlite_path"]
        ):
            os.environ[ENV["journal_sqlite_path"]] = str(scratch / "journal.sqlite3")
        if is_cancel_route(str(event.get("rawPath", ""))):
            return _cancel(event, None if args.quiet else sys.stderr, args.timeout)
        return _invoke(event, args)


def load_event(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; EventFileError naming what is wrong with the file."""
    text = _read_text(path)
    if not text.strip():
        raise EventFileError("is empty; it must hold a function URL event (a JSON object)")
    try:
        event = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise EventFileError(f"is not JSON: {exc.msg} at {where}") from None
    if not isinstance(event, dict):
        kinds = {list: "an array", str: "a string", type(None): "null", bool: "a boolean"}
        found = kinds.get(type(event), "a number")
        raise EventFileError(f"holds {found}; a function URL event is a JSON object")
    return event


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise EventFileError("no such file") from None
    except IsADirectoryError:
        raise EventFileError("is a directory, not an event file") from None
    except OSError as exc:
        raise EventFileError(f"cannot be read ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EventFileError(f"is not UTF-8 text (byte {exc.start})") from None


def _invoke(event: dict[str, Any], args: argparse.Namespace) -> int:
    note = sys.stderr if not args.quiet else None
    _logs_to_stderr()
    lambda_handler = _streaming_entry(str(event.get("rawPath", "")))
    function = lambda_handler.init()
    _say(note, f"provider: {function.settings.provider}, timeout: {args.timeout:g} s")
    context = LambdaContext.local(str(uuid.uuid4()), args.timeout)
    out = sys.stdout.buffer
    started = time.monotonic()
    # The function prints its metric documents (EMF): on Lambda stdout is the log, here the body.
    with contextlib.redirect_stdout(sys.stderr):
        response = lambda_handler(event, context)
        _say(note, f"HTTP {response.status_code} {json.dumps(dict(response.headers))}")
        first, chunks = _relay(response.body, out, started)
    total = time.monotonic() - started
    _say(note, f"{chunks:g} chunks, first after {first * 1000:.0f} ms, total {total:.2f} s")
    return 0 if response.status_code < 400 else 1


def _streaming_entry(path: str) -> LambdaEntry[Any]:
    """The streaming function's entry, or the resume function's for a resume path."""
    if is_resume_route(path):
        from stream_chat.resume_handler import lambda_handler as resume

        return resume
    from stream_chat.handler import lambda_handler as chat

    return chat


def _relay(body: Iterable[bytes], out: BinaryIO, started: float) -> tuple[float, float]:
    """Write each chunk as it comes; returns (seconds to the first chunk, chunk count)."""
    chunks = first = 0.0
    iterator = iter(body)
    try:
        for chunk in iterator:
            first = first or time.monotonic() - started
            chunks += 1
            out.write(chunk)
            out.flush()
    finally:  # on Ctrl-C too: closing the body aborts the upstream request
        getattr(iterator, "close", lambda: None)()
    return first, chunks


def _cancel(event: dict[str, Any], note: Any, timeout_s: float) -> int:
    """The cancel function: its log lines to stderr, its buffered response's body to stdout."""
    with contextlib.redirect_stdout(sys.stderr):
        from stream_chat.cancel_handler import lambda_handler

        _say(note, f"cancel function, timeout: {timeout_s:g} s")
        result = lambda_handler(event, LambdaContext.local(str(uuid.uuid4()), timeout_s))
    _say(note, f"HTTP {result['statusCode']} {json.dumps(result.get('headers', {}))}")
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0 if result["statusCode"] < 400 else 1


def _logs_to_stderr() -> None:
    # Powertools' Logger writes to stdout; stdout here is the response body. The first Logger
    # of a service sets up its handler; the function's own Loggers then share it.
    from aws_lambda_powertools import Logger

    Logger(service="stream-chat", stream=sys.stderr)


def _say(stream: Any, text: str) -> None:
    if stream is not None:
        print(f"# {text}", file=stream, flush=True)
