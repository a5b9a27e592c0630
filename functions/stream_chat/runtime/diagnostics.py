"""Error reports in the shape the Runtime API documents, and the log line that goes with them."""

from __future__ import annotations

import json
import sys
import time
import traceback
from typing import Any


class RuntimeFault(Exception):
    """A failure of the runtime's own, reported under the managed runtime's ``Runtime.*`` name."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class InitError(RuntimeFault):
    """The handler could not be loaded; ``error_type`` says why."""


def diagnose(exc: BaseException) -> dict[str, Any]:
    """``{errorMessage, errorType, stackTrace}`` for ``/error``, ``/init/error`` and trailers."""
    error_type = exc.error_type if isinstance(exc, RuntimeFault) else type(exc).__name__
    # A fault's own frames are the runtime's; its cause, if any, holds the user's code.
    shown = exc.__cause__ if isinstance(exc, RuntimeFault) and exc.__cause__ else exc
    message = str(exc) if isinstance(exc, RuntimeFault) else str(shown)
    return {
        "errorMessage": message,
        "errorType": error_type,
        "stackTrace": traceback.format_list(traceback.extract_tb(shown.__traceback__)),
    }


def log_error(request_id: str | None, exc: BaseException) -> None:
    """One JSON line on stderr, as the managed runtime logs an unhandled error in JSON format.

    One line is one CloudWatch event: a multi-line traceback printed as text would arrive as
    one event per line, interleaved with other output.
    """
    record = {
        "timestamp": _timestamp(),
        "level": "ERROR",
        **diagnose(exc),
        "requestId": request_id or "",
    }
    print(json.dumps(record), file=sys.stderr, flush=True)


def _timestamp() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
