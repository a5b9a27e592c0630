"""SIGTERM: every stream in flight ends with a ``shutdown`` error frame, then ``done``.

Lambda sends SIGTERM to the runtime before it stops an execution environment and SIGKILLs it
soon after; ``stream-chat serve`` does the same to its workers when it stops. Left to the default,
the process would die mid-stream and the client would see a body cut off with no final frame.
Instead each open stream is handed a ``ShuttingDown`` failure, which its relay turns into the
same well-formed ending as any other error (and the upstream request is aborted on the way).
With no stream open the process exits at once, with the status a SIGTERM death would give.

A Python signal handler runs in the main thread between two bytecodes, possibly while that thread
holds a queue's lock, so it only writes a byte to a pipe; a watcher thread does the rest with
ordinary locks.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

EXIT_STATUS = 128 + signal.SIGTERM  # what a shell reports for a process SIGTERM killed


class Shutdown:
    """The process-wide shutdown notice and the streams that must hear it."""

    def __init__(self, exit_when_idle: Callable[[int], None] = os._exit) -> None:
        self.requested = False
        self._streams: dict[int, Callable[[], None]] = {}
        self._lock = threading.Lock()
        self._exit = exit_when_idle
        self._installed = False
        self._pipe = (-1, -1)

    def install(self) -> None:
        """Catch SIGTERM from now on; only the main thread can (elsewhere this does nothing)."""
        if self._installed or threading.current_thread() is not threading.main_thread():
            return
        read_fd, write_fd = os.pipe()
        signal.signal(signal.SIGTERM, lambda signum, frame: os.write(write_fd, b"T"))
        threading.Thread(
            target=self._wait_for_signal, args=(read_fd,), name="shutdown", daemon=True
        ).start()
        if self._pipe == (-1, -1):  # the first install only
            os.register_at_fork(after_in_child=self._reinstall_in_child)
        self._installed = True
        self._pipe = (read_fd, write_fd)

    def _reinstall_in_child(self) -> None:
        """A forked copy (``serve --snap-start``) has no watcher thread (fork copies only the
        calling thread) and shares the pipe with its parent: it gets its own of both."""
        for fd in self._pipe:
            os.close(fd)
        self._installed = False
        self.install()

    @contextmanager
    def watching(self, on_shutdown: Callable[[], None]) -> Iterator[None]:
        """Call ``on_shutdown`` (once, from another thread) if shutdown comes while inside."""
        key = id(on_shutdown)
        with self._lock:
            self._streams[key] = on_shutdown
            already = self.requested
        if already:
            on_shutdown()
        try:
            yield
        finally:
            with self._lock:
                self._streams.pop(key, None)

    def trigger(self) -> None:
        """Tell every open stream to end; exit now if there is none."""
        with self._lock:
            self.requested = True
            streams = list(self._streams.values())
        if not streams:
            sys.stdout.flush()
            sys.stderr.flush()
            self._exit(EXIT_STATUS)
            return
        for on_shutdown in streams:
            on_shutdown()

    def _wait_for_signal(self, read_fd: int) -> None:
        os.read(read_fd, 1)
        self.trigger()


PROCESS_SHUTDOWN = Shutdown()
