"""The stages stay apart: no import circle in the package, and the renderers and the app import
nothing from the reading stage (they draw what a report holds)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "curvescope"
READING = ("curvescope.ingest", "curvescope.assemble", "curvescope.scale.remote")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(path): path for path in PACKAGE.rglob("*.py")}


def imports(path: Path) -> set[str]:
    """The modules ``path`` imports at run time (at the top or in a function; not for type checking only)."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(alias.name for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while (top := stack.pop()) != node:
                component.append(top)
            if component:
                found.append(sorted([node, *component]))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_circle():
    graph = {module: {m for m in imports(path) if m in MODULES and m != module} for module, path in MODULES.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _reading(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == stage or m.startswith(stage + ".") for stage in READING))


def test_the_renderers_import_nothing_from_the_reading_stage():
    renderers = [path for module, path in MODULES.items() if module.startswith("curvescope.report")]
    assert renderers
    assert {path.name: _reading(imports(path)) for path in renderers} == {path.name: [] for path in renderers}


def test_the_app_imports_nothing_from_the_reading_stage():
    pages = sorted((ROOT / "app").rglob("*.py"))
    assert pages
    assert {path.name: _reading(imports(path)) for path in pages} == {path.name: [] for path in pages}
