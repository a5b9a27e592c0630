"""SIGTERM: every stream in flight ends with a ``shutdown`` error frame, then ``done``.

Left to the default, a process SIGTERMed mid-stream dies there, and its client sees a body cut
off with no final frame. Instead each open stream is handed a ``ShuttingDown`` failure, which its
relay turns into the same well-formed ending as any other error (and the upstream request is
aborted on the way). With no stream open the process exits at once, with the status a SIGTERM
death would give.

Who sends SIGTERM, and when:

- ``stream-chat serve`` sends it to every worker when it stops, busy or idle (and SIGKILL after
  a grace period). This is where streams are in flight when it comes, and what the handler is for.
- Lambda sends it only if at least one extension is registered. Its Shutdown phase lasts 0 ms for
  a function with no registered extension: the runtime is stopped without any signal it could
  catch, so nothing here runs. With an internal extension the phase lasts 500 ms; with an
  external one (a telemetry layer, say) 2,000 ms, of which the runtime gets up to 300 ms (500 ms
  if it also has an internal extension) before SIGKILL. Only external extensions receive the
  SHUTDOWN event: internal ones (threads of the runtime) may not register for it. The phase
  comes after an environment has had no invocation for a while, or for maintenance every few
  hours, between invocations: the runtime is waiting in ``/next``, no stream is open, and the
  process simply exits. An invocation that fails (function timeout, crash, out of memory) ends
  in a reset that "shuts down the runtime" mid-invocation, by a means AWS does not name; but
  Lambda has ended that invocation already, so a frame written then would reach no one. Streams
  end before Lambda's timeout by their own deadline (``deadline``) instead.

The deployed function registers no extension, so on Lambda the handler never runs. It is
installed there anyway: the init is the same code locally and on AWS (the tests exercise the
one that ships); without a signal it costs one pipe and one idle thread; and with an extension
added to a deployment the signal is real and is not lost: the loop waits in ``/next`` in plain
Python (``http.client``), where a signal interrupts the wait. (AWS's graceful-shutdown samples
do not work on Python 3.8 to 3.11: that is the managed runtime's native client, replaced here.)

- https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-shutdown
- https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html#runtimes-lifecycle-shutdown
  (limits, the reset after a failed invocation; the Register request: internal extensions
  "are not permitted to register for the Shutdown event")
- https://github.com/aws-samples/graceful-shutdown-with-aws-lambda (SIGTERM to the runtime when
  extensions are registered)

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
