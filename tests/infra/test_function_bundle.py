"""Local bundling picks Lambda's wheels on any machine (offline here) and never tries Docker.

pip runs for real against a local wheel directory (PIP_NO_INDEX, PIP_FIND_LINKS), with wheels
made in the test: one pure, one built only for x86_64, one for both CPUs.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from infra.function_bundle import (
    BundlingError,
    LocalPipBundling,
    function_code,
    runtime_requirements,
)

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
X86 = "cp313-cp313-manylinux2014_x86_64"
ARM = "cp313-cp313-manylinux2014_aarch64"
# How cryptography ships: one abi3 wheel for every CPython >= 3.11, on newer glibc baselines.
ABI3_ARM = "cp311-abi3-manylinux_2_34_aarch64"
ABI3_X86 = "cp311-abi3-manylinux_2_34_x86_64"


def make_wheel(directory: Path, name: str, tag: str) -> None:
    dist_info = f"{name}-1.0.dist-info"
    files = {
        f"{name}/__init__.py": f"TAG = {tag!r}\n",
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
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
    make_wheel(directory, "purepkg", "py3-none-any")
    make_wheel(directory, "x86only", X86)
    make_wheel(directory, "native", X86)
    make_wheel(directory, "native", ARM)
    make_wheel(directory, "abi3pkg", ABI3_X86)
    make_wheel(directory, "abi3pkg", ABI3_ARM)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(directory))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    return directory


@pytest.fixture
def package(tmp_path: Path) -> Path:
    package = tmp_path / "src" / "stream_chat"
    (package / "__pycache__").mkdir(parents=True)
    (package / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"stale")
    (package / "handler.py").write_text("def lambda_handler(event, context): ...\n")
    (package / "bootstrap").write_text("#!/bin/sh\n")
    os.chmod(package / "bootstrap", 0o644)
    return package


def test_the_asset_is_the_package_plus_arm64_wheels(
    package: Path, wheels: Path, tmp_path: Path
) -> None:
    out = tmp_path / "asset"
    out.mkdir()
    LocalPipBundling(package, ["purepkg", "native"]).bundle(out)
    assert (out / "stream_chat" / "handler.py").is_file()
    assert not (out / "stream_chat" / "__pycache__").exists()
    assert (out / "stream_chat" / "bootstrap").stat().st_mode & stat.S_IXUSR
    assert (out / "purepkg" / "__init__.py").is_file()
    # This machine may be x86_64; Lambda is arm64, so the arm64 wheel is the one installed.
    assert (out / "native" / "__init__.py").read_text() == f"TAG = {ARM!r}\n"
    assert not list(out.rglob("*.pyc"))


def test_abi3_wheels_on_lambdas_glibc_are_picked(
    package: Path, wheels: Path, tmp_path: Path
) -> None:
    out = tmp_path / "asset"
    out.mkdir()
    LocalPipBundling(package, ["abi3pkg"]).bundle(out)
    assert (out / "abi3pkg" / "__init__.py").read_text() == f"TAG = {ABI3_ARM!r}\n"


def test_the_jwt_library_and_its_crypto_are_runtime_dependencies() -> None:
    names = {
        r.split("[")[0].split(">")[0].lower() for r in runtime_requirements(ROOT / "pyproject.toml")
    }
    assert {"pyjwt", "cryptography"} <= names


def test_a_dependency_without_an_arm64_wheel_fails_loudly(
    package: Path, wheels: Path, tmp_path: Path
) -> None:
    with pytest.raises(BundlingError, match="manylinux2014_aarch64"):
        LocalPipBundling(package, ["x86only"]).bundle(tmp_path)


def test_a_package_without_its_bootstrap_is_refused(package: Path, tmp_path: Path) -> None:
    (package / "bootstrap").unlink()
    with pytest.raises(BundlingError, match="bootstrap"):
        LocalPipBundling(package, []).bundle(tmp_path / "asset")


def test_only_runtime_dependencies_go_into_the_function(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\ndependencies = ["anthropic>=2", "boto3"]\n'
        '[project.optional-dependencies]\ndev = ["pytest"]\ninfra = ["aws-cdk-lib"]\n'
    )
    assert runtime_requirements(pyproject) == ("anthropic>=2", "boto3")
    assert any(r.startswith("anthropic") for r in runtime_requirements(ROOT / "pyproject.toml"))


def function_in_stack(package: Path, requirements: list[str], outdir: Path) -> cdk.App:
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Bundled")
    lambda_.Function(
        stack,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="stream_chat.handler.lambda_handler",
        code=function_code(package, requirements),
    )
    return app


def test_cdk_bundles_through_the_local_bundler(package: Path, wheels: Path, tmp_path: Path) -> None:
    app = function_in_stack(package, ["purepkg"], tmp_path / "cdk.out")
    app.synth()
    assets = [p for p in (tmp_path / "cdk.out").glob("asset.*") if (p / "stream_chat").is_dir()]
    assert len(assets) == 1
    assert (assets[0] / "purepkg" / "__init__.py").is_file()


def test_cdk_synth_fails_instead_of_trying_docker(
    package: Path, wheels: Path, tmp_path: Path
) -> None:
    with pytest.raises(Exception, match="pip could not install"):
        function_in_stack(package, ["x86only"], tmp_path / "cdk.out")
