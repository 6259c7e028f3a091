"""``--baseline`` on every pass/fail pair of real runs in tests/fixtures/logs: the labelled
failure lines kept with the passing run against those kept without, through the command line.

For each pair and each budget (half to one and a half times the labelled lines' budget in
``expected.json``; for CMake, the same rule applied to ``tests.logs.CMAKE_MUST_KEEP``) it
prints both recalls, then how many pairs keep at least as many lines with the baseline.

    python bench/baseline_pairs.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.logs import CMAKE_MUST_KEEP, FIXTURES  # noqa: E402

SHARES = (0.5, 0.75, 1.0, 1.5)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def labelled(tool: str) -> tuple[list[str], int]:
    if tool == "cmake":
        from tokenls.engine.counting import Counter

        counter = Counter("o200k_base")
        need = sum(counter.count(line + "\n").tokens for line in CMAKE_MUST_KEEP)
        return CMAKE_MUST_KEEP, round((2 * need + 300) / 10) * 10
    spec = json.loads((FIXTURES / "expected.json").read_text())[f"{tool}-fail.log"]
    return [_ANSI.sub("", line).strip() for line in spec["must_keep"]], spec["budget"]


def kept(log: Path, budget: int, *extra: str) -> set[str]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.log"
        command = [sys.executable, "-m", "tokenls", "compress", str(log), "--budget", str(budget)]
        subprocess.run([*command, "-q", "-o", str(out), *extra], check=True)
        return {line.strip() for line in out.read_text().splitlines()}


def main() -> None:
    tools = sorted(p.name.removesuffix("-pass.log") for p in FIXTURES.glob("*-pass.log"))
    pairs_ok = runs_ok = runs = 0
    for tool in tools:
        lines, budget = labelled(tool)
        failing, passing = FIXTURES / f"{tool}-fail.log", FIXTURES / f"{tool}-pass.log"
        pair_ok = True
        for share in SHARES:
            b = int(budget * share)
            alone = sum(line in kept(failing, b) for line in lines)
            against = sum(line in kept(failing, b, "--baseline", str(passing)) for line in lines)
            runs += 1
            runs_ok += against >= alone
            pair_ok &= against >= alone
            print(
                f"{tool:7} budget {b:5,}: without {alone:2}/{len(lines)}, with {against:2}/{len(lines)}"
            )
        pairs_ok += pair_ok
    print(
        f"with --baseline >= without: {pairs_ok} of {len(tools)} pairs ({runs_ok} of {runs} runs)"
    )


if __name__ == "__main__":
    main()
