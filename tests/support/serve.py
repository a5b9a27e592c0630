"""``stream-chat serve`` as a subprocess on a free port: one launcher for tests and benchmarks.

The server gets a clean environment (none of the caller's Anthropic, AWS or stream-chat
configuration), prints its URL once it listens, and is stopped with SIGTERM on exit — with a
SIGKILL only if it does not stop, so no process outlives its test.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHONPATH = os.pathsep.join(str(ROOT / part) for part in ("functions", "local", ""))
FOREIGN_ENV = ("ANTHROPIC_", "STREAM_CHAT_", "AWS_")
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without its own configuration, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_ENV)}
    env.update(
        PYTHONPATH=PYTHONPATH,
        PYTHONUNBUFFERED="1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    env.update(extra)
    return env


class ServeProcess:
    def __init__(self, process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
        self.process = process
        self.url = url
        self.log_path = log_path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, needle: str, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while needle not in self.output():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{needle!r} never appeared in the server log")
            time.sleep(0.05)

    def stop(self) -> int:
        """SIGTERM, as Ctrl-C would; the exit code (SIGKILL if it hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise


@contextmanager
def running_serve(*options: str, env: Mapping[str, str], log_path: Path) -> Iterator[ServeProcess]:
    """Start ``stream-chat serve --port 0 OPTIONS`` and stop it on exit."""
    command = [sys.executable, "-m", "stream_chat_local.cli", "serve", "--port", "0", *options]
    with log_path.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=ROOT, env=dict(env), stdin=subprocess.DEVNULL, stdout=sink, stderr=sink
        )
    served = ServeProcess(process, "", log_path)
    try:
        served.url = _wait_for_url(served)
        yield served
    finally:
        served.stop()


def _wait_for_url(served: ServeProcess) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if found := re.search(r"serve: (http://\S+?)/?$", served.output(), re.MULTILINE):
            return found[1]
        if served.process.poll() is not None:
            break
        time.sleep(0.02)
    raise RuntimeError(f"stream-chat serve did not start:\n{served.output()[-3000:]}")
