"""The deployed page: assets under one content-hashed version directory, the entry page pointing
there, local-only files left behind."""

from __future__ import annotations

from pathlib import Path

from infra.page_assets import stage_page, versioned
from infra.stack import ROOT, VENDOR_FILES

PAGE = """<link rel="icon" href="favicon.svg">
<script src="js/theme.js"></script>
<a class="skip-link" href="#prompt">Skip</a>
<a href="https://example.com/x">out</a><a href="/root">root</a>"""


def test_only_relative_references_move_into_the_version() -> None:
    assert versioned(PAGE, "v1") == (
        '<link rel="icon" href="assets/v1/favicon.svg">\n'
        '<script src="assets/v1/js/theme.js"></script>\n'
        '<a class="skip-link" href="#prompt">Skip</a>\n'
        '<a href="https://example.com/x">out</a><a href="/root">root</a>'
    )


def test_the_version_follows_the_content(tmp_path: Path) -> None:
    web = tmp_path / "web"
    (web / "js").mkdir(parents=True)
    (web / "vendor").mkdir()
    (web / "index.html").write_text(PAGE)
    (web / "js" / "main.js").write_text("export {};")
    (web / "config.json").write_text("{}")
    (web / "vendor" / "local-copy.js").write_text("")
    (web / "js" / "types.d.ts").write_text("")
    library = tmp_path / "lib.js"
    library.write_text("export const lib = 1;")
    vendor = {"vendor/lib.js": library}

    first = stage_page(web, vendor, tmp_path / "stage")
    files = {p.relative_to(first.assets).as_posix() for p in first.assets.rglob("*") if p.is_file()}
    base = f"assets/{first.version}"
    assert files == {f"{base}/js/main.js", f"{base}/vendor/lib.js"}
    assert f'src="{base}/js/theme.js"' in (first.entry / "index.html").read_text()

    assert stage_page(web, vendor, tmp_path / "stage").version == first.version
    library.write_text("export const lib = 2;")
    assert stage_page(web, vendor, tmp_path / "stage").version != first.version


def test_make_web_vendor_copies_exactly_what_the_deployment_ships(tmp_path: Path) -> None:
    """`make dev` serves the same browser libraries, byte for byte, as the site (``make test``
    builds web/vendor before the tests)."""
    web = ROOT / "web"
    staged = stage_page(web, VENDOR_FILES, tmp_path / "stage")
    deployed = staged.assets / "assets" / staged.version
    assert _vendor_files(deployed) == _vendor_files(web), "after a change: make web/vendor"
    assert len(_vendor_files(web)) == len(VENDOR_FILES) > 20


def _vendor_files(page: Path) -> dict[str, bytes]:
    files = (path for path in (page / "vendor").rglob("*") if path.is_file())
    return {path.relative_to(page).as_posix(): path.read_bytes() for path in files}
