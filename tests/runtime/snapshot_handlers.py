"""A handler with SnapStart hooks, registered as user code registers them: through the managed
runtime's ``snapshot_restore_py``. ``TOY_FAILING_HOOK`` (``before`` or ``after``) adds a hook
that fails.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

from snapshot_restore_py import register_after_restore, register_before_snapshot

from tests.runtime.toy_handlers import params

SEED = 1234
HOOKS: list[str] = []
random.seed(SEED)  # init's random state: what a snapshot would carry into every restored copy


def refuse(stage: str) -> None:
    raise ValueError(f"the {stage} hook refused")


register_before_snapshot(HOOKS.append, "before-1")
register_before_snapshot(HOOKS.append, "before-2")
register_after_restore(HOOKS.append, "after-1")
register_after_restore(HOOKS.append, "after-2")
if os.environ.get("TOY_FAILING_HOOK") == "before":
    register_before_snapshot(refuse, "before-snapshot")
if os.environ.get("TOY_FAILING_HOOK") == "after":
    register_after_restore(refuse, stage="after-restore")


def report(event: Any, context: Any) -> dict[str, Any]:
    """What the hooks did and a random number; under ``serve``, after ``sleep_s`` (a parameter
    in the event's body), and which process answered."""
    time.sleep(params(event).get("sleep_s", 0))
    return {
        "hooks": HOOKS,
        "random": random.random(),
        "pid": os.getpid(),
        "ppid": os.getppid(),
    }
