"""The page as the site serves it: every asset under ``assets/<version>/``, named by a hash of
all of them, so browsers and CloudFront may keep them for a year; ``index.html`` (rewritten to
point there) and ``config.json`` are the only entry points, and are never cached.

One version directory for the whole set, not a hash per file: the modules import each other by
relative paths, which then stay valid without rewriting any JavaScript.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENTRY_PAGE = "index.html"
# Made for `make dev` (config, vendor copies), for the type checker, or read to copy the vendor
# files; never deployed as they are.
LOCAL_ONLY = ("config.json", "jsconfig.json", "highlight-grammars.json")
LOCAL_ONLY_DIRS = ("vendor",)
VERSION_LENGTH = 16
ESBUILD = Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / "esbuild"
# Relative references in the entry page: not fragments, absolute paths or URLs with a scheme.
_REFERENCE = re.compile(r'\b(href|src)="(?![#/]|[a-z][a-z0-9+.-]*:)([^"]+)"')


@dataclass(frozen=True)
class StagedPage:
    """Two directories to deploy: the versioned assets, and the rewritten entry page."""

    version: str
    assets: Path
    entry: Path


def page_files(web_dir: Path, vendor_files: Mapping[str, Path]) -> dict[str, Path]:
    """Every file the page loads, by its path relative to the page."""
    files = {
        path.relative_to(web_dir).as_posix(): path
        for path in sorted(web_dir.rglob("*"))
        if path.is_file() and _deployed(path.relative_to(web_dir))
    }
    for site_path, source in vendor_files.items():
        if not source.is_file():
            raise FileNotFoundError(f"{source} is missing: run `npm ci` first")
        files[site_path] = source
    return files


def stage_page(web_dir: Path, vendor_files: Mapping[str, Path], staging: Path) -> StagedPage:
    """Copy the page into ``staging``, versioned by the hash of everything it loads."""
    files = page_files(web_dir, vendor_files)
    digest = hashlib.sha256()
    for site_path, source in sorted(files.items()):
        digest.update(site_path.encode() + b"\0" + source.read_bytes() + b"\0")
    version = digest.hexdigest()[:VERSION_LENGTH]
    assets, entry = staging / "assets", staging / "entry"
    shutil.rmtree(staging, ignore_errors=True)
    for site_path, source in files.items():
        target = assets / "assets" / version / site_path
        target.parent.mkdir(parents=True, exist_ok=True)
        if site_path in vendor_files and not source.name.endswith(".min.js"):
            minify(source, target)
        else:
            shutil.copyfile(source, target)
    entry.mkdir(parents=True)
    page = (web_dir / ENTRY_PAGE).read_text(encoding="utf-8")
    (entry / ENTRY_PAGE).write_text(versioned(page, version), encoding="utf-8")
    return StagedPage(version=version, assets=assets, entry=entry)


def minify(source: Path, target: Path) -> None:
    """A browser library's ES module, minified by esbuild (the npm package, from the lockfile)."""
    if not ESBUILD.is_file():
        raise FileNotFoundError(f"{ESBUILD} is missing: run `npm ci` first")
    subprocess.run(
        [
            str(ESBUILD),
            str(source),
            "--minify",
            "--format=esm",
            "--log-level=warning",
            f"--outfile={target}",
        ],
        check=True,
    )


def versioned(page: str, version: str) -> str:
    """``page`` with each relative reference pointing into ``assets/<version>/``."""
    return _REFERENCE.sub(lambda m: f'{m[1]}="assets/{version}/{m[2]}"', page)


def _deployed(relative: Path) -> bool:
    if relative.parts[0] in LOCAL_ONLY_DIRS or relative.as_posix() in LOCAL_ONLY:
        return False
    return relative.name != ENTRY_PAGE and not relative.name.endswith(".d.ts")
