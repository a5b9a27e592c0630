"""The streamed ``/response``: exact request head, prelude, delimiter, chunks and end."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.runtime.conftest import StartRuntime
from tests.runtime.recorder import PREFIX, RecordingRuntimeApi, parse_chunks

TOY = "tests.runtime.toy_handlers"
PRELUDE = (
    b'{"statusCode":201,"headers":{"content-type":"text/event-stream"},"cookies":["a=1"]}'
    + b"\0" * 8
)


def test_response_is_prelude_then_one_chunk_per_part(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    parts = ["id: 1\nevent: text\ndata: {}\n\n", "é" * 20, "x"]
    runtime_api.push(
        {"parts": parts, "status": 201, "cookies": ["a=1"]},
        "req-1",
        Lambda_Runtime_Invocation_Id="inv-7",
    )
    start_runtime(f"{TOY}.frames")

    request = runtime_api.find(f"POST {PREFIX}/invocation/req-1/response")

    assert (
        request.head
        == (
            f"POST {PREFIX}/invocation/req-1/response HTTP/1.1\r\n"
            f"Host: {runtime_api.address}\r\n"
            "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
            "Transfer-Encoding: chunked\r\n"
            "Content-Type: application/vnd.awslambda.http-integration-response\r\n"
            "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n"
            "Lambda-Runtime-Invocation-Id: inv-7\r\n"
        ).encode()
    )
    encoded = [p.encode() for p in parts]
    assert request.body == (
        b"5b\r\n"
        + PRELUDE
        + b"\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in encoded)
        + b"0\r\n\r\n"
    )


def test_empty_parts_are_skipped_not_sent_as_the_last_chunk(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime_api.push({"parts": ["", "a", "", "b"]})
    start_runtime(f"{TOY}.frames")

    chunks, rest = parse_chunks(runtime_api.find("POST").body)

    assert chunks[1:] == [b"a", b"b"]
    assert rest == b"\r\n"


def test_each_chunk_reaches_the_runtime_api_before_the_next_is_produced(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime, tmp_path: Path
) -> None:
    runtime_api.on_chunk = lambda index: (tmp_path / f"ack-{index}").touch()
    runtime_api.push({"ack_dir": str(tmp_path), "frames": 5})
    start_runtime(f"{TOY}.acked_frames")

    request = runtime_api.find("POST")

    chunks, rest = parse_chunks(request.body)
    assert [json.loads(c.split(b"data: ")[1])["type"] for c in chunks[1:]] == ["text"] * 5
    assert rest == b"\r\n", "no error trailers: no frame waited for its acknowledgement"


def test_request_id_context_and_trace_header_reach_the_handler(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime_api.push(
        {},
        "req-ctx",
        deadline_s=60,
        Lambda_Runtime_Trace_Id="Root=1-abc",
        Lambda_Runtime_Invocation_Id="inv-1",
        Lambda_Runtime_Client_Context='{"custom": {"k": "v"}}',
        Lambda_Runtime_Cognito_Identity="not json",
    )
    runtime_api.push({}, "req-untraced")
    start_runtime(
        f"{TOY}.echo_context",
        AWS_LAMBDA_FUNCTION_NAME="chat",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512",
    )

    first = json.loads(
        parse_chunks(runtime_api.find("POST /2018-06-01/runtime/invocation/req-ctx").body)[0][1]
    )
    second = json.loads(
        parse_chunks(runtime_api.find(f"POST {PREFIX}/invocation/req-untraced").body)[0][1]
    )

    assert first["aws_request_id"] == "req-ctx"
    assert 50_000 < first["remaining_ms"] <= 60_000
    assert first["invoked_function_arn"] == "arn:aws:lambda:us-east-1:1:function:f"
    assert (first["function_name"], first["memory_limit_in_mb"]) == ("chat", 512)
    assert first["invocation_id"] == "inv-1"
    assert first["client_context"] == {"custom": {"k": "v"}}
    assert first["identity"] is None
    assert first["trace_env"] == "Root=1-abc"
    assert second["trace_env"] is None, "a trace header must not leak into the next invocation"


def test_the_loop_keeps_one_process_across_invocations(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    for number in (1, 2, 3):
        runtime_api.push({}, f"req-{number}")
    runtime = start_runtime(f"{TOY}.counts")

    bodies = [
        parse_chunks(runtime_api.find(f"POST {PREFIX}/invocation/req-{n}/").body)[0][1]
        for n in (1, 2, 3)
    ]

    assert bodies == [b"invocation 1", b"invocation 2", b"invocation 3"]
    deadline = time.monotonic() + 5
    while runtime_api.count("GET") < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runtime_api.count("GET") == 4, "after each response the runtime asks /next again"
    assert runtime.process.poll() is None
