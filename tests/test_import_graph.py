"""Imports run one way: no module of corpus/, retrieval/ or bot/ imports, even from inside a
function, a module that imports it back, and the packages depend on each other in one
direction (corpus <- retrieval <- bot). Imports under `if TYPE_CHECKING:` never run and do not
count: that is how cogs and views name the Bot's type (as RoboDanny's cogs do).

Reads the source only (nothing is imported), so it runs in a fraction of a second.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("corpus", "retrieval", "bot")  # bottom to top
LAYER = {name: level for level, name in enumerate(PACKAGES)}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every module name an import statement anywhere in `tree` asks for, as if hoisted."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}".strip(".")
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules importing it runs (a package's __init__ included, except
    the importer's own packages, which Python has always initialised first)."""
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        own = {name.rsplit(".", n)[0] for n in range(1, name.count(".") + 1)}
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = set()
        for target in imported_names(tree, name, path.name == "__init__.py"):
            parts = target.split(".")
            for end in range(1, len(parts) + 1):
                candidate = ".".join(parts[:end])
                if candidate in modules and candidate not in own and candidate != name:
                    edges.add(candidate)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_module_imports_a_module_that_imports_it_back():
    assert cycles(import_graph()) == []


def test_packages_import_downwards_only():
    upward = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if LAYER[target.split(".")[0]] > LAYER[module.split(".")[0]]
    ]
    assert upward == []


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function():
    source = "def later():\n    from bot.app import create_bot\n"
    names = imported_names(ast.parse(source), "bot.views", is_package=False)
    assert "bot.app" in names
    graph = {"bot.app": {"bot.views"}, "bot.views": {"bot.app"}, "bot.render": set()}
    assert cycles(graph) == [["bot.app", "bot.views"]]
    guarded = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.app import X\n"
    assert "bot.app" not in imported_names(ast.parse(guarded), "bot.views", is_package=False)


if __name__ == "__main__":  # python tests/test_import_graph.py: print the graph's cycles
    for component in cycles(import_graph()):
        print(" <-> ".join(component))
