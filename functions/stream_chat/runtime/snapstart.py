"""The SnapStart lifecycle: before-snapshot hooks, ``/restore/next``, after-restore hooks.

With SnapStart, Lambda initialises a published version once, snapshots the whole execution
environment and later restores copies of it instead of initialising each new instance. A runtime
takes part by announcing the end of its init with ``GET /runtime/restore/next``: the snapshot is
taken while that request waits, and its answer (200) arrives in each restored copy. This module
does what the managed runtime's client does there, as read in
https://github.com/aws/aws-lambda-python-runtime-interface-client (``awslambdaric/bootstrap.py``:
``on_init_complete``; ``lambda_runtime_hooks_runner.py``; ``lambda_runtime_client.py``:
``restore_next`` expects 200, ``report_restore_error`` posts with the error-type header and
expects 202):

- ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`` turns the lifecycle on;
- before-snapshot hooks run in the reverse order of their registration, after-restore hooks in
  their order; both get the arguments they were registered with;
- a failure before the snapshot (a hook, or ``/restore/next`` itself) is reported to
  ``/runtime/init/error`` as ``Runtime.BeforeSnapshotError`` and the process exits 64;
- a failure after the restore goes to ``/runtime/restore/error`` as ``Runtime.AfterRestoreError``
  and the process exits 65.

Hooks are registered through ``snapshot_restore_py`` (https://github.com/aws/snapshot-restore-py:
``register_before_snapshot``, ``register_after_restore``, each ``(func, *args, **kwargs)``; the
registry the managed runtime ships and runs, so hooks that user code or libraries register there
keep working; we bundle it too) when it is importable; otherwise through this module's own
registry of the same shape. ``hooks`` is whichever is in use. Lambda's guide:
https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html

Restoring reuses the memory of one init in many instances, so the runtime itself reseeds
``random`` before any hook runs (the managed runtime leaves it to user code): two instances must
not draw the same numbers. Lambda allows after-restore work 10 s; ours stays in milliseconds.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Protocol

from stream_chat.runtime.api import RuntimeApi
from stream_chat.runtime.diagnostics import RuntimeFault, diagnose, log_error

INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAP_START = "snap-start"
BEFORE_SNAPSHOT_ERROR = "Runtime.BeforeSnapshotError"
AFTER_RESTORE_ERROR = "Runtime.AfterRestoreError"
EXIT_BEFORE_SNAPSHOT = 64
EXIT_AFTER_RESTORE = 65

Hook = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class Registry(Protocol):
    def register_before_snapshot(
        self, func: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Callable[..., Any]: ...

    def register_after_restore(
        self, func: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Callable[..., Any]: ...

    def get_before_snapshot(self) -> list[Hook]: ...

    def get_after_restore(self) -> list[Hook]: ...


class LocalHooks:
    """The registry's interface, for when ``snapshot_restore_py`` is not installed."""

    def __init__(self) -> None:
        self._before: list[Hook] = []
        self._after: list[Hook] = []

    def register_before_snapshot(
        self, func: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Callable[..., Any]:
        self._before.append((func, args, kwargs))
        return func

    def register_after_restore(
        self, func: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Callable[..., Any]:
        self._after.append((func, args, kwargs))
        return func

    def get_before_snapshot(self) -> list[Hook]:
        return self._before

    def get_after_restore(self) -> list[Hook]:
        return self._after


def _registry() -> Registry:
    try:
        import snapshot_restore_py
    except ImportError:
        return LocalHooks()
    managed: Registry = snapshot_restore_py
    return managed


hooks = _registry()


def register_before_snapshot(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    hooks.register_before_snapshot(func, *args, **kwargs)


def register_after_restore(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    hooks.register_after_restore(func, *args, **kwargs)


def enabled(environ: dict[str, str] | Any) -> bool:
    return bool(environ.get(INITIALIZATION_TYPE) == SNAP_START)


def run_before_snapshot() -> None:
    """Every before-snapshot hook, the last registered first; each runs once."""
    registered: list[Hook] = hooks.get_before_snapshot()
    try:
        while registered:
            func, args, kwargs = registered.pop()
            func(*args, **kwargs)
    except Exception as exc:
        raise RuntimeFault(BEFORE_SNAPSHOT_ERROR, f"a before-snapshot hook failed: {exc}") from exc


def run_after_restore() -> None:
    """Reseed ``random``, then every after-restore hook in the order registered."""
    random.seed()  # from os.urandom: each restored copy draws its own numbers
    registered: list[Hook] = hooks.get_after_restore()
    try:
        for func, args, kwargs in registered:
            func(*args, **kwargs)
    except Exception as exc:
        raise RuntimeFault(AFTER_RESTORE_ERROR, f"an after-restore hook failed: {exc}") from exc


def take_part(api: RuntimeApi) -> int | None:
    """The whole lifecycle at the end of init: None when restored, else the exit status."""
    return before_snapshot(api) or await_restore(api) or after_restore(api)


def before_snapshot(api: RuntimeApi) -> int | None:
    try:
        run_before_snapshot()
    except RuntimeFault as fault:
        return _fail(fault, api.post_init_error, EXIT_BEFORE_SNAPSHOT)
    return None


def await_restore(api: RuntimeApi) -> int | None:
    """Block in ``/restore/next`` while the snapshot is taken; it returns in a restored copy."""
    try:
        api.restore_next()
    except Exception as exc:
        fault = RuntimeFault(BEFORE_SNAPSHOT_ERROR, f"/restore/next failed: {exc}")
        fault.__cause__ = exc
        return _fail(fault, api.post_init_error, EXIT_BEFORE_SNAPSHOT)
    return None


def after_restore(api: RuntimeApi) -> int | None:
    try:
        run_after_restore()
    except RuntimeFault as fault:
        return _fail(fault, api.post_restore_error, EXIT_AFTER_RESTORE)
    return None


def _fail(fault: RuntimeFault, report: Callable[[dict[str, Any]], None], code: int) -> int:
    log_error(None, fault)
    try:
        report(diagnose(fault))
    except Exception as exc:  # the exit status still tells Lambda what happened
        log_error(None, exc)
    return code
