"""The deployed page: assets under one content-hashed version directory, the entry page pointing
there, local-only files left behind."""

from __future__ import annotations

from pathlib import Path

from infra.page_assets import stage_page, versioned

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
