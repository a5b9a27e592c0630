"""``stream-chat serve`` as a subprocess on a free port, for the browser suite."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.anthropic_server import FakeAnthropic

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0
# Variables of the developer's shell that must not reach the server under test.
FOREIGN_ENV = ("ANTHROPIC_", "STREAM_CHAT_", "AWS_")


@dataclass(frozen=True)
class Served:
    """The running server: its URL, and its log (one line per HTTP request)."""

    url: str
    log_path: Path

    def wait_for_log(self, needle: str, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while needle not in self.log_path.read_text():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{needle!r} never appeared in the server log")
            time.sleep(0.05)


@contextmanager
def serve(fake: FakeAnthropic, log_path: Path) -> Iterator[Served]:
    """Run ``stream-chat serve`` with its provider pointed at ``fake``; stop it on exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_ENV)}
    env.update(
        ANTHROPIC_BASE_URL=fake.base_url,
        ANTHROPIC_API_KEY=fake.api_key,
        STREAM_CHAT_PROVIDER="anthropic",
        # One attempt: a fault must reach the page, not be retried away by the server.
        STREAM_CHAT_PROVIDER_ATTEMPTS="1",
    )
    command = [str(Path(sys.executable).with_name("stream-chat")), "serve", "--port", "0"]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        yield Served(_wait_for_url(process, log_path), log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_for_url(process: subprocess.Popen[bytes], log_path: Path) -> str:
    """The URL ``serve`` prints once it listens (``stream-chat serve: http://...``)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for line in log_path.read_text().splitlines():
            if line.startswith("stream-chat serve: http://"):
                return line.split(": ", 1)[1].strip().rstrip("/")
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"stream-chat serve did not start:\n{log_path.read_text()[-3000:]}")
