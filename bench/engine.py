"""Counting-engine benchmark: incremental recounts, CLI throughput, memory, pathological runs.

Every figure is printed next to a baseline measured in the same run on the same machine:
an incremental recount against a full ``encode_ordinary`` of the document, ``tokenls count``
against ``repomix --token-count-tree`` (when ``repomix`` is on PATH or in ./node_modules)
and ``ttok`` (when installed), and peak memory against plain tiktoken on the whole file.

    python bench/engine.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from tokenls.engine.counting import EDITOR_MAX_EXACT, Counter
from tokenls.engine.document import Document
from tokenls.engine.encodings import get_encoding

ENCODING = "o200k_base"


def realistic_prompt(size: int, seed: int = 1) -> str:
    """Code, prose and log lines, the mix people paste into prompts."""
    rng = random.Random(seed)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    code = [p.read_text(errors="replace") for p in sorted(stdlib.glob("*.py"))[:40]]
    prose = (
        "The service returned an error after the deploy. Summarise what changed, "
        "why it failed, and the smallest fix. Keep the answer under 200 words.\n"
    )
    parts: list[str] = []
    total = 0
    while total < size:
        kind = rng.random()
        if kind < 0.45:
            source = rng.choice(code)
            start = rng.randrange(max(len(source) - 4000, 1))
            piece = f"\n## File excerpt\n\n```python\n{source[start : start + 4000]}\n```\n"
        elif kind < 0.75:
            piece = f"\n# Section {len(parts)}\n\n" + prose * rng.randint(2, 8)
        else:
            piece = "".join(
                f"2026-11-23T12:{i % 60:02d}:{rng.randrange(60):02d}Z "
                f"{rng.choice(['INFO', 'DEBUG', 'WARN', 'ERROR'])} worker-{rng.randrange(8)} "
                f"request id={rng.getrandbits(48):x} took {rng.randrange(900)}ms\n"
                for i in range(40)
            )
        parts.append(piece)
        total += len(piece)
    return "".join(parts)[:size]


def full_encode_cost(text: str) -> float:
    """Median time of tiktoken encoding the whole text: the baseline every ratio uses."""
    enc = get_encoding(ENCODING)
    full = []
    for _ in range(5):
        t = time.perf_counter()
        enc.encode_ordinary(text)
        full.append(time.perf_counter() - t)
    return statistics.median(full)


def bench_incremental(edits: int) -> None:
    text = realistic_prompt(1_000_000)
    enc = get_encoding(ENCODING)
    full_cost = full_encode_cost(text)
    doc = Document(text, Counter(ENCODING, max_exact=EDITOR_MAX_EXACT), "utf-16")
    rng = random.Random(2)
    costs = []
    for _ in range(edits):
        line = rng.randrange(doc.line_count)
        body = doc.lines[line].rstrip("\r\n")
        col = rng.randrange(len(body) + 1)
        if rng.random() < 0.8 or col == 0:
            start, end, new = (line, col), (line, col), rng.choice("abcxyz ,.;(){}\n")
        else:
            start, end, new = (line, col - 1), (line, col), ""  # backspace
        t = time.perf_counter()
        doc.apply_change(new, start, end)
        _ = doc.total
        costs.append(time.perf_counter() - t)
    assert doc.total.tokens == len(enc.encode_ordinary(doc.text)), "incremental count drifted"
    median = statistics.median(costs)
    print(f"incremental recount (1 MB prompt, {edits} single-keystroke edits)")
    print(f"  full encode_ordinary      {full_cost * 1e3:8.2f} ms")
    print(
        f"  median incremental edit   {median * 1e3:8.3f} ms   p95 {sorted(costs)[int(len(costs) * 0.95)] * 1e3:.3f} ms"
    )
    print(f"  ratio (target <= 0.01)    {median / full_cost:8.4f}")


def source_tree(root: Path) -> Path:
    """CPython's standard library sources (no tests, no site-packages), ~12 MB."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in stdlib.rglob("*.py"):
        rel = path.relative_to(stdlib)
        if rel.parts[0] in ("site-packages", "test", "idlelib") or "tests" in rel.parts:
            continue
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    return root


_LAUNCHER = (
    "import os, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "print(time.perf_counter() - t, usage.ru_maxrss, os.waitstatus_to_exitcode(status))\n"
)


def run_measured(cmd: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (MB) of one child process.

    The child is started by a small launcher process: a child forked straight from this
    (large) benchmark process would report this process's pages in its peak RSS.
    """
    out = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *cmd], capture_output=True, text=True, check=True
    ).stdout.split()
    elapsed, rss_kb, code = float(out[0]), int(out[1]), int(out[2])
    if code not in (0, 2):
        raise RuntimeError(f"{cmd[0]} failed with exit code {code}")
    return elapsed, rss_kb // 1024


def tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def find_repomix() -> list[str] | None:
    local = Path("node_modules/.bin/repomix")
    for candidate in (shutil.which("repomix"), str(local) if local.exists() else None):
        if candidate:
            return [candidate]
    return None


def bench_cli(work: Path) -> None:
    tokenls = [sys.executable, "-m", "tokenls", "count", "--json"]
    tree = source_tree(work / "stdlib")
    size = tree_bytes(tree)
    seconds, rss = min(run_measured([*tokenls, str(tree)]) for _ in range(3))
    print(f"source tree ({size / 1e6:.1f} MB of Python sources, cold process each run)")
    print(
        f"  tokenls count             {seconds:6.2f} s   {size / 1e6 / seconds:6.1f} MB/s   peak RSS {rss} MB"
    )
    repomix = find_repomix()
    if repomix:
        out = work / "repomix-out.txt"
        cmd = [*repomix, "--token-count-tree", "--no-security-check", "-o", str(out), str(tree)]
        r_seconds, _ = min(run_measured(cmd) for _ in range(2))
        print(
            f"  repomix --token-count-tree {r_seconds:5.2f} s   ratio repomix/tokenls {r_seconds / seconds:.2f}x (target >= 2)"
        )
    else:
        print("  repomix not found (npm install repomix@1.14): ratio not measured")
    ttok = shutil.which("ttok") or str(Path(sys.executable).parent / "ttok")
    if Path(ttok).exists():
        sample = work / "sample.txt"
        sample.write_text(
            "".join(p.read_text(errors="replace") for p in sorted(tree.rglob("*.py")))
        )
        try:
            t_seconds, _ = run_measured(["sh", "-c", f"{ttok} -m gpt-4o < {sample} >/dev/null"])
            s_seconds, _ = run_measured([*tokenls, str(sample)])
            print(
                f"  ttok on one {sample.stat().st_size / 1e6:.1f} MB file  {t_seconds:5.2f} s   ratio ttok/tokenls {t_seconds / s_seconds:.2f}x"
            )
        except RuntimeError:
            print("  ttok fails offline (tiktoken downloads its rank file): not measured")

    log = work / "big.log"
    with log.open("w") as handle:
        line_set = realistic_prompt(2_000_000, seed=3)
        while handle.tell() < 50_000_000:
            handle.write(line_set)
    log_size = log.stat().st_size
    seconds, rss = run_measured([*tokenls, str(log)])
    base_seconds, base_rss = run_measured(
        [
            sys.executable,
            "-c",
            "import sys; from tokenls.engine.encodings import get_encoding as g; "
            f"print(len(g('{ENCODING}').encode_ordinary(open(sys.argv[1]).read())))",
            str(log),
        ]
    )
    print(f"50 MB log ({log_size / 1e6:.0f} MB)")
    print(
        f"  tokenls count (streamed)  {seconds:6.2f} s   {log_size / 1e6 / seconds:6.1f} MB/s   peak RSS {rss} MB (target <= 150)"
    )
    print(f"  plain tiktoken, whole     {base_seconds:6.2f} s   peak RSS {base_rss} MB")


def bench_pathological() -> None:
    enc = get_encoding(ENCODING)
    counter = Counter(ENCODING, max_exact=EDITOR_MAX_EXACT)
    print("pathological runs (1 MB, no exact cut inside)")
    for name, text in (
        ("'a' * 1M", "a" * 1_000_000),
        ("spaces * 1M", " " * 1_000_000),
        (
            "base64-like",
            "".join(
                random.Random(4).choices(
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", k=1_000_000
                )
            ),
        ),
    ):
        t = time.perf_counter()
        count = counter.count(text)
        ours = time.perf_counter() - t
        t = time.perf_counter()
        try:
            real: int | str = len(enc.encode_ordinary(text))
        except BaseException:  # tiktoken panics on long whitespace runs
            real = "tiktoken fails (regex stack overflow)"
        theirs = time.perf_counter() - t
        print(
            f"  {name:12} tokenls {ours * 1e3:7.1f} ms {count.label():>16} exact={count.exact}   "
            f"tiktoken {theirs * 1e3:7.1f} ms -> {real}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer edits, no CLI runs")
    args = parser.parse_args()
    bench_incremental(100 if args.quick else 500)
    bench_pathological()
    if not args.quick:
        with tempfile.TemporaryDirectory() as tmp:
            bench_cli(Path(tmp))


if __name__ == "__main__":
    main()
