"""The package's shape: every module imports, no import cycles (deferred imports included), small
modules with a docstring line, and views that import only from non-view modules."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "alskg"
MAX_LINES = 400


def module_name(path: Path) -> str:
    """Return the dotted module name of a source file."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path) -> set[str]:
    """Return the project modules a module imports anywhere in its body (functions included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("alskg"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("alskg"):
                target = node.module
            else:
                continue
            for alias in node.names:  # `from pkg import module` imports the module
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return {m for m in found if m in MODULES and m != name}


def cycles() -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan)."""
    graph = {name: imports_of(name, path) for name, path in MODULES.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for child in graph[node]:
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in on_stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in graph:
        if name not in index:
            visit(name)
    return found


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports(name: str) -> None:
    """Each module imports on its own (no hidden order dependence)."""
    if name == "alskg.__main__":  # importing it runs the CLI; its import is its one line
        assert "from .cli import main" in MODULES[name].read_text(encoding="utf-8")
        return
    importlib.import_module(name)


def test_no_import_cycles() -> None:
    """The import graph, function-level imports included, has no cycle."""
    assert cycles() == []


def test_modules_are_small_and_say_what_they_hold() -> None:
    """No module over 400 lines; each opens with a docstring."""
    too_long, undocumented = [], []
    for path in MODULES.values():
        relative = path.relative_to(PACKAGE).as_posix()
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > MAX_LINES:
            too_long.append((relative, lines))
        if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))):
            undocumented.append(relative)
    assert not too_long
    assert not undocumented


def test_views_import_no_other_view() -> None:
    """A view module imports shared helpers (http, linked_data's fact and page modules), never
    another blueprint's view."""
    views = {"alskg.web.queries", "alskg.web.evidence", "alskg.web.pages",
             "alskg.web.sparql.view", "alskg.web.linked_data.documents",
             "alskg.web.linked_data.explain"}
    borrowed = {(view, other) for view in views
                for other in imports_of(view, MODULES[view]) & views}
    assert not borrowed


OUTPUT_FOLDER_NAMES = {"build", "dist", "out", "output", "target", "tmp"}


def test_no_package_is_named_like_an_output_folder() -> None:
    """Tools and .gitignore files skip `build/`, `dist/` …: no source package carries such a
    name."""
    packages = {p.name for p in PACKAGE.rglob("*") if p.is_dir() and (p / "__init__.py").exists()}
    assert not packages & OUTPUT_FOLDER_NAMES, sorted(packages & OUTPUT_FOLDER_NAMES)
