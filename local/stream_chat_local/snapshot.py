"""``serve --snap-start``: workers forked from one initialised template, as SnapStart restores
instances from one snapshot instead of initialising each.

``Snapshot`` starts the template (``snapshot_template``) with its own emulated Runtime API, which
receives its ``/init/error`` if init or a before-snapshot hook fails. ``ForkedWorker`` is a
worker like any other to the pool and the front: its own emulated Runtime API, which answers its
``/restore/next`` at once (the pool wants it now), and a process handle. The process is the
template's child, not serve's, so the handle is a pidfd: it tells when the process is gone and
signals exactly that process, never a later one that reused its pid.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping

from stream_chat.runtime.snapstart import INITIALIZATION_TYPE, SNAP_START
from stream_chat_local.runtime_api import EmulatedRuntimeApi
from stream_chat_local.snapshot_template import CONTROL_FD
from stream_chat_local.workers import Worker, WorkerPool

TEMPLATE_COMMAND = (sys.executable, "-m", "stream_chat_local.snapshot_template")


def supported() -> bool:
    """``fork()`` and pidfds: Linux (5.3 or later)."""
    return hasattr(os, "fork") and hasattr(os, "pidfd_open")


class SnapshotUnavailable(Exception):
    """The template's init failed (its report is in ``Snapshot.api.init_error``) or it died."""


class Snapshot:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.api = EmulatedRuntimeApi()
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            TEMPLATE_COMMAND,
            env={
                **env,
                "AWS_LAMBDA_RUNTIME_API": self.api.address,
                INITIALIZATION_TYPE: SNAP_START,
                CONTROL_FD: str(theirs.fileno()),
            },
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # as workers: Ctrl-C reaches serve only
        )
        theirs.close()
        self._control = ours
        self._replies = ours.makefile("rb")
        self._ready = False
        self._lock = threading.Lock()

    def fork(self, runtime_api: str) -> int:
        """A new restored copy talking to ``runtime_api``; its pid. The first call waits for
        the template's init."""
        with self._lock:
            try:
                if not self._ready:
                    self._ready = self._replies.readline() == b"ready\n"
                if self._ready:
                    self._control.sendall(f"{runtime_api}\n".encode())
                    reply = self._replies.readline()
                    if reply.strip().isdigit():
                        return int(reply)
            except OSError:
                pass
            self._ready = False
            raise SnapshotUnavailable(f"the snapshot template exited ({self.process.poll()})")

    def close(self) -> None:
        self._control.close()  # EOF: the template exits by itself
        self.process.terminate()
        try:
            self.process.wait(2.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._replies.close()
        self.api.close()


class ForkedProcess:
    """The part of ``Popen``'s interface the pool uses, for a process serve did not start."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._fd: int | None = None
        try:
            self._fd = os.pidfd_open(pid)
        except ProcessLookupError:  # gone already (and reaped by the template)
            self.returncode = -1

    def poll(self) -> int | None:
        return self.returncode if self._wait(0) else None

    def wait(self, timeout: float | None = None) -> int:
        if not self._wait(timeout):
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _wait(self, timeout: float | None) -> bool:
        if self._fd is None:
            return True
        if not select.select([self._fd], [], [], timeout)[0]:
            return False
        os.close(self._fd)
        self._fd, self.returncode = None, -1  # its status went to the template, its parent
        return True

    def _signal(self, signum: int) -> None:
        if self._fd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._fd, signum)


class ExitedProcess(ForkedProcess):
    """A worker that could not be forked: dead from the start, as a worker whose init failed."""

    def __init__(self) -> None:
        self.pid = 0
        self.returncode = 1
        self._fd = None


class ForkedWorker(Worker):
    def __init__(self, snapshot: Snapshot) -> None:
        self.api = EmulatedRuntimeApi()
        self.api.release_restore()
        self.started_at = time.time()
        self.process: ForkedProcess  # type: ignore[assignment]  # Popen's interface, in part
        try:
            self.process = ForkedProcess(snapshot.fork(self.api.address))
        except SnapshotUnavailable as exc:
            self.api.init_error = snapshot.api.init_error or {
                "errorType": "Runtime.ExitError",
                "errorMessage": str(exc),
            }
            self.process = ExitedProcess()


class SnapshotPool(WorkerPool):
    """A pool whose workers are forked from one snapshot, which it starts and stops."""

    def __init__(self, env: Mapping[str, str], size: int) -> None:
        super().__init__(env, size)
        self.snapshot = Snapshot(self.env)

    def close(self) -> None:
        super().close()
        self.snapshot.close()

    def _spawn(self) -> Worker:
        worker = ForkedWorker(self.snapshot)
        self._all.add(worker)
        return worker
