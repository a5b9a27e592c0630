"""The function's asset, bundled for real from the Lambda lock, holds exactly the lock.

It is built here, by the bundler `make synth` runs, from the lock and the package as they are now,
rather than read from cdk.out: that one may be missing or older than the lock. pip fetches the
wheels from the package index (or its cache) for Lambda's platform.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from infra.function_bundle import LocalPipBundling
from tests.support.locks import FIX, LAMBDA_LOCK, ROOT, read_lock

pytestmark = pytest.mark.infra

AARCH64 = 183  # ELF e_machine of arm64
_DIST_INFO = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)\.dist-info$")


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


def _elf_machine(path: Path) -> int:
    with path.open("rb") as file:
        header = file.read(20)
    assert header[:4] == b"\x7fELF", path
    return int.from_bytes(header[18:20], "little")
