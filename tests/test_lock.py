"""pyproject.toml and the locks agree: what it asks for is pinned, at versions it allows, by the
command `make lock` runs, and what ships has one version everywhere. Offline: files and `make -n`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.support.locks import (
    DEV_LOCK,
    FIX,
    LAMBDA_LOCK,
    PROJECT,
    ROOT,
    Lock,
    dev_requirements,
    diverging,
    install_requirements,
    project_table,
    read_lock,
    runtime_requirements,
    stale,
    unmet,
)

PROJECT_TABLE = project_table(ROOT / "pyproject.toml")
INSTALL_GROUP = "stream-chat (pyproject.toml:install)"


@pytest.fixture(scope="module")
def lambda_lock() -> Lock:
    return read_lock(LAMBDA_LOCK)


@pytest.fixture(scope="module")
def dev_lock() -> Lock:
    return read_lock(DEV_LOCK)


def agree(problems: list[str]) -> None:
    assert not problems, f"pyproject.toml and the locks disagree ({FIX}):\n" + "\n".join(problems)


def test_the_lambda_lock_pins_each_runtime_requirement_at_a_version_it_allows(
    lambda_lock: Lock,
) -> None:
    runtime = runtime_requirements(PROJECT_TABLE)
    agree([*unmet(runtime, lambda_lock), *stale(runtime, lambda_lock)])


def test_the_dev_lock_pins_every_requirement_of_the_venvs(dev_lock: Lock) -> None:
    project = dev_requirements(PROJECT_TABLE)
    install = install_requirements(PROJECT_TABLE)
    agree(
        [
            *unmet([*project, *install], dev_lock),
            *stale(project, dev_lock),
            *stale(install, dev_lock, INSTALL_GROUP),
        ]
    )


def test_the_venvs_build_the_project_with_what_its_build_system_requires(dev_lock: Lock) -> None:
    build_system = [Requirement(text) for text in PROJECT_TABLE["build-system"]["requires"]]
    grouped = {requirement.name for requirement in install_requirements(PROJECT_TABLE)}
    assert {requirement.name for requirement in build_system} <= grouped
    agree(list(unmet(build_system, dev_lock)))


def test_what_ships_has_the_same_version_in_both_locks(lambda_lock: Lock, dev_lock: Lock) -> None:
    assert {"anthropic", "cryptography", "httpx2"} <= set(lambda_lock.pinned())
    agree(list(diverging(lambda_lock, dev_lock)))


def test_every_pin_is_exact_and_hashed(lambda_lock: Lock, dev_lock: Lock) -> None:
    unhashed = [
        f"{pin.name} in {lock.path.name}"
        for lock in (lambda_lock, dev_lock)
        for pin in lock.pins
        if not pin.hashes
    ]
    assert not unhashed, f"pins without a hash ({FIX}): {unhashed}"
    # Resolved for one platform: no marker, one version each.
    assert not [pin for pin in lambda_lock.pins if pin.marker]
    assert len(lambda_lock.pinned()) == len(lambda_lock.pins)


def lock_recipe() -> dict[str, str]:
    """The commands `make lock` runs, by the lock each writes, as uv records them."""
    make = shutil.which("make")
    assert make is not None, "make is needed to read the lock recipe"
    result = subprocess.run(
        [make, "-n", "lock", "UPGRADE="],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = result.stdout.replace("\\\n", " ").splitlines()
    commands = [" ".join(line.split()) for line in lines if " pip compile " in line]
    recorded = [c.replace(" --quiet", "").split("/bin/", 1)[-1] for c in commands]
    return {command.rsplit(" -o ", 1)[-1]: command for command in recorded}


def test_each_lock_was_written_by_the_command_make_lock_runs(
    lambda_lock: Lock, dev_lock: Lock
) -> None:
    recipe = lock_recipe()
    for lock in (lambda_lock, dev_lock):
        name = lock.path.relative_to(ROOT).as_posix()
        assert lock.command == recipe[name], f"{name} was made otherwise ({FIX})"
    assert "--python-platform aarch64-manylinux_2_34" in lambda_lock.command
    assert f"--constraints {LAMBDA_LOCK.relative_to(ROOT).as_posix()}" in dev_lock.command


# The checks themselves, on a pyproject.toml that moved on without `make lock`.


def test_a_new_requirement_or_one_the_pin_breaks_is_named(lambda_lock: Lock) -> None:
    moved = [Requirement("anthropic>=99"), Requirement("left-pad>=1")]
    problems = list(unmet(moved, lambda_lock))
    assert [p.split(" ")[0] for p in problems] == ["anthropic>=99", "left-pad>=1"]
    assert "is not in requirements.txt" in problems[1]


def test_a_requirement_dropped_from_pyproject_is_named(lambda_lock: Lock) -> None:
    fewer = [r for r in runtime_requirements(PROJECT_TABLE) if r.name != "snapshot-restore-py"]
    assert list(stale(fewer, lambda_lock)) == [
        f"requirements.txt pins snapshot-restore-py for {PROJECT}, which no longer asks for it"
    ]


def test_a_dev_lock_that_strays_from_what_ships_is_named(
    lambda_lock: Lock, dev_lock: Lock, tmp_path: Path
) -> None:
    version = lambda_lock.pinned()["anthropic"]
    shipped = lambda_lock.pinned()["cryptography"]
    strayed = tmp_path / "requirements-dev.txt"
    strayed.write_text(
        DEV_LOCK.read_text()
        .replace(f"\nanthropic=={version} ", "\nanthropic==2.0.0 ")
        .replace("\ncryptography==", "\nnot-cryptography==")
    )
    assert list(diverging(lambda_lock, read_lock(strayed))) == [
        f"anthropic ships as {version} but requirements-dev.txt has 2.0.0",
        f"cryptography ships as {shipped} but requirements-dev.txt lacks it",
    ]
