"""What Lambda sets in a function's environment, for the local workers of each function."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

DEFAULT_HANDLER = "stream_chat.handler.lambda_handler"
CANCEL_HANDLER = "stream_chat.cancel_handler.lambda_handler"
MEMORY_MB = 512
CANCEL_MEMORY_MB = 1024
CANCEL_TIMEOUT_S = 10.0
RESUME_HANDLER = "stream_chat.resume_handler.lambda_handler"
RESUME_MEMORY_MB = 512
# A resume follows an answer to its end: the streaming function's timeout, and some to spare.
RESUME_EXTRA_TIMEOUT_S = 60.0


def worker_env(
    environ: Mapping[str, str], args: argparse.Namespace, scratch: Path
) -> dict[str, str]:
    """The user's environment, plus what Lambda sets for a function; cancels, limits and the
    journal go through SQLite files shared by the workers."""
    env = dict(environ)
    env.setdefault("STREAM_CHAT_CANCEL_BACKEND", "sqlite")
    env.setdefault("STREAM_CHAT_CANCEL_SQLITE_PATH", str(scratch / "cancel.sqlite3"))
    env.setdefault("STREAM_CHAT_LIMITS_SQLITE_PATH", str(scratch / "limits.sqlite3"))
    env.setdefault("STREAM_CHAT_JOURNAL_SQLITE_PATH", str(scratch / "journal.sqlite3"))
    env.setdefault("AWS_REGION", env.get("AWS_DEFAULT_REGION", "us-east-1"))
    if _demo(env):  # the offline model shows thinking and search too, so the page offers them
        env.setdefault("STREAM_CHAT_THINKING", "true")
        env.setdefault("STREAM_CHAT_WEB_SEARCH", "true")
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


def _demo(env: Mapping[str, str]) -> bool:
    """Whether answers come from the offline model (``Settings``' choice with these variables)."""
    provider = env.get("STREAM_CHAT_PROVIDER", "").strip()
    if provider:
        return provider == "demo"
    return not (env.get("ANTHROPIC_API_KEY") or env.get("STREAM_CHAT_ANTHROPIC_SECRET_ARN"))


def cancel_env(env: Mapping[str, str]) -> dict[str, str]:
    """The cancel function's environment: the same configuration, its own handler and sizing."""
    return {
        **env,
        "_HANDLER": CANCEL_HANDLER,
        "AWS_LAMBDA_FUNCTION_NAME": "stream-chat-cancel",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(CANCEL_MEMORY_MB),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(round(CANCEL_TIMEOUT_S)),
    }


def resume_env(env: Mapping[str, str], timeout_s: float) -> dict[str, str]:
    """The resume function's environment: the same configuration, its own handler and sizing."""
    return {
        **env,
        "_HANDLER": RESUME_HANDLER,
        "AWS_LAMBDA_FUNCTION_NAME": "stream-chat-resume",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(RESUME_MEMORY_MB),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(round(timeout_s)),
    }
