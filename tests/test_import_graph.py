"""The package's import graph has no cycles, and the core never imports the LSP layer."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "tokenls"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module → tokenls modules it imports anywhere (lazy and type-checking imports too)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from tokenls import views` names a module; `from x import Name` does not.
                named = [f"{node.module}.{a.name}" for a in node.names]
                targets = [t for t in named if t in modules] or [node.module]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = import_graph()
    assert "tokenls.lsp.session" in graph["tokenls.lsp.language_server"]  # the graph is really read
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' → '.join(exc.args[1])}") from None


def test_the_core_never_imports_the_lsp_layer() -> None:
    # Only the command line reaches into tokenls.lsp (lazily, to start the server).
    users = {
        name
        for name, imports in import_graph().items()
        if not name.startswith("tokenls.lsp") and any(i.startswith("tokenls.lsp") for i in imports)
    }
    assert users <= {"tokenls.cli.main"}, users
