"""Small modules, classes and functions: a module holds at most 400 lines, a class 250, a
function 60."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "tokenls"
LIMITS = {"module": 400, "class": 250, "function": 60}


def sizes() -> dict[str, tuple[str, int]]:
    """Each module, class and function of the package → (kind, lines)."""
    found: dict[str, tuple[str, int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        text = path.read_text(encoding="utf-8")
        found[name] = ("module", len(text.splitlines()))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                kind = "class" if isinstance(node, ast.ClassDef) else "function"
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                key = f"{name}:{node.name}"
                found[key] = max(found.get(key, (kind, 0)), (kind, lines))
    return found


def test_modules_classes_and_functions_stay_within_their_limits() -> None:
    found = sizes()
    assert found["lsp/scheduling.py"][0] == "module"  # the package is really read
    over = {key: lines for key, (kind, lines) in found.items() if lines > LIMITS[kind]}
    assert not over, over


def test_only_the_panic_guard_catches_base_exception() -> None:
    """A bug in an engine raises; only tiktoken's panic (a BaseException) is caught, by its
    type, in one place."""
    catching = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ExceptHandler)
        and isinstance(node.type, ast.Name)
        and node.type.id == "BaseException"
    )
    assert catching == ["engine/panics.py"]
