"""Seeded source mutations, so that a project's own tests fail the way real breakages make them.

A case names its project's source files (never its tests) and a seed; ``mutate`` draws a few
operators and lines from a ``random.Random(seed)`` and applies them, so one seed always gives
the same mutant. Operators, each a one-line edit a developer could plausibly make:

- ``flip-comparison``: ``<`` and ``<=``, ``>`` and ``>=``, ``==`` and ``!=`` swapped
- ``off-by-one``: an integer constant moved by one
- ``swap-return``: a returned boolean flipped (Python: a returned value replaced by ``None``)
- ``negate-condition``: an ``if``/``while`` condition negated
- ``delete-line``: a statement deleted

Each applied mutation is recorded (file, line, operator, old and new text) beside the case.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

OPERATORS = ("flip-comparison", "off-by-one", "swap-return", "negate-condition", "delete-line")
_FLIP = {" < ": " <= ", " <= ": " < ", " > ": " >= ", " >= ": " > ", " == ": " != ", " != ": " == "}
_FLIP_RE = re.compile(r" (?:<=|>=|==|!=|<|>) ")
_INT = re.compile(r"(?<![\w.\"'])(\d{1,4})(?![\w.\"'])")
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|\"\"\"|''')")


@dataclass(frozen=True)
class Mutation:
    file: str
    line: int
    operator: str
    old: str
    new: str


def _code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not _COMMENT.match(line) and len(stripped) < 160


def _flip(line: str, rng: random.Random, lang: str) -> str | None:
    hits = [m for m in _FLIP_RE.finditer(line) if line.count('"', 0, m.start()) % 2 == 0]
    if not hits or "->" in line or "=>" in line:
        return None
    m = rng.choice(hits)
    return line[: m.start()] + _FLIP[m.group()] + line[m.end() :]


def _off_by_one(line: str, rng: random.Random, lang: str) -> str | None:
    if re.match(r"\s*(#include|import|from|package|use|require|@|case )", line):
        return None
    hits = [m for m in _INT.finditer(line) if line.count('"', 0, m.start()) % 2 == 0]
    if not hits:
        return None
    m = rng.choice(hits)
    value = int(m.group(1))
    new = value + 1 if value == 0 or rng.random() < 0.5 else value - 1
    return line[: m.start()] + str(new) + line[m.end() :]


def _swap_return(line: str, rng: random.Random, lang: str) -> str | None:
    m = re.match(r"^(\s*return\s+)(.*?)(;?)\s*$", line)
    if not m:
        return None
    head, value, tail = m.groups()
    swaps = {"True": "False", "False": "True", "true": "false", "false": "true"}
    if value in swaps:
        return f"{head}{swaps[value]}{tail}"
    if lang == "python" and value and value != "None":
        return f"{head}None{tail}"
    if lang == "ruby" and value and value != "nil":
        return f"{head}nil{tail}"
    return None


def _negate(line: str, rng: random.Random, lang: str) -> str | None:
    if lang == "python":
        m = re.match(r"^(\s*)(if|elif|while) (.+):\s*$", line)
        return f"{m.group(1)}{m.group(2)} not ({m.group(3)}):" if m else None
    if lang == "ruby":
        m = re.match(r"^(\s*)(if|elsif|while) (.+?)\s*$", line)
        return f"{m.group(1)}{m.group(2)} !({m.group(3)})" if m else None
    if lang in ("go", "rust"):
        if ";" in line or ":=" in line or "let " in line:
            return None
        m = re.match(r"^(\s*(?:\} else )?)(if|for) (.+) \{\s*$", line)
        if not m or (m.group(2) == "for" and (" range " in m.group(3) or "in " in m.group(3))):
            return None
        return f"{m.group(1)}{m.group(2)} !({m.group(3)}) {{"
    m = re.match(r"^(.*?\b(?:if|while) )\((.+)\)(\s*\{?\s*)$", line)
    return f"{m.group(1)}(!({m.group(2)})){m.group(3)}" if m else None


def _delete(line: str, rng: random.Random, lang: str) -> str | None:
    stripped = line.strip()
    if stripped in ("{", "}", "};", "end", "else:", "try:", "pass", ")", "]", "})", "});"):
        return None
    if lang == "python" and (stripped.endswith((":", ",", "(", "[", "{", "\\")) or stripped.startswith(("def ", "class ", "@", "elif ", "else", "except", "finally", "return", "import", "from "))):  # fmt: skip
        return None
    if lang == "ruby" and re.match(r"^(def|class|module|if|elsif|else|end|unless|while|do)\b", stripped):
        return None
    if lang != "python" and (stripped.endswith(("{", "(", ",", "[")) or stripped.startswith(("}", "func ", "fn ", "pub ", "case ", "default:", "#"))):  # fmt: skip
        return None
    return ""


_APPLY: dict[str, Callable[[str, random.Random, str], str | None]] = {
    "flip-comparison": _flip,
    "off-by-one": _off_by_one,
    "swap-return": _swap_return,
    "negate-condition": _negate,
    "delete-line": _delete,
}


def mutate(
    root: Path,
    files: list[str],
    seed: int,
    lang: str,
    count: int | None = None,
    operators: tuple[str, ...] = OPERATORS,
) -> list[Mutation]:
    """Applies ``count`` (2 to 4 when not given) seeded mutations to ``files`` under ``root``."""
    rng = random.Random(seed)
    want = count or rng.choice((2, 3, 3, 4))
    texts = {f: (root / f).read_text(encoding="utf-8").split("\n") for f in files}
    done: list[Mutation] = []
    touched: set[tuple[str, int]] = set()
    for _ in range(400):
        if len(done) >= want:
            break
        op = rng.choice(operators)
        file = rng.choice(files)
        lines = texts[file]
        i = rng.randrange(len(lines))
        if (file, i) in touched or not _code(lines[i]):
            continue
        new = _APPLY[op](lines[i], rng, lang)
        if new is None or new == lines[i]:
            continue
        done.append(Mutation(file, i + 1, op, lines[i].strip(), new.strip()))
        touched.add((file, i))
        lines[i] = new
    for f, lines in texts.items():
        (root / f).write_text("\n".join(lines), encoding="utf-8")
    return done


def record(mutations: list[Mutation]) -> list[dict[str, object]]:
    return [asdict(m) for m in mutations]
