"""``stream-chat smoke URL``: send one chat through a deployed site and prove it streams.

It posts like the page does (JSON body plus its ``x-amz-content-sha256``; CloudFront signs the
rest), reads the server-sent events as they arrive and reports when they arrived. A stream that
arrives all at once means something between the function and here buffers it.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import itertools
import json
import os
import socket
import statistics
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from stream_chat_local.sse_reader import SseEvent, SseReader

STREAM_PATH = "/api/chat/stream"
DEFAULT_MESSAGE = "Count from 1 to 30, one number per line, and write nothing else."
READ_SIZE = 64 * 1024
ERROR_BODY_LIMIT = 64 * 1024
CANCEL_TIMEOUT_S = 10.0
TOKEN_ENV = "STREAM_CHAT_TOKEN"  # noqa: S105  # the name of a variable, not a secret


@dataclass
class Report:
    """What one smoke run measured; times are in seconds from opening the connection."""

    url: str
    status: int = 0
    content_type: str = ""
    ttfb_s: float | None = None
    first_text_s: float | None = None
    frames: int = 0
    pings: int = 0
    reads_with_frames: int = 0
    gap_p50_s: float | None = None
    gap_max_s: float | None = None
    spread_s: float = 0.0
    total_s: float = 0.0
    text_chars: int = 0
    stream_id: str | None = None
    stop_reason: str | None = None
    error: str | None = None
    incremental: bool = False
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Arrival:
    at_s: float
    read: int
    event: SseEvent


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", help="the site, e.g. https://d111111abcdef8.cloudfront.net")
    parser.add_argument("--message", default=DEFAULT_MESSAGE, help="what to ask")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after (s)")
    parser.add_argument(
        "--min-spread",
        type=float,
        default=0.1,
        help="frames arriving within this many seconds count as all at once",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV),
        help=f"a signed-in user's access token, sent as X-Authorization (default ${TOKEN_ENV})",
    )


def run(args: argparse.Namespace) -> int:
    report = smoke(
        args.url,
        message=args.message,
        timeout_s=args.timeout,
        min_spread_s=args.min_spread,
        token=args.token,
    )
    print(json.dumps(asdict(report), indent=2) if args.json else render(report))
    return 1 if report.problems else 0


def smoke(
    url: str, *, message: str, timeout_s: float, min_spread_s: float, token: str | None = None
) -> Report:
    """POST one chat to ``url`` + ``/api/chat/stream`` and judge how its stream arrived."""
    body = json.dumps({"messages": [{"role": "user", "content": message}]}).encode()
    report = Report(url=url.rstrip("/") + STREAM_PATH)
    arrivals: list[_Arrival] = []
    reader = SseReader()
    try:
        _exchange(report, body, timeout_s, reader, arrivals, token=token)
    except TimeoutError:
        report.problems.append(f"gave up after {timeout_s:g} s")
    except (OSError, http.client.HTTPException) as exc:
        report.problems.append(f"connection failed: {exc!r}")
    report.pings = reader.comments
    _summarise(report, arrivals, min_spread_s)
    if report.stream_id and report.stop_reason is None:
        _cancel(report, CANCEL_TIMEOUT_S, token)
    return report


def _exchange(
    report: Report,
    body: bytes,
    timeout_s: float,
    reader: SseReader,
    arrivals: list[_Arrival],
    *,
    token: str | None,
) -> None:
    connection = _connection(report.url, timeout_s)
    started = time.monotonic()
    try:
        connection.connect()
        sock = connection.sock
        response = _post(connection, urllib.parse.urlsplit(report.url).path, body, token)
        report.ttfb_s = time.monotonic() - started
        report.status = response.status
        report.content_type = response.getheader("content-type", "")
        if response.status != 200 or not report.content_type.startswith("text/event-stream"):
            report.problems.append(_refusal(response))
            return
        for arrival in _read_frames(response, sock, started, started + timeout_s, reader):
            arrivals.append(arrival)
    finally:
        report.total_s = time.monotonic() - started
        connection.close()


def _read_frames(
    response: http.client.HTTPResponse,
    sock: socket.socket,
    started: float,
    deadline: float,
    reader: SseReader,
) -> Iterator[_Arrival]:
    """Each event as its last byte arrives, with the number of the read that brought it."""
    for read in itertools.count(1):
        if (remaining := deadline - time.monotonic()) <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        # read1 returns what one receive brought, so the arrival times are the network's.
        chunk = response.read1(READ_SIZE)
        at_s = time.monotonic() - started
        for event in reader.feed(chunk) if chunk else reader.close():
            yield _Arrival(at_s, read, event)
        if not chunk:
            return


def _connection(url: str, timeout_s: float) -> http.client.HTTPConnection:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OSError(f"not an http(s) URL: {url}")
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout_s)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)


def _post(
    connection: http.client.HTTPConnection, path: str, body: bytes, token: str | None
) -> http.client.HTTPResponse:
    # OAC replaces Authorization with its signature, so the token travels in X-Authorization.
    signed_in = {"x-authorization": f"Bearer {token}"} if token else {}
    connection.request(
        "POST",
        path,
        body=body,
        headers={
            "content-type": "application/json",
            "accept": "text/event-stream",
            # CloudFront's OAC signs the request for Lambda, which does not take unsigned bodies.
            "x-amz-content-sha256": hashlib.sha256(body).hexdigest(),
            **signed_in,
        },
    )
    return connection.getresponse()


def _cancel(report: Report, timeout_s: float, token: str | None) -> None:
    """Cancel a stream we stopped reading: Lambda would finish it, and bill for it, otherwise."""
    url = f"{report.url}/{report.stream_id}/cancel"
    try:
        connection = _connection(url, timeout_s)
        try:
            path = urllib.parse.urlsplit(url).path
            _post(connection, path, b"", token).read(ERROR_BODY_LIMIT)
        finally:
            connection.close()
    except (OSError, http.client.HTTPException) as exc:
        report.problems.append(f"could not cancel stream {report.stream_id}: {exc!r}")


def _refusal(response: http.client.HTTPResponse) -> str:
    text = response.read(ERROR_BODY_LIMIT).decode("utf-8", "replace")
    try:
        detail = json.loads(text).get("error", {})
        text = f"{detail.get('code')}: {detail.get('message')}" if detail else text
    except (ValueError, AttributeError):
        pass
    hint = (
        " (Lambda refused CloudFront's signature: check the OAC, both invoke permissions "
        "and the x-amz-content-sha256 header)"
        if response.status == 403
        else f" (sign-in is on: pass a user's access token with --token or ${TOKEN_ENV})"
        if response.status == 401
        else ""
    )
    return f"HTTP {response.status} {response.getheader('content-type', '')}: {text}{hint}"


def _summarise(report: Report, arrivals: list[_Arrival], min_spread_s: float) -> None:
    for arrival in arrivals:
        _absorb(report, arrival)
    report.frames = len(arrivals)
    times = [arrival.at_s for arrival in arrivals]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    if gaps:
        report.gap_p50_s, report.gap_max_s = statistics.median(gaps), max(gaps)
    report.spread_s = times[-1] - times[0] if times else 0.0
    report.reads_with_frames = len({arrival.read for arrival in arrivals})
    if report.status != 200 or report.problems:
        return
    if report.error:
        report.problems.append(f"error frame: {report.error}")
    if report.stop_reason is None:
        report.problems.append("the stream ended without a done frame: it is incomplete")
    report.incremental = report.reads_with_frames >= 2 and report.spread_s >= min_spread_s
    if not report.incremental:
        report.problems.append(
            f"all {report.frames} frames arrived at once ({report.reads_with_frames} read(s) "
            f"within {report.spread_s:.3f} s): something between the function and here buffers"
        )


def _absorb(report: Report, arrival: _Arrival) -> None:
    try:
        data = json.loads(arrival.event.data)
    except ValueError:
        report.error = report.error or f"unparseable frame data: {arrival.event.data[:80]!r}"
        return
    kind = arrival.event.event
    if kind == "start":
        report.stream_id = data.get("stream_id")
    elif kind == "text":
        report.text_chars += len(data.get("text", ""))
        if report.first_text_s is None:
            report.first_text_s = arrival.at_s
    elif kind == "error":
        report.error = f"{data.get('code')}: {data.get('message')}"
    elif kind == "done":
        report.stop_reason = data.get("stop_reason")


def render(report: Report) -> str:
    """The report as aligned lines for a terminal, ending with the verdict."""
    lines = [
        f"POST {report.url}",
        f"status        {report.status} {report.content_type}",
        f"ttfb          {_seconds(report.ttfb_s)}",
        f"first text    {_seconds(report.first_text_s)}",
        f"frames        {report.frames} ({report.pings} pings, {report.text_chars} characters)",
        f"gap p50/max   {_seconds(report.gap_p50_s)} / {_seconds(report.gap_max_s)}",
        f"total         {_seconds(report.total_s)}",
        f"done          {report.stop_reason or 'no'}",
        f"incremental   {'yes' if report.incremental else 'no'} ({report.reads_with_frames} "
        f"reads with frames over {report.spread_s:.3f} s)",
    ]
    lines += [f"FAIL: {problem}" for problem in report.problems]
    if not report.problems:
        lines.append("OK: the answer streamed incrementally")
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} s"


if __name__ == "__main__":
    cli = argparse.ArgumentParser(prog="stream-chat smoke")
    add_arguments(cli)
    sys.exit(run(cli.parse_args()))
