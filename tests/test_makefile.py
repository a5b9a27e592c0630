"""`make` builds .venv with any Python 3.11 or newer, and says clearly when there is none."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def plan_venv(
    tmp_path: Path, pythons: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """`make -n` for the venv, in a copy of the Makefile, with only stub interpreters on PATH
    (each answers any question with its version, as `python -c` printing it would)."""
    for name in ("Makefile", "pyproject.toml", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, version in pythons.items():
        (stubs / name).write_text(f"#!/bin/sh\necho {version}\n")
        (stubs / name).chmod(0o755)
    return replan(tmp_path, *args)


def replan(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`make -n` for the venv again, in the copy `plan_venv` made."""
    assert MAKE is not None
    return subprocess.run(
        [MAKE, "-n", ".venv/bin/stream-chat", *args],
        cwd=tmp_path,
        env={"PATH": str(tmp_path / "bin"), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_only_a_too_old_python_fails_with_a_message_naming_what_is_missing(
    tmp_path: Path,
) -> None:
    result = plan_venv(tmp_path, {"python3": "3.9"})

    assert result.returncode != 0
    assert "Python 3.11 or newer is needed" in result.stderr
    assert "python3 is 3.9" in result.stderr
    assert "python3.11 not found" in result.stderr
    assert "make PY=" in result.stderr


def test_any_python_from_3_11_up_is_taken(tmp_path: Path) -> None:
    result = plan_venv(tmp_path, {"python3": "3.9", "python3.12": "3.12"})

    assert result.returncode == 0, result.stderr
    assert "python3.12 -m venv .venv" in result.stdout


def test_python3_itself_is_preferred_when_it_is_new_enough(tmp_path: Path) -> None:
    result = plan_venv(tmp_path, {"python3": "3.13", "python3.11": "3.11"})

    assert "python3 -m venv .venv" in result.stdout


def test_a_named_python_is_checked_too(tmp_path: Path) -> None:
    result = plan_venv(tmp_path, {"python3.10": "3.10", "python3": "3.12"}, "PY=python3.10")

    assert result.returncode != 0
    assert "python3.10 is 3.10" in result.stderr


def test_an_existing_venv_needs_no_python_on_path(tmp_path: Path) -> None:
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").touch()

    result = plan_venv(tmp_path, {"python3": "3.9"})

    assert result.returncode == 0, result.stderr
    assert "-m venv" not in result.stdout


def pip_installs(plan: str) -> list[str]:
    commands = (part.strip() for line in plan.splitlines() for part in line.split("&&"))
    return [command for command in commands if " install " in command]


def test_the_venvs_install_the_hash_checked_dev_lock_and_the_project_alone(
    tmp_path: Path,
) -> None:
    result = plan_venv(tmp_path, {"python3": "3.12"})

    locked, project = pip_installs(result.stdout)
    assert locked.split()[-2:] == ["-r", "requirements-dev.txt"]
    assert {"--require-hashes", "--no-deps"} <= set(locked.split())
    assert project.split()[-2:] == ["-e", "."]
    assert {"--no-deps", "--no-build-isolation"} <= set(project.split())


def test_a_changed_lock_reinstalls_the_venv(tmp_path: Path) -> None:
    plan_venv(tmp_path, {"python3": "3.12"})
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "stream-chat"):
        (bin_dir / name).touch()
    assert pip_installs(replan(tmp_path).stdout) == []

    later = (bin_dir / "stream-chat").stat().st_mtime + 10
    os.utime(tmp_path / "requirements.txt", (later, later))

    assert len(pip_installs(replan(tmp_path).stdout)) == 2
