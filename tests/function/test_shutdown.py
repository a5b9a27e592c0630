"""SIGTERM mid-stream: the stream ends with a ``shutdown`` error and ``done``, not cut off.

``stream-chat serve`` sends it to its workers, busy or not. Lambda sends it only when an
extension is registered, and between invocations, while the loop waits in ``/next``: the
process must then hear it there and exit at once (see ``stream_chat.shutdown``).
"""

from __future__ import annotations

import os
import signal
import socket
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


def test_sigterm_reaches_a_process_waiting_in_next_and_it_exits_at_once() -> None:
    """Where Lambda's Shutdown phase finds the runtime (when an extension makes it send SIGTERM):
    blocked in the Runtime API's ``/next``, which never answers."""
    script = textwrap.dedent(
        """
        import sys
        from stream_chat.runtime.api import RuntimeApi
        from stream_chat.shutdown import PROCESS_SHUTDOWN
        PROCESS_SHUTDOWN.install()
        RuntimeApi(sys.argv[1]).next_invocation()
        """
    )
    env = {**os.environ, "PYTHONPATH": PYTHONPATH}
    with socket.create_server(("127.0.0.1", 0)) as runtime_api:
        runtime_api.settimeout(10)
        address = f"127.0.0.1:{runtime_api.getsockname()[1]}"
        process = subprocess.Popen([sys.executable, "-c", script, address], env=env)
        try:
            connection, _ = runtime_api.accept()
            with connection:
                connection.settimeout(10)
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(4096)
                    assert chunk, "the process hung up before asking for /next"
                    head += chunk
                assert head.startswith(b"GET /2018-06-01/runtime/invocation/next ")
                process.send_signal(signal.SIGTERM)
                assert process.wait(10) == EXIT_STATUS
        finally:
            process.kill()
            process.wait()
