"""``serve``'s scratch directory (the local cancel store lives there), which never outlives it.

The directory is removed on every exit the process sees; one left by an exit it cannot see (a
``kill -9``, a power cut) carries its owner's process id in its name and is removed by the next
``serve`` once that process is gone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "stream-chat-"
OWNED = re.compile(rf"^{PREFIX}(?P<pid>\d+)-")


@contextmanager
def scratch_directory(root: Path | None = None) -> Iterator[Path]:
    """A fresh directory, removed on exit; stale ones of dead ``serve`` processes go first."""
    parent = Path(root or tempfile.gettempdir())
    remove_stale(parent)
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def remove_stale(parent: Path) -> list[Path]:
    """Remove this user's scratch directories whose process is gone; the ones removed."""
    removed = []
    for path in parent.glob(f"{PREFIX}*"):
        owner = OWNED.match(path.name)
        try:
            mine = path.is_dir() and not path.is_symlink() and path.stat().st_uid == os.getuid()
        except OSError:
            continue
        if owner and mine and not _alive(int(owner["pid"])):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
