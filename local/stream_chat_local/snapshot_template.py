"""``python -m stream_chat_local.snapshot_template``: the initialised worker that every
``serve --snap-start`` worker is forked from, a stand-in for a SnapStart snapshot.

It runs the runtime's own init (the handler module and its clients) and before-snapshot hooks,
then stops where Lambda takes the snapshot: before ``/restore/next``. From there it only forks.
Each child is a restored copy: it closes what it inherited from the template (the control
socket; the template's Runtime API connection was closed before any fork), points at its own
emulated Runtime API, asks ``/restore/next``, runs the after-restore hooks and serves
invocations, all through the same runtime functions that run on Lambda
(``stream_chat.runtime.loop`` and ``snapstart``). ``fork()`` gives each child the template's
memory copy-on-write, as a restore gives each instance the snapshot's; unlike a restore it copies
only the forking thread, so what keeps a thread of its own renews it in the child
(``os.register_at_fork``, as ``stream_chat.shutdown`` does). The template forks from its main
thread, whose state is consistent between two requests it reads.

Serve speaks to the template over a socket whose descriptor is in ``STREAM_CHAT_SNAPSHOT_FD``:
the template writes ``ready`` once its init is done, then answers each line (the Runtime API
address of a new worker) with the pid of the child it forked. EOF there means serve is gone:
the template exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from types import FrameType
from typing import BinaryIO

from stream_chat.runtime import loop, snapstart
from stream_chat.runtime.api import RuntimeApi

CONTROL_FD = "STREAM_CHAT_SNAPSHOT_FD"


def main() -> int:
    control = socket.socket(fileno=int(os.environ.pop(CONTROL_FD)))
    api = RuntimeApi(os.environ.get("AWS_LAMBDA_RUNTIME_API", ""))
    handler = loop.initialise(api)
    if isinstance(handler, int):
        return handler
    status = snapstart.before_snapshot(api)
    if status is not None:
        return status
    api.close()  # nothing open goes into the snapshot
    signal.signal(signal.SIGCHLD, _reap)
    control.sendall(b"ready\n")
    requests = control.makefile("rb")
    for line in requests:
        pid = _fork((requests, control), line.decode().strip(), handler)
        control.sendall(f"{pid}\n".encode())
    return 0


def _fork(inherited: tuple[BinaryIO, socket.socket], address: str, handler: loop.Handler) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for resource in inherited:  # both: the socket's descriptor lives until its file is closed
        resource.close()
    os.environ["AWS_LAMBDA_RUNTIME_API"] = address
    status = 2
    try:
        status = restored(RuntimeApi(address), handler)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)  # never return into the template's loop


def restored(api: RuntimeApi, handler: loop.Handler) -> int:
    """A restored copy: ``/restore/next``, after-restore hooks, then invocations."""
    status = snapstart.await_restore(api) or snapstart.after_restore(api)
    if status is not None:
        return status
    return loop.serve(api, handler)


def _reap(signum: int, frame: FrameType | None) -> None:
    # The template's children are the workers: their exit statuses are serve's to ignore.
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


if __name__ == "__main__":
    sys.exit(main())
