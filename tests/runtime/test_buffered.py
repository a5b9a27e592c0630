"""A buffered ``/response``: what the cancel function answers when the loop runs it locally."""

from __future__ import annotations

import json

from tests.runtime.conftest import StartRuntime
from tests.runtime.recorder import PREFIX, RecordingRuntimeApi

TOY = "tests.runtime.toy_handlers"


def test_a_non_streaming_result_is_posted_whole_as_json(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime_api.push({"stream": "abc"}, "req-1", Lambda_Runtime_Invocation_Id="inv-3")
    runtime_api.push({"stream": "def"}, "req-2")
    start_runtime(f"{TOY}.buffered")

    first = runtime_api.find(f"POST {PREFIX}/invocation/req-1/response")
    second = runtime_api.find(f"POST {PREFIX}/invocation/req-2/response")

    assert first.header("Content-Type") == "application/json"
    assert first.header("Lambda-Runtime-Invocation-Id") == "inv-3"
    assert second.header("Lambda-Runtime-Invocation-Id") is None
    for request in (first, second):
        # Buffered, as the managed runtime answers: no streaming mode, no chunks, a length.
        assert request.header("Lambda-Runtime-Function-Response-Mode") is None
        assert request.header("Transfer-Encoding") is None
        assert request.header("Content-Length") == str(len(request.body))
    assert first.json() == {
        "statusCode": 202,
        "headers": {"x-echo": "é"},
        "body": json.dumps({"stream": "abc"}),
    }
    assert json.loads(second.json()["body"]) == {"stream": "def"}
