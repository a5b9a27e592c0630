"""``stream_chat/bootstrap``, run as Lambda runs an exec wrapper: the managed runtime's start
command (interpreter first) as its arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.runtime.recorder import PREFIX, ROOT, RecordingRuntimeApi, parse_chunks

BOOTSTRAP = ROOT / "functions" / "stream_chat" / "bootstrap"
# What the managed runtime passes after the interpreter; the wrapper replaces it.
MANAGED_ARGS = ["-m", "awslambdaric", "stream_chat.handler.lambda_handler"]
RECORD_ARGV = """#!/bin/sh
printf '%s\\n' "$$" "$PYTHONPATH" "$PYTHONUNBUFFERED" "$0" "$@" > "$RECORD"
"""


def fake_interpreter(path: Path) -> Path:
    path.write_text(RECORD_ARGV)
    path.chmod(0o755)
    return path


def test_the_wrapper_execs_the_interpreter_lambda_passes(tmp_path: Path) -> None:
    (tmp_path / "lang").mkdir()
    given = fake_interpreter(tmp_path / "lang" / "python3.13")
    decoys = tmp_path / "path"
    decoys.mkdir()
    for name in ("python", "python3", "python3.13"):
        fake_interpreter(decoys / name)
    record = tmp_path / "argv"
    env = {
        "PATH": f"{decoys}:/usr/bin:/bin",
        "RECORD": str(record),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "LAMBDA_TASK_ROOT": "/var/task",
        "PYTHONPATH": "/var/runtime",
    }
    process = subprocess.Popen(
        ["/bin/sh", str(BOOTSTRAP), str(given), *MANAGED_ARGS], env=env, stdin=subprocess.DEVNULL
    )
    assert process.wait(timeout=30) == 0

    pid, pythonpath, unbuffered, program, *args = record.read_text().splitlines()
    assert program == str(given), "the interpreter Lambda passed, not one from PATH"
    assert args == ["-m", "stream_chat.runtime"]
    assert int(pid) == process.pid, "exec: the runtime is the process Lambda supervises"
    assert pythonpath.split(":") == [
        "/var/task",
        "/opt/python/lib/python3.13/site-packages",
        "/opt/python",
        "/var/runtime",
    ]
    assert unbuffered == "1"


def test_without_an_interpreter_argument_the_wrapper_says_what_it_expects() -> None:
    result = subprocess.run(
        ["/bin/sh", str(BOOTSTRAP)], check=False, capture_output=True, text=True, timeout=30, env={}
    )
    assert result.returncode != 0
    assert "AWS_LAMBDA_EXEC_WRAPPER" in result.stderr


def test_the_wrapper_starts_the_streaming_runtime(runtime_api: RecordingRuntimeApi) -> None:
    runtime_api.push({"parts": ["through the wrapper"]})
    env = {
        **os.environ,
        "AWS_LAMBDA_RUNTIME_API": runtime_api.address,
        "_HANDLER": "tests.runtime.toy_handlers.frames",
        "LAMBDA_TASK_ROOT": str(ROOT / "functions"),
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [str(BOOTSTRAP), sys.executable, *MANAGED_ARGS],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    try:
        response = runtime_api.find(f"POST {PREFIX}/invocation/req-1/response", timeout=30)
        prelude, *parts = parse_chunks(response.body)[0]
        assert json.loads(prelude.rstrip(b"\0"))["statusCode"] == 200
        assert parts == [b"through the wrapper"]
    finally:
        process.kill()
        process.wait(10)
