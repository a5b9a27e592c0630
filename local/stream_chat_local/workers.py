"""Local execution environments: each worker is the real runtime loop in its own process, talking
to its own emulated Runtime API, as each Lambda instance does.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Mapping

from stream_chat_local.runtime_api import EmulatedRuntimeApi

RUNTIME_COMMAND = (sys.executable, "-m", "stream_chat.runtime")


class Worker:
    """One runtime process and the Runtime API it talks to."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.api = EmulatedRuntimeApi()
        self.started_at = time.time()
        self.process = subprocess.Popen(
            RUNTIME_COMMAND,
            env={**env, "AWS_LAMBDA_RUNTIME_API": self.api.address},
            stdin=subprocess.DEVNULL,
            # Out of the terminal's process group: Ctrl-C stops `serve`, which then stops the
            # workers in order, instead of every process printing its own KeyboardInterrupt.
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as Lambda ends an environment past its deadline: no cleanup runs."""
        self.process.kill()
        self.process.wait()
        self.api.close()

    def stop(self, grace_s: float = 2.0) -> None:
        """SIGTERM, then SIGKILL after ``grace_s``; ``terminate()`` may already have been sent."""
        self.process.terminate()
        try:
            self.process.wait(grace_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.api.close()


class WorkerPool:
    """Up to ``size`` workers, started on demand like concurrent Lambda instances."""

    def __init__(self, env: Mapping[str, str], size: int) -> None:
        self.env = dict(env)
        self.size = size
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._closed = False
        self._changed = threading.Condition()

    def warm(self, count: int) -> None:
        with self._changed:
            while len(self._all) < min(count, self.size):
                self._idle.append(self._spawn())

    def acquire(self, timeout_s: float) -> Worker | None:
        """An idle worker (the most recently used first), a new one, or None after the wait."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not self._closed:
                self._drop_dead_idle()
                if self._idle:
                    return self._idle.pop()
                if len(self._all) < self.size:
                    return self._spawn()
                if not self._changed.wait(deadline - time.monotonic()):
                    return None
            return None

    def release(self, worker: Worker) -> None:
        with self._changed:
            if not worker.alive():
                self._all.discard(worker)
                worker.api.close()
            elif not self._closed:
                self._idle.append(worker)
            # Alive in a closing pool (told to stop, still finishing): ``close`` stops it and
            # waits, so that no instance outlives ``serve``.
            self._changed.notify()

    def replace(self, worker: Worker) -> None:
        """Kill a worker past its deadline and start a fresh one in its place."""
        worker.kill()
        with self._changed:
            self._all.discard(worker)
            if not self._closed:
                self._idle.append(self._spawn())
            self._changed.notify()

    def workers(self) -> list[Worker]:
        with self._changed:
            return list(self._all)

    def begin_stop(self) -> None:
        """Start no more workers, and SIGTERM every one: busy ones end their streams cleanly
        (the function answers SIGTERM with a ``shutdown`` error), idle ones exit."""
        with self._changed:
            self._closed = True
            workers = list(self._all)
            self._changed.notify_all()
        for worker in workers:
            if worker.alive():
                worker.process.terminate()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            workers, self._idle = list(self._all), []
            self._all.clear()
            self._changed.notify_all()
        for worker in workers:  # all at once, then wait for each
            worker.process.terminate()
        for worker in workers:
            worker.stop()

    def _spawn(self) -> Worker:
        worker = Worker(self.env)
        self._all.add(worker)
        return worker

    def _drop_dead_idle(self) -> None:
        for worker in [w for w in self._idle if not w.alive()]:
            self._idle.remove(worker)
            self._all.discard(worker)
            worker.api.close()
