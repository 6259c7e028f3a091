"""The package's import graph has no cycles, between modules or between subpackages, and the
layers hold: the core imports no front end, and the front ends (cli, lsp, mcp) import one
another only where the command line starts a server."""

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


FRONT_ENDS = ("tokenls.cli", "tokenls.lsp", "tokenls.mcp")


def _room(module: str) -> str:
    """The subpackage (or loose module) a module lives in: ``tokenls.lsp.session`` → ``tokenls.lsp``."""
    return ".".join(module.split(".")[:2])


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_no_subpackage_imports_one_that_imports_it_back() -> None:
    rooms: dict[str, set[str]] = {}
    for name, imports in import_graph().items():
        rooms.setdefault(_room(name), set()).update(
            _room(i) for i in imports if _room(i) != _room(name)
        )
    assert "tokenls.lsp" in rooms["tokenls.cli"]  # the graph is really read
    try:
        tuple(graphlib.TopologicalSorter(rooms).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"subpackage cycle: {' → '.join(exc.args[1])}") from None


def test_the_core_never_imports_a_front_end() -> None:
    crossing = {
        f"{name} → {target}"
        for name, imports in import_graph().items()
        if name not in ("tokenls", "tokenls.__main__") and not any(_in(name, f) for f in FRONT_ENDS)
        for target in imports
        if any(_in(target, f) for f in FRONT_ENDS)
    }
    assert not crossing, sorted(crossing)


def test_front_ends_import_one_another_only_to_start_a_server() -> None:
    # ``tokenls serve`` and ``tokenls mcp`` start the servers; nothing else crosses, so MCP
    # never reaches the command line's modules, nor the editor's.
    crossing = set()
    for name, imports in import_graph().items():
        for target in imports:
            home = next((f for f in FRONT_ENDS if _in(name, f)), None)
            there = next((f for f in FRONT_ENDS if _in(target, f)), None)
            if home and there and home != there:
                crossing.add(f"{name} → {target}")
    allowed = {
        "tokenls.cli.serve → tokenls.lsp.server",
        "tokenls.cli.serve → tokenls.mcp.server",
    }
    assert crossing <= allowed, sorted(crossing - allowed)


def test_at_most_eight_modules_lie_loose_in_the_package() -> None:
    loose = sorted(
        p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")
    )
    assert len(loose) <= 8, loose
