"""How far another tokenizer is from ``o200k_base``: the ratio an estimate would need.

Measures, on corpora every machine has offline, the ratio of a tokenizer's count to
o200k_base's (summed over the corpus) and the spread of per-file ratios (5th–95th
percentile). It shows why tokenls counts other models with their own tokenizer instead of
scaling o200k, and is the method a per-model ratio in ``providers/calibration.py`` should
be measured with when the model's tokenizer can be run. Claude's cannot (no Claude 3+
tokenizer is available offline), so its ratio is a published figure, not measured here.

    python bench/calibration.py [--encoding deepseek-v4] [--files 400]
"""

from __future__ import annotations

import argparse
import statistics
import sysconfig
from pathlib import Path

from tokenls.engine.counting import Counter
from tokenls.engine.tokenizer_files import make_counter

ROOT = Path(__file__).resolve().parent.parent


def corpora(limit: int) -> dict[str, list[Path]]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    code = sorted(p for p in stdlib.glob("*.py") if p.stat().st_size > 2000)[:limit]
    prose = sorted(ROOT.glob("*.md")) + sorted(Path("/usr/share/common-licenses").glob("*"))
    return {
        "Python code (CPython stdlib *.py)": code,
        "English prose (README, licence texts)": [p for p in prose if p.is_file()][:limit],
    }


def measure(counter: Counter, base: Counter, files: list[Path]) -> tuple[float, float, float]:
    ratios, total, total_base = [], 0, 0
    for path in files:
        text = path.read_text("utf-8", "replace")
        n, b = counter.count(text).tokens, base.count(text).tokens
        if b:
            ratios.append(n / b)
            total, total_base = total + n, total_base + b
    q = statistics.quantiles(ratios, n=20)
    return total / total_base, q[0], q[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--encoding", default="deepseek-v4")
    parser.add_argument("--files", type=int, default=400)
    args = parser.parse_args()
    counter = make_counter(args.encoding)
    base = Counter("o200k_base", max_exact=1 << 30)
    for name, files in corpora(args.files).items():
        ratio, low, high = measure(counter, base, files)
        print(
            f"{name}: {len(files)} files, {args.encoding}/o200k_base = {ratio:.3f} "
            f"(per file, 5th–95th percentile: {low:.3f}–{high:.3f})"
        )


if __name__ == "__main__":
    main()
