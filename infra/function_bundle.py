"""The Lambda asset: the ``stream_chat`` package and its runtime dependencies, without Docker.

pip installs wheels for the function's platform (Python 3.13 on arm64) whatever machine runs the
synth, so a laptop or an x86_64 CI builds the same asset. Bundling never falls back to Docker: if
pip fails, synth fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

PLATFORM = "manylinux2014_aarch64"
# The Python 3.13 runtime runs on Amazon Linux 2023 (glibc 2.34): newer manylinux wheels work too,
# and some native dependencies (cryptography, under PyJWT) publish only those for aarch64.
PLATFORMS = ("manylinux_2_34_aarch64", "manylinux_2_28_aarch64", PLATFORM)
PYTHON_VERSION = "3.13"
BOOTSTRAP = "bootstrap"


class BundlingError(RuntimeError):
    """The asset could not be built locally."""


def runtime_requirements(pyproject: Path) -> tuple[str, ...]:
    """``[project].dependencies``: what runs in Lambda, listed once for pip and for the asset."""
    with pyproject.open("rb") as file:
        return tuple(tomllib.load(file)["project"]["dependencies"])


def pip_install_command(requirements: Sequence[str], target: Path) -> list[str]:
    """Install ``requirements`` for Lambda's interpreter and CPU into ``target``."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--target",
        str(target),
        *(flag for platform in PLATFORMS for flag in ("--platform", platform)),
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        # Only wheels: building an sdist would compile for this machine, not for Lambda.
        "--only-binary=:all:",
        "--no-compile",
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
        *requirements,
    ]


@jsii.implements(cdk.ILocalBundling)
class LocalPipBundling:
    """Copies the package to ``<asset>/<package name>/`` and pip-installs the dependencies."""

    def __init__(self, package_dir: Path, requirements: Sequence[str]) -> None:
        self.package_dir = package_dir
        self.requirements = tuple(requirements)

    # jsii passes the BundlingOptions positionally; they are not needed here.
    def try_bundle(self, output_dir: str, *_options: object, **_kwargs: object) -> bool:
        self.bundle(Path(output_dir))
        return True

    def bundle(self, output_dir: Path) -> None:
        """Build the asset in ``output_dir``; raise ``BundlingError`` rather than return half."""
        bootstrap = self.package_dir / BOOTSTRAP
        if not bootstrap.is_file():
            raise BundlingError(f"{bootstrap} is missing: AWS_LAMBDA_EXEC_WRAPPER points at it")
        package = output_dir / self.package_dir.name
        shutil.copytree(
            self.package_dir, package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        # Lambda runs the wrapper as a program, and keeps the mode bits of the zip.
        (package / BOOTSTRAP).chmod(0o755)
        if self.requirements:
            self._pip_install(output_dir)

    def _pip_install(self, output_dir: Path) -> None:
        command = pip_install_command(self.requirements, output_dir)
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BundlingError(
                f"pip could not install the function's dependencies for {PLATFORM} "
                f"(exit {result.returncode}):\n{result.stderr.strip()}"
            )


def function_code(package_dir: Path, requirements: Sequence[str]) -> lambda_.Code:
    """Asset code for the function, bundled on this machine at synth."""
    return lambda_.Code.from_asset(
        str(package_dir),
        bundling=cdk.BundlingOptions(
            # Required by the API; never pulled, because local bundling succeeds or raises.
            image=cdk.DockerImage.from_registry("local-bundling-only"),
            local=LocalPipBundling(package_dir, requirements),
        ),
    )
