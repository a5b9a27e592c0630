"""The Lambda asset: the ``stream_chat`` package and the locked dependencies, without Docker.

pip installs exactly the lock (``requirements.txt``: every version pinned, every file
hash-checked, no dependency resolved at synth) as wheels for the function's platform (Python 3.13
on arm64), whatever machine runs the synth, so a laptop or an x86_64 CI builds the same asset.
Bundling never falls back to Docker: if pip fails, synth fails.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

PLATFORM = "manylinux2014_aarch64"
# The Python 3.13 runtime runs on Amazon Linux 2023 (glibc 2.34): newer manylinux wheels work too,
# and some native dependencies (cryptography, under PyJWT) publish only those for aarch64. The
# lock is resolved for the same platform (`make lock`).
PLATFORMS = ("manylinux_2_34_aarch64", "manylinux_2_28_aarch64", PLATFORM)
PYTHON_VERSION = "3.13"
BOOTSTRAP = "bootstrap"
_NOT_SHIPPED = ("__pycache__", "*.pyc")


class BundlingError(RuntimeError):
    """The asset could not be built locally."""


def pip_install_command(lock: Path, target: Path) -> list[str]:
    """Install the pinned, hashed requirements of ``lock`` for Lambda's interpreter and CPU."""
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
        # The lock is the whole closure: pip checks each file's hash and resolves nothing.
        "--require-hashes",
        "--no-deps",
        "--no-compile",
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
        "--requirement",
        str(lock),
    ]


def asset_hash(package_dir: Path, lock: Path) -> str:
    """What the asset is made of: the package's files, the lock and the target platform.

    The CDK's own source hash sees only the package directory, so a new lock would reuse the
    last bundle in cdk.out and deploy nothing new.
    """
    digest = hashlib.sha256()
    shipped = (p for p in package_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in sorted(p for p in shipped if p.suffix != ".pyc"):
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(b"lock\0" + lock.read_bytes())
    digest.update(" ".join((PYTHON_VERSION, *PLATFORMS)).encode())
    return digest.hexdigest()


@jsii.implements(cdk.ILocalBundling)
class LocalPipBundling:
    """Copies the package to ``<asset>/<package name>/`` and pip-installs the lock beside it."""

    def __init__(self, package_dir: Path, lock: Path) -> None:
        self.package_dir = package_dir
        self.lock = lock

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
        shutil.copytree(self.package_dir, package, ignore=shutil.ignore_patterns(*_NOT_SHIPPED))
        # Lambda runs the wrapper as a program, and keeps the mode bits of the zip.
        (package / BOOTSTRAP).chmod(0o755)
        self._pip_install(output_dir)

    def _pip_install(self, output_dir: Path) -> None:
        command = pip_install_command(self.lock, output_dir)
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BundlingError(
                f"pip could not install {self.lock.name} for {PLATFORM} (exit "
                f"{result.returncode}; after a change to pyproject.toml, run make lock):\n"
                f"{result.stderr.strip()}"
            )


def function_code(package_dir: Path, lock: Path) -> lambda_.Code:
    """Asset code for the function, bundled on this machine at synth from ``lock``."""
    return lambda_.Code.from_asset(
        str(package_dir),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        asset_hash=asset_hash(package_dir, lock),
        bundling=cdk.BundlingOptions(
            # Required by the API; never pulled, because local bundling succeeds or raises.
            image=cdk.DockerImage.from_registry("local-bundling-only"),
            local=LocalPipBundling(package_dir, lock),
        ),
    )
