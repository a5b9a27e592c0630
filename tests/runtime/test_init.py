"""Init: the handler is imported before the first ``/next``; a failure goes to ``/init/error``."""

from __future__ import annotations

import json

import pytest

from tests.runtime.conftest import StartRuntime
from tests.runtime.recorder import PREFIX, RecordingRuntimeApi, parse_chunks


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        ("tests.runtime.no_such_module.handler", "Runtime.ImportModuleError", "no_such_module"),
        (
            "tests.runtime.broken_handler.handler",
            "Runtime.ImportModuleError",
            "configuration is missing at import time",
        ),
        ("tests.runtime.toy_handlers.missing", "Runtime.HandlerNotFound", "missing"),
        ("handler_without_module", "Runtime.MalformedHandlerName", "handler_without_module"),
    ],
)
def test_an_init_failure_is_reported_then_the_runtime_exits(
    runtime_api: RecordingRuntimeApi,
    start_runtime: StartRuntime,
    handler: str,
    error_type: str,
    message: str,
) -> None:
    runtime = start_runtime(handler)

    assert runtime.wait(timeout=20) == 1
    request = runtime_api.find(f"POST {PREFIX}/init/error", timeout=1)
    assert request.header("Lambda-Runtime-Function-Error-Type") == error_type
    report = request.json()
    assert report["errorType"] == error_type
    assert message in report["errorMessage"]
    assert isinstance(report["stackTrace"], list)
    assert runtime_api.count("GET") == 0, "no /next after an init error"


def test_the_stack_trace_of_an_import_failure_shows_the_user_code(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    start_runtime("tests.runtime.broken_handler.handler").wait(timeout=20)

    report = runtime_api.find(f"POST {PREFIX}/init/error", timeout=1).json()

    assert any("broken_handler.py" in line for line in report["stackTrace"])


def test_the_handler_module_is_imported_before_the_first_next(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    start_runtime("tests.runtime.toy_handlers.import_time")
    first_next = runtime_api.find("GET")
    runtime_api.push({})

    response = runtime_api.find(f"POST {PREFIX}/invocation/req-1/response")

    imported_at = float(parse_chunks(response.body)[0][1])
    assert imported_at < first_next.received_at


def test_an_entry_builds_its_function_before_the_first_next(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    start_runtime("tests.runtime.toy_handlers.built_at")
    first_next = runtime_api.find("GET")
    runtime_api.push({})

    response = runtime_api.find(f"POST {PREFIX}/invocation/req-1/response")

    built_at = float(parse_chunks(response.body)[0][1])
    assert built_at < first_next.received_at


def test_a_failed_build_is_an_init_error_named_by_its_exception(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime = start_runtime("tests.runtime.toy_handlers.fails_to_build")

    assert runtime.wait(timeout=20) == 1
    request = runtime_api.find(f"POST {PREFIX}/init/error", timeout=1)
    assert request.header("Lambda-Runtime-Function-Error-Type") == "ValueError"
    report = request.json()
    assert report["errorMessage"] == "the function's settings are not usable"
    assert any("_unbuildable" in line for line in report["stackTrace"])
    assert runtime_api.count("GET") == 0, "no /next after an init error"


def test_a_refused_init_error_report_is_logged_not_a_raw_traceback(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime_api.refuse = f"POST {PREFIX}/init/error"
    runtime = start_runtime("tests.runtime.toy_handlers.missing")

    assert runtime.wait(timeout=20) == 1
    records = [json.loads(line) for line in runtime.output().splitlines() if line.strip()]
    assert [r["errorType"] for r in records] == ["Runtime.HandlerNotFound", "RuntimeApiError"]
    assert "answered 500" in records[1]["errorMessage"]


def test_without_a_runtime_api_address_the_runtime_says_so_and_exits(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime("tests.runtime.toy_handlers.frames", AWS_LAMBDA_RUNTIME_API="")

    assert runtime.wait(timeout=20) == 2
    (record,) = [json.loads(line) for line in runtime.output().splitlines() if line.strip()]
    assert "AWS_LAMBDA_RUNTIME_API" in record["errorMessage"]
