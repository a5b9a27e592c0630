"""``stream-chat invoke EVENT``: run the handler on a function URL event, printing the stream live.

Like ``sam local invoke``, but streaming: each body chunk is written to stdout the moment the
handler produces it. Logs go to stderr so that stdout is exactly the response body. The event's
path picks the function as CloudFront does: a cancel goes to the cancel function, whose buffered
response body is printed whole.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from stream_chat.routes import is_cancel_route
from stream_chat.runtime.context import LambdaContext


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("event", type=Path, help="function URL event (payload 2.0) JSON file")
    parser.add_argument(
        "--timeout", type=float, default=180.0, help="function timeout in seconds (default: 180)"
    )
    parser.add_argument("--quiet", action="store_true", help="print the body only")


def run(args: argparse.Namespace) -> int:
    event: dict[str, Any] = json.loads(args.event.read_text(encoding="utf-8"))
    note = sys.stderr if not args.quiet else None
    if is_cancel_route(str(event.get("rawPath", ""))):
        return _cancel(event, note, args.timeout)
    _logs_to_stderr()
    from stream_chat.handler import FUNCTION, lambda_handler

    _say(note, f"provider: {FUNCTION.settings.provider}, timeout: {args.timeout:g} s")
    context = LambdaContext.local(str(uuid.uuid4()), args.timeout)
    started = time.monotonic()
    response = lambda_handler(event, context)
    _say(note, f"HTTP {response.status_code} {json.dumps(dict(response.headers))}")
    chunks = first = 0.0
    out = sys.stdout.buffer
    body = iter(response.body)
    try:
        for chunk in body:
            first = first or time.monotonic() - started
            chunks += 1
            out.write(chunk)
            out.flush()
    finally:  # on Ctrl-C too: closing the body aborts the upstream request
        getattr(body, "close", lambda: None)()
    total = time.monotonic() - started
    _say(note, f"{chunks:g} chunks, first after {first * 1000:.0f} ms, total {total:.2f} s")
    return 0 if response.status_code < 400 else 1


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
