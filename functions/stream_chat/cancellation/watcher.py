"""Polls the cancel registry for one stream, off the frame-delivery path."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

if TYPE_CHECKING:
    from stream_chat.cancellation import CancelRegistry

logger = Logger(service="stream-chat", child=True)


class CancelWatcher:
    """A background thread that reads the registry at most once per interval.

    Registry errors (throttling, network) never end the stream: they are logged, counted and
    retried at the next interval.
    """

    def __init__(
        self,
        registry: CancelRegistry,
        stream_id: str,
        interval_s: float,
        on_cancel: Callable[[], None],
        owner: str = "",
    ) -> None:
        self._registry = registry
        self._stream_id = stream_id
        self._owner = owner
        self._interval = interval_s
        self._on_cancel = on_cancel
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cancel-watcher", daemon=True)
        self.reads = 0
        self.failures = 0
        self.cancelled_at: float | None = None  # as recorded by the registry

    def start(self) -> CancelWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            self.reads += 1
            try:
                cancelled_at = self._registry.cancelled_at(self._stream_id, self._owner)
            except Exception:
                self.failures += 1
                logger.warning(
                    "cancel registry read failed", exc_info=True, extra={"failures": self.failures}
                )
                continue
            if cancelled_at is not None:
                self.cancelled_at = cancelled_at
                self._on_cancel()
                return
