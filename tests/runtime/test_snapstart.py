"""The SnapStart lifecycle against the recording Runtime API: hooks, ``/restore/next``, and both
error paths with the managed runtime's error types and exit statuses."""

from __future__ import annotations

import json
import random
import socket
import sys
import time

import pytest

from stream_chat.runtime import snapstart
from tests.runtime.conftest import StartRuntime
from tests.runtime.recorder import PREFIX, RecordingRuntimeApi
from tests.runtime.snapshot_handlers import SEED

HANDLER = "tests.runtime.snapshot_handlers.report"
SNAP_START = {"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}
RESTORE_NEXT = f"GET {PREFIX}/restore/next"
NEXT = f"GET {PREFIX}/invocation/next"


def answer(runtime_api: RecordingRuntimeApi) -> dict[str, object]:
    runtime_api.push({})
    result = runtime_api.find(f"POST {PREFIX}/invocation/req-1/response").json()
    assert isinstance(result, dict)
    return result


def test_hooks_run_around_restore_next_in_the_managed_runtime_order(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    start_runtime(HANDLER, **SNAP_START)
    runtime_api.find(RESTORE_NEXT)
    time.sleep(0.3)  # a runtime that did not wait for the restore would ask for /next now
    assert runtime_api.count(NEXT) == 0

    runtime_api.restored.set()

    result = answer(runtime_api)
    assert result["hooks"] == ["before-2", "before-1", "after-1", "after-2"]
    assert [r.line.split()[1] for r in runtime_api.requests][:2] == [
        f"{PREFIX}/restore/next",
        f"{PREFIX}/invocation/next",
    ]


def test_random_is_reseeded_after_restore(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime_api.restored.set()
    start_runtime(HANDLER, **SNAP_START)

    drawn = answer(runtime_api)["random"]

    assert drawn != random.Random(SEED).random(), "a restored copy repeats init's numbers"


def test_without_snap_start_there_is_no_lifecycle(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    start_runtime(HANDLER)

    result = answer(runtime_api)

    assert result["hooks"] == []
    assert result["random"] == random.Random(SEED).random()
    assert runtime_api.count(RESTORE_NEXT) == 0


def test_a_before_snapshot_failure_is_an_init_error_and_exit_64(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime = start_runtime(HANDLER, TOY_FAILING_HOOK="before", **SNAP_START)

    assert runtime.wait(timeout=20) == 64
    request = runtime_api.find(f"POST {PREFIX}/init/error", timeout=1)
    assert request.header("Lambda-Runtime-Function-Error-Type") == "Runtime.BeforeSnapshotError"
    report = request.json()
    assert report["errorType"] == "Runtime.BeforeSnapshotError"
    assert "the before-snapshot hook refused" in report["errorMessage"]
    assert any("snapshot_handlers.py" in line for line in report["stackTrace"])
    assert runtime_api.count("GET") == 0, "no snapshot and no /next after a failed hook"
    logged = [json.loads(line) for line in runtime.output().splitlines() if line.strip()]
    assert [r["errorType"] for r in logged] == ["Runtime.BeforeSnapshotError"]


def test_an_after_restore_failure_goes_to_restore_error_and_exit_65(
    runtime_api: RecordingRuntimeApi, start_runtime: StartRuntime
) -> None:
    runtime_api.restored.set()
    runtime = start_runtime(HANDLER, TOY_FAILING_HOOK="after", **SNAP_START)

    assert runtime.wait(timeout=20) == 65
    request = runtime_api.find(f"POST {PREFIX}/restore/error", timeout=1)
    assert request.header("Lambda-Runtime-Function-Error-Type") == "Runtime.AfterRestoreError"
    report = request.json()
    assert report["errorType"] == "Runtime.AfterRestoreError"
    assert "the after-restore hook refused" in report["errorMessage"]
    assert any("snapshot_handlers.py" in line for line in report["stackTrace"])
    assert runtime_api.count(NEXT) == 0
    assert runtime_api.count(f"POST {PREFIX}/init/error") == 0


def test_a_failed_restore_next_is_a_before_snapshot_error(start_runtime: StartRuntime) -> None:
    with socket.create_server(("127.0.0.1", 0)) as gone:  # nothing listens there any more
        address = f"127.0.0.1:{gone.getsockname()[1]}"
    runtime = start_runtime(HANDLER, AWS_LAMBDA_RUNTIME_API=address, **SNAP_START)

    assert runtime.wait(timeout=20) == 64
    logged = [json.loads(line) for line in runtime.output().splitlines() if line.strip()]
    assert logged[0]["errorType"] == "Runtime.BeforeSnapshotError"
    assert "/restore/next failed" in logged[0]["errorMessage"]


class TestLocalRegistry:
    """The registry used when ``snapshot_restore_py`` is not installed: the same contract."""

    def test_before_hooks_run_last_first_once_and_after_hooks_in_order(self) -> None:
        hooks = snapstart.LocalHooks()
        ran: list[str] = []
        hooks.register_before_snapshot(ran.append, "b1")
        hooks.register_before_snapshot(ran.append, "b2")
        hooks.register_after_restore(ran.append, "a1")
        hooks.register_after_restore(lambda *, name: ran.append(name), name="a2")

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(snapstart, "hooks", hooks)
            snapstart.run_before_snapshot()
            snapstart.run_before_snapshot()
            snapstart.run_after_restore()

        assert ran == ["b2", "b1", "a1", "a2"]

    def test_it_is_used_when_the_managed_registry_cannot_be_imported(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)
        assert isinstance(snapstart._registry(), snapstart.LocalHooks)

    def test_the_managed_registry_is_used_when_installed(self) -> None:
        import snapshot_restore_py

        assert snapstart.hooks is snapshot_restore_py
