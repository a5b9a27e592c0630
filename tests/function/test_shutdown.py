"""SIGTERM mid-stream: the stream ends with a ``shutdown`` error and ``done``, not cut off."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace

from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from stream_chat.shutdown import EXIT_STATUS, Shutdown
from tests.function.conftest import build_function, chat_event, user
from tests.support.protocol import ProtocolReader, types_of
from tests.support.serve import PYTHONPATH


def test_a_stream_in_flight_ends_with_a_shutdown_error_then_done(settings: Settings) -> None:
    slow = replace(settings, provider="demo", demo_token_delay_s=0.02)
    function = build_function(slow)
    shutdown = Shutdown(exit_when_idle=lambda status: None)
    function.pipeline = replace(function.pipeline, shutdown=shutdown)
    response = function(chat_event(user("a long answer")), LambdaContext.local("r", 30.0))
    body = iter(response.body)
    reader = ProtocolReader()
    while sum(frame["type"] == "text" for frame in reader.frames) < 3:
        reader.feed(next(body))

    shutdown.trigger()
    for chunk in body:
        reader.feed(chunk)
    reader.close()

    assert types_of(reader.frames)[-3:] == ["error", "usage", "done"]
    assert reader.frames[-3]["code"] == "shutdown"
    assert reader.frames[-3]["retryable"] is True
    assert reader.frames[-1] == {"type": "done", "stop_reason": "error"}


def test_a_stream_started_after_shutdown_ends_at_once(settings: Settings) -> None:
    function = build_function(replace(settings, provider="demo", demo_token_delay_s=0.02))
    shutdown = Shutdown(exit_when_idle=lambda status: None)
    shutdown.trigger()
    function.pipeline = replace(function.pipeline, shutdown=shutdown)

    response = function(chat_event(user()), LambdaContext.local("r", 30.0))
    reader = ProtocolReader()
    for chunk in response.body:
        reader.feed(chunk)

    assert [f["code"] for f in reader.frames if f["type"] == "error"] == ["shutdown"]
    assert reader.frames[-1]["type"] == "done"


def test_with_no_stream_open_the_process_exits_as_sigterm_would() -> None:
    exits: list[int] = []
    Shutdown(exit_when_idle=exits.append).trigger()
    assert exits == [EXIT_STATUS]


def test_sigterm_reaches_an_installed_process() -> None:
    script = textwrap.dedent(
        """
        import time
        from stream_chat.shutdown import PROCESS_SHUTDOWN
        PROCESS_SHUTDOWN.install()
        print("ready", flush=True)
        time.sleep(30)
        """
    )
    env = {**os.environ, "PYTHONPATH": PYTHONPATH}
    process = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == EXIT_STATUS
