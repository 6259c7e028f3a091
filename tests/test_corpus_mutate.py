"""The corpus's mutations are reproducible from their seed and edit only what they record."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench" / "corpus"))
from mutate import OPERATORS, mutate

PY_SOURCE = '''def clamp(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value


def is_even(n):
    total = n % 2
    return total == 0


def window(items, size=3):
    out = []
    for i in range(len(items) - size + 1):
        out.append(items[i : i + size])
    return out
'''

C_SOURCE = """int clamp(int v, int lo, int hi) {
    if (v < lo) {
        return lo;
    }
    if (v >= hi) return hi;
    int limit = 10;
    return v + limit - 10;
}

bool positive(int v) {
    return false;
}
"""


def _tree(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_one_seed_gives_one_mutant(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        root.mkdir()
        _tree(root, "m.py", PY_SOURCE)
    first = mutate(a, ["m.py"], seed=7, lang="python")
    second = mutate(b, ["m.py"], seed=7, lang="python")
    assert first == second
    assert (a / "m.py").read_text() == (b / "m.py").read_text() != PY_SOURCE


@pytest.mark.parametrize("seed", range(1, 30))
def test_every_recorded_mutation_is_the_only_difference(tmp_path: Path, seed: int) -> None:
    _tree(tmp_path, "m.py", PY_SOURCE)
    done = mutate(tmp_path, ["m.py"], seed=seed, lang="python")
    assert 2 <= len(done) <= 4
    before = PY_SOURCE.split("\n")
    after = (tmp_path / "m.py").read_text().split("\n")
    assert len(before) == len(after)  # a deleted statement leaves its line empty
    changed = {i + 1 for i, (x, y) in enumerate(zip(before, after, strict=True)) if x != y}
    assert changed == {m.line for m in done}
    for m in done:
        assert m.operator in OPERATORS
        assert before[m.line - 1].strip() == m.old and after[m.line - 1].strip() == m.new


def test_operators_do_what_their_names_say(tmp_path: Path) -> None:
    seen: dict[str, list[tuple[str, str]]] = {}
    for seed in range(60):
        _tree(tmp_path, "m.c", C_SOURCE)
        for m in mutate(tmp_path, ["m.c"], seed=seed, lang="c"):
            seen.setdefault(m.operator, []).append((m.old, m.new))
    assert set(seen) == set(OPERATORS)
    flips = {"<": "<=", ">=": ">"}
    for old, new in seen["flip-comparison"]:
        assert any(f" {a} " in old and f" {b} " in new for a, b in flips.items()), (old, new)
    for old, new in seen["negate-condition"]:
        assert new.startswith("if (!(") and old.startswith("if ("), (old, new)
    assert all(new == "" for _, new in seen["delete-line"])
    assert all((old, new) == ("return false;", "return true;") for old, new in seen["swap-return"])
    for old, new in seen["off-by-one"]:
        diffs = [(a, b) for a, b in zip(old.split(), new.split(), strict=True) if a != b]
        assert len(diffs) == 1
        a, b = (int("".join(c for c in x if c.isdigit())) for x in diffs[0])
        assert abs(a - b) == 1


def test_a_python_return_is_swapped_for_none(tmp_path: Path) -> None:
    returns = []
    for seed in range(80):
        _tree(tmp_path, "m.py", PY_SOURCE)
        returns += [m for m in mutate(tmp_path, ["m.py"], seed, "python") if m.operator == "swap-return"]
    assert returns and all(m.old.startswith("return ") and m.new == "return None" for m in returns)
