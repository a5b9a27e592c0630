"""The function runs here on what ships: every package it imports is declared in pyproject.toml,
and this interpreter's environment has each shipped distribution at its locked version."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.locks import (
    LAMBDA_LOCK,
    ROOT,
    dev_requirements,
    project_table,
    read_lock,
    runtime_requirements,
)

FUNCTION = ROOT / "functions" / "stream_chat"
FIRST_PARTY = {"stream_chat"}
PROJECT = project_table(ROOT / "pyproject.toml")


def _under_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported(tree: ast.AST, typing_only: bool = False) -> Iterator[tuple[str, bool]]:
    """Each absolute import's top-level module, and whether only the type checker runs it."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name.split(".")[0], typing_only) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], typing_only
        else:
            checked = isinstance(node, ast.If) and _under_type_checking(node)
            yield from imported(node, typing_only or checked)


def third_party_imports(package: Path) -> dict[str, tuple[str, bool]]:
    """Module → (the first file importing it, whether every import of it is for typing only)."""
    found: dict[str, tuple[str, bool]] = {}
    for path in sorted(package.rglob("*.py")):
        where = str(path.relative_to(package.parent))
        for module, typing_only in imported(ast.parse(path.read_text(), str(path))):
            if module in sys.stdlib_module_names or module in FIRST_PARTY:
                continue
            first, was_typing_only = found.get(module, (where, True))
            found[module] = (first, was_typing_only and typing_only)
    return found


def declared(requirements: list[Requirement]) -> set[str]:
    """The distributions named, and those their extras add (``boto3-stubs[dynamodb]``)."""
    names = {canonicalize_name(requirement.name) for requirement in requirements}
    for requirement in requirements:
        for text in (metadata.requires(requirement.name) or []) if requirement.extras else []:
            added = Requirement(text)
            extras = ({"extra": extra} for extra in requirement.extras)
            if added.marker and any(added.marker.evaluate(extra) for extra in extras):
                names.add(canonicalize_name(added.name))
    return names


def undeclared(package: Path) -> list[str]:
    runtime = declared(runtime_requirements(PROJECT))
    dev = declared(dev_requirements(PROJECT))
    providers = metadata.packages_distributions()
    problems = []
    for module, (path, typing_only) in sorted(third_party_imports(package).items()):
        allowed = dev if typing_only else runtime
        where = "any extra" if typing_only else "[project].dependencies"
        distributions = {canonicalize_name(name) for name in providers.get(module, [])}
        if not distributions & allowed:
            given = ", ".join(sorted(distributions)) or "no installed distribution"
            problems.append(f"{module} (imported by {path}; from {given}) is not in {where}")
    return problems


def test_every_package_the_function_imports_is_declared() -> None:
    problems = undeclared(FUNCTION)
    assert not problems, "declare them in pyproject.toml, then run make lock:\n" + "\n".join(
        problems
    )


def test_an_undeclared_import_is_named_with_its_file(tmp_path: Path) -> None:
    package = tmp_path / "stream_chat"
    (package / "sub").mkdir(parents=True)
    (package / "sub" / "io.py").write_text(
        "import json\nimport anthropic\nfrom . import x\nfrom stream_chat import y\n"
        "def load():\n    import pytest\n    from not_installed_anywhere.sub import z\n"
    )
    (package / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import mypy_boto3_dynamodb\n"
        "    import trustme\nimport trustme\n"
    )
    problems = undeclared(package)
    modules = [problem.split(" ")[0] for problem in problems]
    assert modules == ["not_installed_anywhere", "pytest", "trustme"]
    assert "(imported by " in problems[0] and "sub/io.py" in problems[0]
    assert "from no installed distribution" in problems[0]
    assert "from pytest) is not in [project].dependencies" in problems[1]


def test_this_environment_has_what_ships_at_its_locked_versions() -> None:
    lock = read_lock(LAMBDA_LOCK)
    wrong = []
    for name, version in sorted(lock.pinned().items()):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "nothing"
        if installed != str(version):
            wrong.append(f"{name}: {installed} installed, {version} locked")
    message = f"{sys.prefix} is not what {LAMBDA_LOCK.name} ships (make rebuilds a venv from it):"
    assert not wrong, "\n".join([message, *wrong])
