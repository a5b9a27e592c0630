"""``stream-chat smoke`` against a local site that streams, buffers, breaks or refuses; and its
SSE reader.

The site is a real HTTP server on 127.0.0.1 that checks ``x-amz-content-sha256`` like Lambda
behind OAC does, and sends frames made by the function's own encoder.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from stream_chat.protocol.frames import Done, Error, Frame, Start, Text, Usage
from stream_chat.protocol.sse import HEARTBEAT_MARK, Heartbeat, encode_frames
from stream_chat_local import cli
from stream_chat_local.sse_reader import SseEvent, SseReader

FRAME_DELAY_S = 0.03
STREAM_ID = "Jq3abcdefghijklmnopqrstu"
ANSWER = [f"{n}\n" for n in range(1, 11)]


def frames(ending: str) -> list[bytes]:
    """Encoded frames of one answer; ``ending`` is ``done``, ``error`` or ``cut``."""
    events: list[Frame | Heartbeat] = [Start(STREAM_ID, "demo")]
    events += [Text(piece) for piece in ANSWER]
    events.insert(3, HEARTBEAT_MARK)
    if ending == "error":
        events.append(Error("stall_timeout", "stalled", retryable=True))
    if ending != "cut":
        events.append(Usage(input_tokens=9, output_tokens=10))
        events.append(Done("error" if ending == "error" else "end_turn"))
    return list(encode_frames(events))


class Site(BaseHTTPRequestHandler):
    """The first path segment picks the behaviour: /<mode>/api/chat/stream."""

    protocol_version = "HTTP/1.1"
    server: SiteServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.headers.get("x-amz-content-sha256") != hashlib.sha256(body).hexdigest():
            self._json(HTTPStatus.FORBIDDEN, {"Message": "Forbidden"})
            return
        mode, _, route = self.path.lstrip("/").partition("/")
        if route.endswith("/cancel"):
            self.server.cancelled.append(route.split("/")[-2])
            self._json(HTTPStatus.ACCEPTED, {"cancelled": True})
            return
        self.server.requests.append(json.loads(body))
        self.server.tokens.append(self.headers.get("x-authorization"))
        if mode == "unauthorized":
            self._json(
                HTTPStatus.UNAUTHORIZED, {"error": {"code": "unauthorized", "message": "no"}}
            )
        elif mode == "refused":
            self._json(HTTPStatus.BAD_REQUEST, {"error": {"code": "invalid_role", "message": "no"}})
        elif mode == "buffered":
            self._buffered(b"".join(frames("done")))
        else:
            self._stream(mode)

    def _stream(self, mode: str) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        ending = {"streaming": "done", "broken": "cut", "failing": "error"}.get(mode, "cut")
        for frame in frames(ending)[: 2 if mode == "stalling" else None]:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame))
            self.wfile.flush()
            time.sleep(FRAME_DELAY_S)
        if mode == "stalling":
            self.server.stop.wait(5)
        self.wfile.write(b"0\r\n\r\n")

    def _buffered(self, payload: bytes) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _json(self, status: HTTPStatus, value: object) -> None:
        payload = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class SiteServer(ThreadingHTTPServer):
    daemon_threads = False
    requests: list[Any]
    cancelled: list[str]
    tokens: list[str | None]
    stop: threading.Event


@pytest.fixture
def site() -> Iterator[SiteServer]:
    server = SiteServer(("127.0.0.1", 0), Site)
    server.requests, server.cancelled, server.stop = [], [], threading.Event()
    server.tokens = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.stop.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def smoke(
    site: SiteServer, mode: str, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, Any]]:
    url = f"http://127.0.0.1:{site.server_address[1]}/{mode}"
    code = cli.main(["smoke", url, "--json", "--timeout", "10", *extra])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return code, report


def test_a_streamed_answer_passes_with_its_timings(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = smoke(site, "streaming", capsys)
    assert code == 0, report["problems"]
    assert report["status"] == 200 and report["stop_reason"] == "end_turn"
    assert report["incremental"] is True
    assert report["frames"] == len(ANSWER) + 3 and report["pings"] == 1
    assert report["text_chars"] == len("".join(ANSWER))
    assert 0 < report["ttfb_s"] <= report["first_text_s"] < report["total_s"]
    assert report["gap_max_s"] >= report["gap_p50_s"] >= 0
    assert report["spread_s"] >= FRAME_DELAY_S * len(ANSWER) * 0.8
    assert site.requests[0]["messages"][0]["role"] == "user"
    assert site.cancelled == []


def test_a_buffered_answer_is_flagged(site: SiteServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = smoke(site, "buffered", capsys)
    assert code == 1
    assert report["stop_reason"] == "end_turn" and report["incremental"] is False
    assert any("arrived at once" in problem for problem in report["problems"])


def test_a_stream_without_done_is_incomplete_and_gets_cancelled(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = smoke(site, "broken", capsys)
    assert code == 1 and report["stop_reason"] is None
    assert any("without a done frame" in problem for problem in report["problems"])
    assert site.cancelled == [STREAM_ID]


def test_an_error_frame_fails_the_check(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = smoke(site, "failing", capsys)
    assert code == 1
    assert report["error"] == "stall_timeout: stalled"
    assert any("error frame" in problem for problem in report["problems"])


def test_a_refused_request_reports_status_and_code(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = smoke(site, "refused", capsys)
    assert code == 1 and report["status"] == 400
    assert "invalid_role: no" in report["problems"][0]


def test_a_stalled_stream_is_given_up_and_cancelled(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    url = f"http://127.0.0.1:{site.server_address[1]}/stalling"
    code = cli.main(["smoke", url, "--json", "--timeout", "0.5"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and time.monotonic() - started < 4
    assert any("gave up" in problem for problem in report["problems"])
    assert site.cancelled == [STREAM_ID]


def test_the_text_report_ends_with_the_verdict(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{site.server_address[1]}/streaming"
    assert cli.main(["smoke", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"POST {url}/api/chat/stream"
    assert lines[-1] == "OK: the answer streamed incrementally"


def test_nothing_listening_is_a_failure_not_a_crash(capsys: pytest.CaptureFixture[str]) -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), Site) as closed:
        port = closed.server_address[1]
    assert cli.main(["smoke", f"http://127.0.0.1:{port}", "--json", "--timeout", "2"]) == 1
    assert "connection failed" in json.loads(capsys.readouterr().out)["problems"][0]


# The SSE reader.


def read_all(chunks: list[bytes]) -> tuple[list[SseEvent], int]:
    reader = SseReader()
    events = [event for chunk in chunks for event in reader.feed(chunk)]
    return events + reader.close(), reader.comments


def test_reader_parses_the_function_encoder_split_at_every_byte() -> None:
    stream = b"".join(
        encode_frames(
            [
                Start("s", "demo"),
                HEARTBEAT_MARK,
                Text("héllo → 世界 🙂\u2028line"),
                Done("end_turn"),
            ]
        )
    )
    whole, comments = read_all([stream])
    assert [(e.event, e.id) for e in whole] == [("start", "1"), ("text", "2"), ("done", "3")]
    assert json.loads(whole[1].data)["text"] == "héllo → 世界 🙂\u2028line"
    assert comments == 1
    for cut in range(1, len(stream)):
        assert read_all([stream[:cut], stream[cut:]])[0] == whole


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_reader_accepts_every_line_ending_even_split(newline: bytes) -> None:
    stream = b"\xef\xbb\xbfdata: a" + newline + b"data: b" + newline + newline
    for cut in range(len(stream) + 1):
        events, _ = read_all([stream[:cut], stream[cut:]])
        assert events == [SseEvent(event="message", data="a\nb")]


def test_reader_follows_the_field_rules() -> None:
    events, comments = read_all(
        [
            b": comment\n",
            b"event: only-an-event\n\n",  # no data: nothing dispatched
            b"id: 7\nevent: text\ndata:no-space\n\n",
            b"data:  two spaces\nunknown: field\n\n",  # id persists; one leading space removed
            b"data: unfinished",
        ]
    )
    assert comments == 1
    assert events == [
        SseEvent(event="text", data="no-space", id="7"),
        SseEvent(event="message", data=" two spaces", id="7"),
    ]


def test_a_signed_in_site_gets_the_token_and_a_refusal_says_how_to_give_one(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = smoke(site, "streaming", capsys, "--token", "tok.en.sig")
    assert code == 0, report["problems"]
    assert site.tokens == ["Bearer tok.en.sig"]

    code, report = smoke(site, "unauthorized", capsys)
    assert code == 1
    assert site.tokens[-1] is None
    (problem,) = report["problems"]
    assert "HTTP 401" in problem and "--token" in problem
