"""``stream-chat serve``: the page and a local function URL in ``RESPONSE_STREAM`` mode.

Every ``/api/...`` request becomes a function URL event, handed to the real runtime loop in a
worker process through an emulated Runtime API, so a local run exercises the same bytes as AWS.
As on AWS there are two functions, each with its own instances: the streaming function, and the
light cancel function that takes ``/api/chat/stream/*/cancel`` (buffered), so that a cancel
never waits behind a stream or for the streaming function's cold start.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from stream_chat.cancellation import make_registry
from stream_chat.settings import Settings, SettingsError
from stream_chat_local.front import Front, FrontHandler, LocalFunction
from stream_chat_local.http_server import LocalServer
from stream_chat_local.snapshot import SnapshotPool
from stream_chat_local.static import DEFAULT_WEB_DIR, StaticFiles
from stream_chat_local.workers import WorkerPool

DEFAULT_HANDLER = "stream_chat.handler.lambda_handler"
CANCEL_HANDLER = "stream_chat.cancel_handler.lambda_handler"
MEMORY_MB = 512
CANCEL_MEMORY_MB = 1024
CANCEL_TIMEOUT_S = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument(
        "--timeout", type=float, default=180.0, help="function timeout in seconds (default 180)"
    )
    parser.add_argument(
        "--workers", type=int, default=4, help="concurrent instances at most (default 4)"
    )
    parser.add_argument(
        "--cancel-workers",
        type=int,
        default=2,
        help="concurrent instances of the cancel function at most (default 2)",
    )
    parser.add_argument(
        "--warm",
        type=int,
        default=1,
        help="instances of each function started at launch (default 1; 0 for cold starts)",
    )
    parser.add_argument(
        "--snap-start",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="initialise the streaming function once and fork every instance from it, as "
        "SnapStart restores instances from a snapshot",
    )
    parser.add_argument("--handler", default=DEFAULT_HANDLER, help="the function's _HANDLER")
    parser.add_argument("--web-dir", type=Path, default=DEFAULT_WEB_DIR)


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="stream-chat-") as scratch:
        env = worker_env(os.environ, args, Path(scratch))
        try:
            settings = Settings.from_env(env)
        except SettingsError as exc:
            print(f"stream-chat serve: {exc}", file=sys.stderr)
            return 2
        instances = SnapshotPool if args.snap_start else WorkerPool
        chat = LocalFunction(instances(env, max(1, args.workers)), args.timeout)
        cancel = LocalFunction(
            WorkerPool(cancel_env(env), max(1, args.cancel_workers)), CANCEL_TIMEOUT_S
        )
        static = StaticFiles(args.web_dir, settings)
        front = Front(chat, cancel, static, make_registry(settings))
        try:
            server = LocalServer((args.host, args.port), FrontHandler.bound_to(front))
        except OSError as exc:
            print(
                f"stream-chat serve: cannot listen on {args.host}:{args.port}: {exc}",
                file=sys.stderr,
            )
            return 1
        return _serve(server, [chat.pool, cancel.pool], max(0, args.warm))


def worker_env(
    environ: Mapping[str, str], args: argparse.Namespace, scratch: Path
) -> dict[str, str]:
    """The user's environment, plus what Lambda sets for a function; cancels go through SQLite."""
    env = dict(environ)
    env.setdefault("STREAM_CHAT_CANCEL_BACKEND", "sqlite")
    env.setdefault("STREAM_CHAT_CANCEL_SQLITE_PATH", str(scratch / "cancel.sqlite3"))
    env.setdefault("AWS_REGION", env.get("AWS_DEFAULT_REGION", "us-east-1"))
    env.update(
        {
            "_HANDLER": args.handler,
            "AWS_LAMBDA_FUNCTION_NAME": "stream-chat",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(MEMORY_MB),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(max(1, round(args.timeout))),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def cancel_env(env: Mapping[str, str]) -> dict[str, str]:
    """The cancel function's environment: the same configuration, its own handler and sizing."""
    return {
        **env,
        "_HANDLER": CANCEL_HANDLER,
        "AWS_LAMBDA_FUNCTION_NAME": "stream-chat-cancel",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(CANCEL_MEMORY_MB),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(round(CANCEL_TIMEOUT_S)),
    }


def _serve(server: LocalServer, pools: list[WorkerPool], warm: int) -> int:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Both, explicitly: a shell starts background jobs with SIGINT ignored, and SIGINT must still
    # stop serve and its workers wherever it was started from.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for pool in pools:  # instances ready, so that no first request waits for a cold start
            pool.warm(warm)
        host, port = server.server_address[:2]
        print(f"stream-chat serve: http://{host!s}:{port}/", flush=True)
        server.serve_forever(poll_interval=0.5)  # a signal interrupts it at once
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.server_close()
        for pool in pools:
            pool.close()
    return 0
