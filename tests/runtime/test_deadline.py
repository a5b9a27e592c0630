"""The invocation's deadline bounds the runtime too: its writes, and invocations without one."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.runtime.conftest import StartRuntime
from tests.runtime.recorder import PREFIX, RecordingRuntimeApi, parse_chunks
from tests.runtime.test_errors import _eventually, error_records

TOY = "tests.runtime.toy_handlers"


def test_a_stalled_reader_cannot_hold_the_stream_past_the_deadline(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime, tmp_path: Path
) -> None:
    marker = tmp_path / "closed"
    # The reader takes the prelude and one part, then reads nothing until well past the deadline.
    runtime_api.stall_after = 2
    runtime_api.stall_s = 8.0
    deadline = time.time() + 4.0
    runtime_api.push({"marker": str(marker), "frames": 4000}, "req-stalled", deadline_s=4.0)
    runtime_api.push({"marker": str(tmp_path / "next"), "frames": 1, "size": 3}, "req-next")
    runtime = start_runtime(f"{TOY}.firehose")

    closed_at = float(_eventually(lambda: marker.read_text() if marker.exists() else "", "."))
    # The writes give up WRITE_RESERVE_S (0.5 s) before the deadline; the rest of the margin is
    # for a loaded machine. Without a bound the body stays open until the reader resumes, some
    # 4 s past the deadline.
    assert closed_at < deadline + 2.0, "the body was closed (its upstream aborted) in time"
    following = runtime_api.find(f"POST {PREFIX}/invocation/req-next/response", timeout=20)
    assert parse_chunks(following.body)[0][1:] == [b"xxx"], "the loop went on to the next event"
    stalled = runtime_api.find(f"POST {PREFIX}/invocation/req-stalled/response", timeout=20)
    assert stalled.reset, "the cut response was reset, not ended as if it were complete"
    assert [r["errorType"] for r in error_records(runtime.output(), "req-stalled")] == [
        "WriteTimeout"
    ]


def test_an_invocation_without_a_deadline_is_an_invocation_error(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime_api.push({"parts": ["never"]}, "req-no-deadline", Lambda_Runtime_Deadline_Ms=None)
    runtime_api.push({"parts": ["x"]}, "req-bad-deadline", Lambda_Runtime_Deadline_Ms="soon")
    runtime_api.push({"parts": ["ok"]}, "req-fine")
    runtime = start_runtime(f"{TOY}.frames")

    for request_id in ("req-no-deadline", "req-bad-deadline"):
        request = runtime_api.find(f"POST {PREFIX}/invocation/{request_id}/error")
        assert request.header("Lambda-Runtime-Function-Error-Type") == "Runtime.InvalidDeadline"
        report = request.json()
        assert report["errorType"] == "Runtime.InvalidDeadline"
        assert "Lambda-Runtime-Deadline-Ms" in report["errorMessage"]
        assert runtime_api.count(f"POST {PREFIX}/invocation/{request_id}/response") == 0
    fine = runtime_api.find(f"POST {PREFIX}/invocation/req-fine/response")
    assert parse_chunks(fine.body)[0][1:] == [b"ok"]
    _eventually(runtime.output, "req-bad-deadline")
    assert json.dumps("Runtime.InvalidDeadline") in runtime.output()
