"""A Lambda entry point that builds its function at init, never at import.

Importing a handler module must change nothing: a test collects it, a tool inspects it, and
neither should install a SIGTERM handler, create a SQLite file or fetch signing keys. The work
still belongs to Lambda's init phase, before the first request waits on it (and, with SnapStart,
inside the snapshot), so the runtime loop calls ``init()`` right after it has loaded the handler
and before its first ``/next``. A runtime that knows no such hook (the managed runtime's own
client) gets the same function built by the first call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable[[Any, Any], Any])


class LambdaEntry(Generic[F]):
    """``handler(event, context)`` for Lambda; the function behind it is built once."""

    def __init__(self, build: Callable[[], F]) -> None:
        self._build = build
        self._function: F | None = None
        self._lock = threading.Lock()

    def init(self) -> F:
        """The function, built by the first call (the runtime's init) and kept for the process."""
        with self._lock:
            if self._function is None:
                self._function = self._build()
            return self._function

    def __call__(self, event: Any, context: Any) -> Any:
        function = self._function or self.init()
        return function(event, context)


def initialise(handler: object) -> None:
    """Build ``handler``'s function now, if it is an entry that builds one."""
    if isinstance(handler, LambdaEntry):
        handler.init()
