"""Init of both functions: from process start to the runtime's first ``/next``, what each
imports, and what the streaming function leaves for its first request (which then waits for it).

The configuration is the deployed one: the Anthropic key from Secrets Manager (the client is built
at init; no call is made) and cancels in DynamoDB. The first-request check uses a direct key and
the fake Anthropic server instead, since it must make a real call. The cancel function is timed
on the same loop, as it runs on AWS: what differs between the two functions is what their handler
modules import and build.
"""

from __future__ import annotations

import json
import queue
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from stream_chat_local.invocation import Finished, Invocation, Part
from stream_chat_local.runtime_api import EmulatedRuntimeApi
from stream_chat_local.url_event import HttpRequest, build_event
from tests.bench.figures import detail, record
from tests.fakes.anthropic_server import FakeAnthropic
from tests.support.serve import clean_env

RUNS = 5
TOP = 8
HANDLER = {"_HANDLER": "stream_chat.handler.lambda_handler", "AWS_REGION": "us-east-1"}
CANCELS = {
    "STREAM_CHAT_CANCEL_BACKEND": "dynamodb",
    "STREAM_CHAT_CANCEL_TABLE": "stream-chat-cancel",
}
DEPLOYED = {
    **HANDLER,
    **CANCELS,
    "STREAM_CHAT_ANTHROPIC_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:k",
}
CANCEL = {"_HANDLER": "stream_chat.cancel_handler.lambda_handler", "AWS_REGION": "us-east-1"}
CANCEL_DEPLOYED = {**CANCEL, **CANCELS}
CANCEL_LOCAL = {**CANCEL, "STREAM_CHAT_CANCEL_BACKEND": "sqlite"}


def run() -> list[str]:
    bare = [_timed([sys.executable, "-c", "pass"]) for _ in range(RUNS)]
    lines = [f"python start alone: median {_ms(bare)}"]
    lines += _function("streaming function", clean_env(**DEPLOYED))
    lazy = _first_request_imports()
    detail("streaming function: imported during the first request", lazy)
    lines.append(
        "  imported during the first request (not at init): " + (", ".join(lazy) or "none")
    )
    lines += _function("cancel function", clean_env(**CANCEL_DEPLOYED))
    with tempfile.TemporaryDirectory() as scratch:
        path = str(Path(scratch) / "c.sqlite3")
        local = clean_env(**CANCEL_LOCAL, STREAM_CHAT_CANCEL_SQLITE_PATH=path)
        inits = [_init(local)[0] for _ in range(RUNS)]
    record("init, cancel function, local (median)", _median_ms(inits), "ms")
    lines.append(f"cancel function, local (SQLite, as serve runs it): {_range(inits)}")
    return lines


def _function(name: str, env: Mapping[str, str]) -> list[str]:
    """Init times over RUNS starts, and the slowest top-level imports of one more."""
    inits = [_init(env)[0] for _ in range(RUNS)]
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "importtime.log"
        _init(env, log)
        top, total = _top_imports(log.read_text().splitlines())
    record(f"init, {name}, process start → first /next (median)", _median_ms(inits), "ms")
    record(f"init, {name}, top-level imports", total, "ms")
    detail(f"{name}: imports_ms", dict(top))
    return [
        f"{name}: process start → first /next (deployed config): {_range(inits)}",
        f"  python -X importtime, top-level imports before the first /next ({total:.0f} ms):",
        *[f"  {ms:7.1f} ms  {module}" for module, ms in top],
    ]


def _median_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1e3


def _range(inits: list[float]) -> str:
    return (
        f"median {_ms(inits)}, min {min(inits) * 1e3:.0f} ms, max {max(inits) * 1e3:.0f} ms "
        f"({RUNS} runs)"
    )


def _init(env: Mapping[str, str], importtime: Path | None = None) -> tuple[float, list[str]]:
    """Seconds from start to the first /next; the process is killed there."""
    api = EmulatedRuntimeApi()
    flags = ["-X", "importtime"] if importtime else []
    stderr = importtime.open("wb") if importtime else subprocess.DEVNULL
    started = time.time()
    process = subprocess.Popen(
        [sys.executable, *flags, "-m", "stream_chat.runtime"],
        env={**env, "AWS_LAMBDA_RUNTIME_API": api.address},
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    try:
        while api.first_next_at is None:
            if process.poll() is not None or time.time() - started > 60:
                raise RuntimeError(f"the runtime never asked for an event ({process.returncode})")
            time.sleep(0.001)
        return api.first_next_at - started, []
    finally:
        process.kill()
        process.wait()
        api.close()
        if importtime:
            stderr.close()  # type: ignore[union-attr]


def _first_request_imports() -> list[str]:
    """Top-level modules first imported while the first request ran."""
    with FakeAnthropic() as fake, tempfile.TemporaryDirectory() as scratch:
        env = clean_env(
            **HANDLER,
            ANTHROPIC_API_KEY=fake.api_key,
            ANTHROPIC_BASE_URL=fake.base_url,
            STREAM_CHAT_CANCEL_SQLITE_PATH=str(Path(scratch) / "c.sqlite3"),
        )
        log = Path(scratch) / "importtime.log"
        api = EmulatedRuntimeApi()
        command = [sys.executable, "-X", "importtime", "-m", "stream_chat.runtime"]
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command,
                stdout=subprocess.DEVNULL,
                stderr=sink,
                env={**env, "AWS_LAMBDA_RUNTIME_API": api.address},
            )
        try:
            while api.first_next_at is None and process.poll() is None:
                time.sleep(0.001)
            at_init = len(log.read_text().splitlines())
            _one_chat(api)
            return [name for name, _ in _top_imports(log.read_text().splitlines()[at_init:])[0]]
        finally:
            process.kill()
            process.wait()
            api.close()


def chat_event() -> bytes:
    """A function URL event asking for a one-line chat, as the Runtime API hands it over."""
    body = json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode()
    request = HttpRequest(
        "POST",
        "/api/chat/stream",
        [("content-type", "application/json")],
        body,
        "127.0.0.1",
        str(uuid.uuid4()),
    )
    return json.dumps(build_event(request)).encode()


def _one_chat(api: EmulatedRuntimeApi) -> None:
    parts: queue.SimpleQueue[Part] = queue.SimpleQueue()
    api.submit(Invocation(chat_event(), 30, parts.put))
    while not isinstance(parts.get(timeout=30), Finished):
        pass


def _top_imports(lines: list[str]) -> tuple[list[tuple[str, float]], float]:
    """The slowest top-level imports (cumulative ms) and their total, from -X importtime lines."""
    top: list[tuple[str, float]] = []
    for line in lines:
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        if not name.startswith("  "):  # one space after the bar: not nested in another import
            top.append((name.strip(), int(cumulative) / 1000))
    top.sort(key=lambda item: -item[1])
    return top[:TOP], sum(ms for _, ms in top)


def _timed(command: list[str]) -> float:
    started = time.time()
    subprocess.run(command, check=True)
    return time.time() - started


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1e3:.0f} ms"
