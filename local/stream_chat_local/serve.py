"""``stream-chat serve``: the page and a local function URL in ``RESPONSE_STREAM`` mode.

Every ``/api/...`` request becomes a function URL event, handed to the real runtime loop in a
worker process through an emulated Runtime API, so a local run exercises the same bytes as AWS.
As on AWS there are three functions, each with its own instances: the streaming function, the
light cancel function that takes ``/api/chat/stream/*/cancel`` (buffered), so that a cancel
never waits behind a stream or for the streaming function's cold start, and the light resume
function that takes ``GET /api/chat/stream/{stream_id}`` (streamed) and follows an answer's
journal. As on AWS, a client that goes away does not stop its answer (it may resume it); the
cancel ``serve`` once wrote for it is kept behind ``--cancel-on-disconnect``, a local
convenience Lambda never offers. Concurrency is Lambda's:
at most ``--workers`` instances run at once; past that a request waits up to ``--queue-timeout``
seconds in a queue of ``--queue`` places, then gets 429 with ``Retry-After``, as a throttled
function URL answers. Ctrl-C or SIGTERM ends every stream in flight with an ``error`` frame (code
``shutdown``) and ``done``, then exits.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from stream_chat.access import Authorizer
from stream_chat.cancellation import make_registry
from stream_chat.routes import is_cancel_route, is_resume_route
from stream_chat.settings import ENV, Settings, SettingsError
from stream_chat_local import snapshot
from stream_chat_local.concurrency import Concurrency
from stream_chat_local.front import Front
from stream_chat_local.function_url import LocalFunction
from stream_chat_local.http_front import BACKLOG, FrontServer, server_config
from stream_chat_local.lambda_env import (
    CANCEL_TIMEOUT_S,
    DEFAULT_HANDLER,
    RESUME_EXTRA_TIMEOUT_S,
    cancel_env,
    resume_env,
    worker_env,
)
from stream_chat_local.request_policy import RequestPolicy
from stream_chat_local.scratch import scratch_directory
from stream_chat_local.snapshot import SnapshotPool
from stream_chat_local.static import DEFAULT_WEB_DIR, StaticFiles
from stream_chat_local.workers import WorkerPool
from stream_chat_page import PageAuth

API_ROUTE = re.compile(r"/api/")


# The numbers a run is shaped by: flag, type, default, help.
NUMBERS: tuple[tuple[str, type, float, str], ...] = (
    ("--port", int, 8000, "0 picks a free port"),
    ("--timeout", float, 180.0, "function timeout in seconds (default 180)"),
    ("--workers", int, 4, "concurrent instances at most (default 4)"),
    ("--cancel-workers", int, 2, "concurrent instances of the cancel function at most (default 2)"),
    ("--resume-workers", int, 2, "concurrent instances of the resume function at most (default 2)"),
    ("--warm", int, 1, "instances of each function started at launch (default 1; 0: cold starts)"),
    ("--queue", int, 32, "requests that may wait for an instance (32)"),
    ("--queue-timeout", float, 5.0, "seconds one may wait, then 429 (5)"),
    ("--read-timeout", float, 10.0, "seconds a request's head, then its body, may take (10)"),
    ("--write-timeout", float, 30.0, "seconds a client may take nothing of its response (30)"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on; its name is allowed as Host"
    )
    for flag, kind, default, text in NUMBERS:
        parser.add_argument(flag, type=kind, default=kind(default), help=text)
    parser.add_argument(
        "--snap-start",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="initialise the streaming function once and fork every instance from it, as "
        "SnapStart restores instances from a snapshot",
    )
    parser.add_argument(
        "--cancel-on-disconnect",
        action="store_true",
        help="cancel an answer whose client went away (a local convenience: on Lambda an "
        "answer runs on, and its client may resume it)",
    )
    parser.add_argument("--handler", default=DEFAULT_HANDLER, help="the function's _HANDLER")
    parser.add_argument("--web-dir", type=Path, default=DEFAULT_WEB_DIR)
    sign_in = parser.add_argument_group(
        "sign-in", "make the page sign in (the function verifies with STREAM_CHAT_AUTH*)"
    )
    sign_in.add_argument(
        "--auth-domain", metavar="URL", help="base URL of the login domain (/oauth2/..., /logout)"
    )
    sign_in.add_argument("--auth-client-id", metavar="ID", help="its public app client")


def run(args: argparse.Namespace) -> int:
    if (args.auth_domain is None) != (args.auth_client_id is None):
        print(
            "stream-chat serve: give --auth-domain and --auth-client-id together", file=sys.stderr
        )
        return 2
    with scratch_directory() as scratch:
        env = worker_env(os.environ, args, scratch)
        if args.auth_client_id:
            # The function accepts tokens of the client the page signs in with.
            env.setdefault(ENV["auth_client_id"], args.auth_client_id)
        try:
            settings = Settings.from_env(env)
        except SettingsError as exc:
            print(f"stream-chat serve: {exc}", file=sys.stderr)
            return 2
        try:
            listener = _listen(args.host, args.port)
        except OSError as exc:
            print(
                f"stream-chat serve: cannot listen on {args.host}:{args.port}: {exc}",
                file=sys.stderr,
            )
            return 1
        instances = SnapshotPool if _snap_start(args.snap_start) else WorkerPool
        chat = _function(instances(env, max(1, args.workers)), args, args.timeout)
        cancel = _function(
            WorkerPool(cancel_env(env), max(1, args.cancel_workers)), args, CANCEL_TIMEOUT_S
        )
        resume_timeout_s = args.timeout + RESUME_EXTRA_TIMEOUT_S
        resume = _function(
            WorkerPool(resume_env(env, resume_timeout_s), max(1, args.resume_workers)),
            args,
            resume_timeout_s,
        )
        port = listener.getsockname()[1]
        front = Front(
            # The narrower routes first, as CloudFront orders its behaviours.
            [(is_cancel_route, cancel), (is_resume_route, resume), (API_ROUTE.match, chat)],
            StaticFiles(args.web_dir, settings, page_auth(args)),
            RequestPolicy(args.host, port),
            make_registry(settings) if args.cancel_on_disconnect else None,
            args.read_timeout,
            authorizer=Authorizer.from_settings(settings),
        )
        return _serve(front, listener, [chat, cancel, resume], args)


def _snap_start(asked: bool) -> bool:
    if asked and not snapshot.supported():
        print("stream-chat serve: --snap-start needs Linux (fork, pidfd); starting without it")
        return False
    return asked


def page_auth(args: argparse.Namespace) -> PageAuth | None:
    if args.auth_domain is None:
        return None
    return PageAuth(client_id=args.auth_client_id, domain_url=args.auth_domain)


def _function(pool: WorkerPool, args: argparse.Namespace, timeout_s: float) -> LocalFunction:
    concurrency = Concurrency(pool.size, max(0, args.queue), args.queue_timeout)
    return LocalFunction(pool, concurrency, timeout_s)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=BACKLOG)
    listener.setblocking(False)
    return listener


def _serve(
    front: Front,
    listener: socket.socket,
    functions: Sequence[LocalFunction],
    args: argparse.Namespace,
) -> int:
    _allow_many_connections()
    # Until uvicorn takes the signals over: a stop during the first cold start stops cleanly.
    signal.signal(signal.SIGTERM, _interrupt)

    def stop() -> None:
        # Before uvicorn drains: queued requests are refused, and SIGTERM makes every function
        # end its streams in flight with a shutdown error (idle instances simply exit).
        for function in functions:
            function.concurrency.stop()
            function.pool.begin_stop()

    server = FrontServer(server_config(front, args.read_timeout, args.write_timeout), on_stop=stop)
    try:
        for function in functions:  # instances ready: no first request waits for a cold start
            function.pool.warm(max(0, args.warm))
        host, port = listener.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"stream-chat serve: http://{shown}:{port}/", flush=True)
        asyncio.run(server.serve(sockets=[listener]))
    except KeyboardInterrupt:
        pass  # Ctrl-C before the server ran (during the first cold start)
    finally:
        for function in functions:
            function.pool.close()
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _allow_many_connections() -> None:
    # Each connection is a file descriptor; the usual soft limit (1024) is far below what the
    # server is built to hold, and the hard limit is there to be used.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
