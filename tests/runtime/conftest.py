"""Fixtures: the recording Runtime API, and the runtime process under test against it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.runtime.recorder import ROOT, RecordingRuntimeApi


@pytest.fixture
def runtime_api() -> Iterator[RecordingRuntimeApi]:
    api = RecordingRuntimeApi()
    yield api
    api.close()


class RuntimeProcess:
    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self, timeout: float = 10.0) -> int:
        return self.process.wait(timeout)


StartRuntime = Callable[..., RuntimeProcess]


@pytest.fixture
def start_runtime(runtime_api: RecordingRuntimeApi, tmp_path: Path) -> Iterator[StartRuntime]:
    """Start ``python -m stream_chat.runtime`` against the recorder; killed at teardown."""
    started: list[RuntimeProcess] = []

    def start(handler: str, **extra_env: str) -> RuntimeProcess:
        env = {
            **os.environ,
            "AWS_LAMBDA_RUNTIME_API": runtime_api.address,
            "_HANDLER": handler,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "functions"), str(ROOT)]),
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        log = tmp_path / f"runtime-{len(started)}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "stream_chat.runtime"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
            )
        started.append(RuntimeProcess(process, log))
        return started[-1]

    yield start
    for runtime in started:
        runtime.process.kill()
        runtime.process.wait(10)
