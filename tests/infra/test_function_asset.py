"""The function's asset, bundled for real from the Lambda lock, holds exactly the lock and the
package's own files.

It is built here, by the bundler `make synth` runs, from the lock and the package as they are now,
rather than read from cdk.out: that one may be missing or older than the lock. pip fetches the
wheels from the package index (or its cache) for Lambda's platform.
"""

from __future__ import annotations

import csv
import posixpath
import re
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from infra.function_bundle import BOOTSTRAP, LocalPipBundling
from tests.support.locks import FIX, LAMBDA_LOCK, ROOT, read_lock

pytestmark = pytest.mark.infra

AARCH64 = 183  # ELF e_machine of arm64
_DIST_INFO = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)\.dist-info$")
PACKAGE = ROOT / "functions" / "stream_chat"
# pip --target installs into a home scheme first (modules in lib/python, scripts in bin), and
# RECORD names each file relative to lib/python: a script is ../../bin/<name>.
_RECORD_BASE = "lib/python"


@pytest.fixture(scope="module")
def asset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("function-asset")
    LocalPipBundling(ROOT / "functions" / "stream_chat", LAMBDA_LOCK).bundle(out)
    return out


def installed(asset: Path) -> dict[str, Version]:
    found = {}
    for dist_info in asset.glob("*.dist-info"):
        match = _DIST_INFO.match(dist_info.name)
        assert match, dist_info.name
        found[canonicalize_name(match["name"])] = Version(match["version"])
    return found


def test_the_asset_holds_each_locked_distribution_at_its_version_and_nothing_else(
    asset: Path,
) -> None:
    locked = read_lock(LAMBDA_LOCK).pinned()
    shipped = installed(asset)
    missing = {name: str(v) for name, v in locked.items() if shipped.get(name) != v}
    extra = {name: str(v) for name, v in shipped.items() if locked.get(name) != v}
    assert not missing and not extra, f"asset ≠ lock ({FIX}): lacks {missing}, adds {extra}"
    assert len(shipped) == len(locked) > 20


def test_every_native_library_in_the_asset_is_for_arm64(asset: Path) -> None:
    libraries = list(asset.rglob("*.so"))
    assert libraries, "the lock ships native code (cryptography, pydantic-core)"
    machines = {lib.relative_to(asset).as_posix(): _elf_machine(lib) for lib in libraries}
    assert {path for path, machine in machines.items() if machine != AARCH64} == set()


def test_the_package_ships_as_its_python_modules_and_its_wrapper(asset: Path) -> None:
    modules = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")}
    shipped = files_below(asset / PACKAGE.name)
    assert shipped == modules | {BOOTSTRAP, "py.typed"}
    tests = [m for m in modules if "tests" in m.split("/") or Path(m).name.startswith("test_")]
    assert tests == [], "tests live in tests/, never in the asset"
    # The local stores ship too: `serve` runs this very package, and Settings picks the store.
    assert {"stores/sqlite.py", "cancellation/sqlite.py", "limits/sqlite.py"} <= shipped


def test_every_other_file_is_one_a_locked_distribution_installed(asset: Path) -> None:
    recorded = {
        path
        for record in asset.glob("*.dist-info/RECORD")
        for path in installed_paths(record.read_text(encoding="utf-8"))
    }
    others = {path for path in files_below(asset) if not path.startswith(f"{PACKAGE.name}/")}
    assert others - recorded == set(), "neither the package nor a locked distribution"
    assert not {path for path in others if path.startswith("stream_chat_local")}
    assert len(others) > 1000


def files_below(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}


def installed_paths(record: str) -> set[str]:
    """The paths a RECORD lists, relative to the asset's root."""
    paths = set()
    for row in csv.reader(record.splitlines()):
        path = posixpath.normpath(posixpath.join(_RECORD_BASE, row[0]))
        paths.add(path.removeprefix(f"{_RECORD_BASE}/"))
    return paths


def _elf_machine(path: Path) -> int:
    with path.open("rb") as file:
        header = file.read(20)
    assert header[:4] == b"\x7fELF", path
    return int.from_bytes(header[18:20], "little")
