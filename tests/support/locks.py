"""The locks as data, and where they disagree with pyproject.toml (the tests' one reader of both).

A lock is a requirements file as `make lock` writes it (uv): a header naming the command, then one
entry per distribution, ``name==version [; marker]``, its hashes, and ``# via`` lines naming what
asked for it — ``stream-chat (pyproject.toml)`` for this project's own requirements.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_LOCK = ROOT / "requirements.txt"
DEV_LOCK = ROOT / "requirements-dev.txt"
FIX = "run make lock"
PROJECT = "stream-chat (pyproject.toml)"
_HEADER = re.compile(r"^#\s+(uv pip compile .*)$", re.MULTILINE)
_VIA = re.compile(r"^#\s*(via\b)?\s*")


@dataclass(frozen=True)
class Pin:
    name: str
    version: Version
    marker: str
    hashes: tuple[str, ...]
    via: tuple[str, ...]


@dataclass(frozen=True)
class Lock:
    path: Path
    command: str
    pins: tuple[Pin, ...]

    def versions(self, name: str) -> set[Version]:
        return {pin.version for pin in self.pins if pin.name == canonicalize_name(name)}

    def pinned(self) -> dict[str, Version]:
        """Name → version, for a lock resolved for one platform (one version per name)."""
        return {pin.name: pin.version for pin in self.pins}

    def asked_by(self, source: str) -> set[str]:
        return {pin.name for pin in self.pins if source in pin.via}


def read_lock(path: Path) -> Lock:
    text = path.read_text()
    header = _HEADER.search(text)
    entries = re.split(r"\n(?=\S)", text.replace("\\\n", " "))
    pins = tuple(_pin(entry) for entry in entries if not entry.startswith("#"))
    return Lock(path, " ".join(header.group(1).split()) if header else "", pins)


def _pin(entry: str) -> Pin:
    line, *notes = entry.split("\n")
    requirement = Requirement(line.split(" --hash=")[0].strip())
    (specifier,) = requirement.specifier
    hashes = tuple(re.findall(r"--hash=(\S+)", line))
    via = [_VIA.sub("", note.strip()) for note in notes]
    marker = str(requirement.marker) if requirement.marker else ""
    name = canonicalize_name(requirement.name)
    return Pin(name, Version(specifier.version), marker, hashes, tuple(v for v in via if v))


def project_table(pyproject: Path) -> dict[str, Any]:
    with pyproject.open("rb") as file:
        return tomllib.load(file)


def runtime_requirements(project: dict[str, Any]) -> list[Requirement]:
    return [Requirement(text) for text in project["project"]["dependencies"]]


def dev_requirements(project: dict[str, Any]) -> list[Requirement]:
    extras = project["project"]["optional-dependencies"]
    return [*runtime_requirements(project), *map(Requirement, extras["dev"] + extras["infra"])]


def install_requirements(project: dict[str, Any]) -> list[Requirement]:
    return [Requirement(text) for text in project["dependency-groups"]["install"]]


def unmet(requirements: Iterable[Requirement], lock: Lock) -> Iterator[str]:
    """Each requirement the lock lacks, or pins at a version it does not allow."""
    for requirement in requirements:
        versions = lock.versions(requirement.name)
        if not versions:
            yield f"{requirement} is not in {lock.path.name}"
        for version in sorted(versions):
            if not requirement.specifier.contains(version, prereleases=True):
                yield f"{requirement} does not allow {requirement.name}=={version}"


def stale(requirements: Iterable[Requirement], lock: Lock, source: str = PROJECT) -> Iterator[str]:
    """Each entry the lock has for ``source`` that it no longer asks for."""
    wanted = {canonicalize_name(requirement.name) for requirement in requirements}
    for name in sorted(lock.asked_by(source) - wanted):
        yield f"{lock.path.name} pins {name} for {source}, which no longer asks for it"


def diverging(shipped: Lock, dev: Lock) -> Iterator[str]:
    """Each shipped distribution whose version in the dev lock is not the one that ships."""
    for name, version in sorted(shipped.pinned().items()):
        others = dev.versions(name) - {version}
        if not dev.versions(name):
            yield f"{name} ships as {version} but {dev.path.name} lacks it"
        elif others:
            found = ", ".join(map(str, sorted(others)))
            yield f"{name} ships as {version} but {dev.path.name} has {found}"
