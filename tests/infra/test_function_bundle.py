"""Local bundling installs exactly a lock, picks Lambda's wheels on any machine (offline here) and
never tries Docker.

pip runs for real against a local wheel directory (PIP_NO_INDEX, PIP_FIND_LINKS), with wheels
made in the test: one pure, one built only for x86_64, one for both CPUs, and locks that pin and
hash them as `make lock` does.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from infra.function_bundle import BundlingError, LocalPipBundling, asset_hash, function_code
from tests.support.locks import LAMBDA_LOCK, read_lock

pytestmark = pytest.mark.infra

X86 = "cp313-cp313-manylinux2014_x86_64"
ARM = "cp313-cp313-manylinux2014_aarch64"
# How cryptography ships: one abi3 wheel for every CPython >= 3.11, on newer glibc baselines.
ABI3_ARM = "cp311-abi3-manylinux_2_34_aarch64"
ABI3_X86 = "cp311-abi3-manylinux_2_34_x86_64"


def make_wheel(directory: Path, name: str, tag: str, requires: str = "") -> None:
    dist_info = f"{name}-1.0.dist-info"
    files = {
        f"{name}/__init__.py": f"TAG = {tag!r}\n",
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
        + (f"Requires-Dist: {requires}\n" if requires else ""),
        f"{dist_info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: "
        f"{'true' if tag.startswith('py3') else 'false'}\nTag: {tag}\n",
    }
    record = "".join(f"{path},,\n" for path in [*files, f"{dist_info}/RECORD"])
    with zipfile.ZipFile(directory / f"{name}-1.0-{tag}.whl", "w") as wheel:
        for path, text in {**files, f"{dist_info}/RECORD": record}.items():
            wheel.writestr(path, text)


@pytest.fixture
def wheels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "wheels"
    directory.mkdir()
    make_wheel(directory, "purepkg", "py3-none-any", requires="native")
    make_wheel(directory, "x86only", X86)
    make_wheel(directory, "native", X86)
    make_wheel(directory, "native", ARM)
    make_wheel(directory, "abi3pkg", ABI3_X86)
    make_wheel(directory, "abi3pkg", ABI3_ARM)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(directory))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    return directory


def lock(directory: Path, *names: str) -> Path:
    """A lock as `make lock` writes one: each name pinned, with the hashes of all its wheels."""
    entries = []
    for name in names:
        wheels = sorted(directory.glob(f"{name}-1.0-*.whl"))
        hashes = [f"--hash=sha256:{hashlib.sha256(w.read_bytes()).hexdigest()}" for w in wheels]
        entries.append(" \\\n    ".join([f"{name}==1.0", *hashes]) + "\n    # via test\n")
    path = directory.parent / f"lock-{'-'.join(names)}.txt"
    path.write_text("# uv pip compile test\n" + "".join(entries))
    return path


@pytest.fixture
def package(tmp_path: Path) -> Path:
    package = tmp_path / "src" / "stream_chat"
    (package / "__pycache__").mkdir(parents=True)
    (package / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"stale")
    (package / "handler.py").write_text("def lambda_handler(event, context): ...\n")
    (package / "bootstrap").write_text("#!/bin/sh\n")
    os.chmod(package / "bootstrap", 0o644)
    return package


def bundle(package: Path, lock_file: Path, out: Path) -> Path:
    out.mkdir()
    LocalPipBundling(package, lock_file).bundle(out)
    return out


def test_the_asset_is_the_package_plus_arm64_wheels(
    package: Path, wheels: Path, tmp_path: Path
) -> None:
    out = bundle(package, lock(wheels, "purepkg", "native"), tmp_path / "asset")
    assert (out / "stream_chat" / "handler.py").is_file()
    assert not (out / "stream_chat" / "__pycache__").exists()
    assert (out / "stream_chat" / "bootstrap").stat().st_mode & stat.S_IXUSR
    assert (out / "purepkg" / "__init__.py").is_file()
    # This machine may be x86_64; Lambda is arm64, so the arm64 wheel is the one installed.
    assert (out / "native" / "__init__.py").read_text() == f"TAG = {ARM!r}\n"
    assert not list(out.rglob("*.pyc"))


def test_only_the_lock_is_installed_not_what_its_packages_ask_for(
    package: Path, wheels: Path, tmp_path: Path
) -> None:
    out = bundle(package, lock(wheels, "purepkg"), tmp_path / "asset")
    assert (out / "purepkg" / "__init__.py").is_file()
    # purepkg requires native: the lock, not pip, decides the closure.
    assert not (out / "native").exists()


def test_abi3_wheels_on_lambdas_glibc_are_picked(
    package: Path, wheels: Path, tmp_path: Path
) -> None:
    out = bundle(package, lock(wheels, "abi3pkg"), tmp_path / "asset")
    assert (out / "abi3pkg" / "__init__.py").read_text() == f"TAG = {ABI3_ARM!r}\n"


def test_a_wheel_whose_hash_the_lock_does_not_list_is_refused(
    package: Path, wheels: Path, tmp_path: Path
) -> None:
    locked = lock(wheels, "purepkg")
    make_wheel(wheels, "purepkg", "py3-none-any", requires="something-else")
    with pytest.raises(BundlingError, match=r"(?i)hash"):
        bundle(package, locked, tmp_path / "asset")


@pytest.mark.parametrize(
    ("entry", "refusal"),
    [("purepkg>=1.0", "pinned with =="), ("purepkg==1.0", "Hashes are required")],
)
def test_an_entry_without_a_hash_is_refused(
    package: Path, wheels: Path, tmp_path: Path, entry: str, refusal: str
) -> None:
    unhashed = tmp_path / "unhashed.txt"
    unhashed.write_text(entry + "\n")
    with pytest.raises(BundlingError, match=refusal):
        bundle(package, unhashed, tmp_path / "asset")


def test_a_dependency_without_an_arm64_wheel_fails_loudly(
    package: Path, wheels: Path, tmp_path: Path
) -> None:
    with pytest.raises(BundlingError, match=r"manylinux2014_aarch64.*run make lock"):
        bundle(package, lock(wheels, "x86only"), tmp_path / "asset")


def test_a_package_without_its_bootstrap_is_refused(
    package: Path, wheels: Path, tmp_path: Path
) -> None:
    (package / "bootstrap").unlink()
    with pytest.raises(BundlingError, match="bootstrap"):
        bundle(package, lock(wheels, "purepkg"), tmp_path / "asset")


def test_the_function_ships_its_runtime_dependencies_and_nothing_of_dev_or_infra() -> None:
    shipped = set(read_lock(LAMBDA_LOCK).pinned())
    assert {"anthropic", "pyjwt", "cryptography", "boto3", "snapshot-restore-py"} <= shipped
    assert not shipped & {"pytest", "moto", "aws-cdk-lib", "uv", "uvicorn", "setuptools", "pip"}


def test_the_asset_hash_follows_the_source_and_the_lock(package: Path, wheels: Path) -> None:
    locked = lock(wheels, "purepkg")
    first = asset_hash(package, locked)
    (package / "__pycache__" / "other.cpython-313.pyc").write_bytes(b"not shipped")
    assert asset_hash(package, locked) == first
    assert asset_hash(package, lock(wheels, "purepkg", "native")) != first
    (package / "handler.py").write_text("def lambda_handler(event, context): return 1\n")
    assert asset_hash(package, locked) != first


def function_in_stack(package: Path, lock_file: Path, outdir: Path) -> cdk.App:
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Bundled")
    lambda_.Function(
        stack,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="stream_chat.handler.lambda_handler",
        code=function_code(package, lock_file),
    )
    return app


def bundled_assets(outdir: Path) -> list[Path]:
    return [p for p in outdir.glob("asset.*") if (p / "stream_chat").is_dir()]


def test_cdk_bundles_through_the_local_bundler_again_when_the_lock_changes(
    package: Path, wheels: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "cdk.out"
    function_in_stack(package, lock(wheels, "purepkg"), outdir).synth()
    (first,) = bundled_assets(outdir)
    assert (first / "purepkg" / "__init__.py").is_file()
    # Same package, same cdk.out, new lock: a new asset, not the last bundle reused.
    function_in_stack(package, lock(wheels, "purepkg", "native"), outdir).synth()
    (second,) = set(bundled_assets(outdir)) - {first}
    assert (second / "native" / "__init__.py").is_file()


def test_cdk_synth_fails_instead_of_trying_docker(
    package: Path, wheels: Path, tmp_path: Path
) -> None:
    with pytest.raises(Exception, match="pip could not install"):
        function_in_stack(package, lock(wheels, "x86only"), tmp_path / "cdk.out")
