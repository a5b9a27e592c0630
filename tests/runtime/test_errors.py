"""Failures: ``/error`` before the first byte, trailers after it, and a broken Runtime API."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from tests.runtime.conftest import StartRuntime
from tests.runtime.recorder import PREFIX, RecordingRuntimeApi, parse_chunks

TOY = "tests.runtime.toy_handlers"


def test_an_exception_before_the_first_byte_posts_the_documented_error(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime_api.push({}, "req-bad", Lambda_Runtime_Invocation_Id="inv-9")
    runtime = start_runtime(f"{TOY}.raises")

    request = runtime_api.find(f"POST {PREFIX}/invocation/req-bad/error")

    assert request.header("Lambda-Runtime-Function-Error-Type") == "ValueError"
    assert request.header("Lambda-Runtime-Invocation-Id") == "inv-9"
    assert request.header("Content-Type") == "application/json"
    report = request.json()
    assert set(report) == {"errorMessage", "errorType", "stackTrace"}
    assert report["errorMessage"] == "the event is not usable"
    assert report["errorType"] == "ValueError"
    assert any("toy_handlers.py" in line for line in report["stackTrace"])
    assert runtime_api.count(f"POST {PREFIX}/invocation/req-bad/response") == 0
    runtime_api.find("GET", timeout=5)  # and on to the next event
    _eventually(runtime.output, "req-bad")
    (logged,) = error_records(runtime.output(), "req-bad")
    assert (logged["errorType"], logged["errorMessage"]) == ("ValueError", report["errorMessage"])
    assert logged["stackTrace"] == report["stackTrace"]


def test_an_error_is_logged_as_one_json_line(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime_api.push({}, "req-deep")
    runtime = start_runtime(f"{TOY}.fails_midstream")

    runtime_api.find(f"POST {PREFIX}/invocation/req-deep/response")
    output = _eventually(runtime.output, "req-deep")

    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, "one line, so one CloudWatch event, however deep the traceback"
    record = json.loads(lines[0])
    assert set(record) == {
        "timestamp",
        "level",
        "errorType",
        "errorMessage",
        "stackTrace",
        "requestId",
    }
    assert (record["level"], record["requestId"]) == ("ERROR", "req-deep")
    assert (record["errorType"], record["errorMessage"]) == ("RuntimeError", "the upstream broke")
    assert isinstance(record["stackTrace"], list) and len(record["stackTrace"]) >= 2
    assert record["timestamp"].endswith("Z")


def test_a_result_that_is_neither_streamed_nor_json_is_an_error(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime_api.push({})
    start_runtime(f"{TOY}.not_json")

    report = runtime_api.find(f"POST {PREFIX}/invocation/req-1/error").json()

    assert report["errorType"] == "TypeError"
    assert "JSON serializable" in report["errorMessage"]
    assert runtime_api.count(f"POST {PREFIX}/invocation/req-1/response") == 0


def test_a_body_that_is_not_iterable_or_not_bytes_fails_only_its_invocation(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime_api.push({"kind": "none"}, "req-none")
    runtime_api.push({"kind": "text"}, "req-text")
    runtime = start_runtime(f"{TOY}.bad_body")

    before_stream = runtime_api.find(f"POST {PREFIX}/invocation/req-none/error").json()
    midstream = parse_chunks(runtime_api.find(f"POST {PREFIX}/invocation/req-text/").body)

    assert before_stream["errorType"] == "TypeError"
    assert midstream[0][1:] == [b"ok"]
    assert midstream[1].startswith(b"Lambda-Runtime-Function-Error-Type: TypeError\r\n")
    assert runtime.process.poll() is None, "the loop went on after both"


def test_an_exception_after_streaming_started_travels_in_real_trailers(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime_api.push({})
    start_runtime(f"{TOY}.fails_midstream")

    chunks, rest = parse_chunks(runtime_api.find("POST").body)

    assert chunks[1:] == [b"one", b"two"], "the error is not body text"
    trailer_type, trailer_body, end = rest.split(b"\r\n", 2)
    assert trailer_type == b"Lambda-Runtime-Function-Error-Type: RuntimeError"
    name, _, encoded = trailer_body.partition(b": ")
    assert name == b"Lambda-Runtime-Function-Error-Body"
    report = json.loads(base64.b64decode(encoded, validate=True))
    assert (report["errorType"], report["errorMessage"]) == ("RuntimeError", "the upstream broke")
    assert any("toy_handlers.py" in line for line in report["stackTrace"])
    assert end == b"\r\n"


def test_the_body_is_closed_when_the_runtime_api_connection_breaks(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime, tmp_path: Path
) -> None:
    marker = tmp_path / "closed"
    runtime_api.hang_up_after = 3
    runtime_api.push({"marker": str(marker), "interval_s": 0.01}, "req-cut")
    runtime_api.push({"marker": str(tmp_path / "second"), "frames": 1}, "req-next")
    runtime = start_runtime(f"{TOY}.endless")

    _eventually(lambda: marker.read_text() if marker.exists() else "", "closed")
    following = runtime_api.find(f"POST {PREFIX}/invocation/req-next/response")
    assert parse_chunks(following.body)[1] == b"\r\n", "the loop went on to the next event"
    assert runtime.process.poll() is None


def test_the_runtime_exits_when_the_runtime_api_goes_away(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime = start_runtime(f"{TOY}.frames")
    runtime_api.find("GET")

    runtime_api.close()

    assert runtime.wait(timeout=10) == 2


def error_records(output: str, request_id: str) -> list[dict[str, Any]]:
    """The JSON error lines logged for one request; any other line fails the test."""
    records = [json.loads(line) for line in output.splitlines() if line.strip()]
    return [r for r in records if r.get("level") == "ERROR" and r["requestId"] == request_id]


def _eventually(read: object, needle: str, timeout: float = 10.0) -> str:
    assert callable(read)
    deadline = time.monotonic() + timeout
    while needle not in (text := read()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert needle in text, text
    return str(text)
