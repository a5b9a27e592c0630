"""Error reports in the shape the Runtime API documents, and the log line that goes with them."""

from __future__ import annotations

import sys
import traceback
from typing import Any


class InitError(Exception):
    """The handler could not be loaded; ``error_type`` is the managed runtime's name for why."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def diagnose(exc: BaseException) -> dict[str, Any]:
    """``{errorMessage, errorType, stackTrace}`` for ``/error``, ``/init/error`` and trailers."""
    error_type = exc.error_type if isinstance(exc, InitError) else type(exc).__name__
    # An init error's own frames are the runtime's; the cause holds the user's code.
    shown = exc.__cause__ if isinstance(exc, InitError) and exc.__cause__ else exc
    message = str(exc) if isinstance(exc, InitError) else str(shown)
    return {
        "errorMessage": message,
        "errorType": error_type,
        "stackTrace": traceback.format_list(traceback.extract_tb(shown.__traceback__)),
    }


def log_error(request_id: str | None, exc: BaseException) -> None:
    """What the managed runtime prints for an unhandled error, so logs read the same."""
    prefix = f"[ERROR] {request_id}\t" if request_id else "[ERROR]\t"
    if isinstance(exc, InitError):
        lines = [f"{exc.error_type}: {exc}\n"]
        if exc.__cause__ is not None:
            lines += traceback.format_exception(exc.__cause__)
    else:
        lines = traceback.format_exception(exc)
    print(prefix + "".join(lines).rstrip(), file=sys.stderr, flush=True)
