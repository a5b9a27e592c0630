"""The layout is the one ``docs/architecture.md`` draws: every part of the function's package is
named there, every box of its diagram exists, the root stays small, and imports go one way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "functions" / "stream_chat"
DOC = (ROOT / "docs" / "architecture.md").read_text()
MAX_ROOT_MODULES = 12
# Layers, lowest first: a module may import its own layer and the ones before it. A package sits
# in one layer, but for the modules named on their own (the price table and the names CloudWatch
# knows are read by the settings and the infra, below the rest of accounting).
LAYERS = [
    {"runtime"},
    {"protocol", "accounting.names", "accounting.pricing"},
    {"settings", "errors", "deadline", "restore", "shutdown", "routes", "stores"},
    {"accounting.endings", "accounting.refusals", "attachments"},
    {"json_response", "access", "cancellation", "limits", "journal", "chat_request", "providers"},
    {"accounting"},
    {"answer"},
    {"handler", "cancel_handler", "resume_handler"},
]


def parts() -> set[str]:
    """The package's top-level modules and subpackages."""
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    return modules | packages


def diagram() -> str:
    return DOC.split("## The three paths", 1)[1].split("```", 2)[1]


def test_the_root_has_at_most_a_dozen_modules() -> None:
    modules = [p for p in PACKAGE.glob("*.py") if p.stem != "__init__"]
    assert len(modules) <= MAX_ROOT_MODULES, sorted(p.stem for p in modules)


def test_every_part_of_the_package_has_its_role_written_down() -> None:
    table = DOC.split("## Packages by role", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([a-z_]+)/?`", table))
    assert parts() - named == set()


def test_every_box_of_the_diagram_is_a_module_or_a_subpackage() -> None:
    boxes = set(re.findall(r"(?<![/\w{])([a-z_]+/(?:[a-z_]+)?)", diagram()))
    assert boxes, "the diagram names its boxes as package/ or package/module"
    for box in boxes:
        package, _, module = box.partition("/")
        path = PACKAGE / package
        assert (path / "__init__.py").is_file(), box
        assert not module or (path / f"{module}.py").is_file(), box
    for module in ("handler", "cancel_handler", "resume_handler"):
        assert re.search(rf"\b{module}\b", diagram())


def layer(dotted: str) -> int:
    """The layer of ``package.module`` (or of a top-level module)."""
    package = dotted.split(".", maxsplit=1)[0]
    key = dotted if any(dotted in members for members in LAYERS) else package
    (index,) = [i for i, members in enumerate(LAYERS) if key in members]
    return index


def imported_parts(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {".".join(n.split(".")[1:3]) for n in names if n.startswith("stream_chat.")}
    return found


def test_imports_go_one_way_from_the_entry_points_down_to_the_runtime() -> None:
    assert parts() - {key.split(".")[0] for key in set().union(*LAYERS)} == set()
    upward = [
        f"{name} imports {other}"
        for path in PACKAGE.rglob("*.py")
        if (name := ".".join(path.relative_to(PACKAGE).with_suffix("").parts[:2]))
        for other in imported_parts(path)
        if layer(other) > layer(name)
    ]
    assert upward == []


def test_nothing_in_the_functions_imports_local_tooling() -> None:
    for path in (ROOT / "functions").rglob("*.py"):
        assert "stream_chat_local" not in path.read_text(), path
