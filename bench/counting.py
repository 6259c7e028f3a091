"""Command-line counting against a plain tiktoken script, measured in the same run.

* start-up: ``tokenls compress`` on a 40-line log and ``tokenls count`` on one small file,
  each against a process that loads tiktoken's encoder and counts the same file;
* the standard library's sources (every ``.py`` outside site-packages): ``tokenls count``
  cold (an empty cache) and again on the unchanged tree, against a one-thread script that
  walks the tree and counts each file with ``encode_ordinary``; every file's count is
  checked against that script's;
* repomix ``--token-count-tree`` on the same tree when it is installed (``npm install
  repomix``; found on PATH, in ./node_modules or through $REPOMIX). ttok cannot run
  here: tiktoken downloads its rank files on first use and there is no network.

Each figure is the median of ``--runs`` whole processes, baseline and tokenls alternating.

    python bench/counting.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ENCODING = "o200k_base"
PLAIN = """
import json, os, sys
from tokenls.engine.encodings import get_encoding
enc = get_encoding("o200k_base")
counts = {}
for root, dirs, files in os.walk(sys.argv[1]):
    for name in files:
        path = os.path.join(root, name)
        with open(path, encoding="utf-8", errors="replace", newline="") as handle:
            counts[os.path.relpath(path, sys.argv[1])] = len(enc.encode_ordinary(handle.read()))
print(json.dumps(counts))
"""
LOG = "".join(
    f"2026-11-25T10:00:{i:02d}Z INFO step {i} finished in {i * 7} ms\n" for i in range(40)
)
LOG += "ERROR tests/test_api.py::test_login FAILED: AssertionError: expected 200, got 500\n"


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t
    if out.returncode not in (0, 1):
        raise RuntimeError(f"{cmd[:4]} failed ({out.returncode}): {out.stderr[-500:]}")
    return elapsed, out.stdout


def paired(
    runs: int, ours: list[str], base: list[str], env: dict[str, str], fresh: Path | None = None
) -> tuple[float, float]:
    """Medians of ``ours`` and ``base``, run in turn; ``fresh``: a cache emptied before each."""
    a, b = [], []
    for _ in range(runs):
        if fresh is not None:
            shutil.rmtree(fresh, ignore_errors=True)
        a.append(timed(ours, env)[0])
        b.append(timed(base, env)[0])
    return statistics.median(a), statistics.median(b)


def stdlib_tree(root: Path) -> Path:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in stdlib.rglob("*.py"):
        rel = path.relative_to(stdlib)
        if rel.parts[0] == "site-packages":
            continue
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    return root


def find_repomix() -> list[str] | None:
    for candidate in (
        os.environ.get("REPOMIX"),
        shutil.which("repomix"),
        "node_modules/.bin/repomix",
    ):
        if candidate and Path(candidate).exists():
            return [candidate]
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    tokenls = [sys.executable, "-m", "tokenls"]
    plain = [sys.executable, "-c", PLAIN]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cache = work / "cache"
        env = {**os.environ, "TOKENLS_CACHE_DIR": str(cache)}
        timed([*tokenls, "count", "-q", str(Path(__file__))], env)  # stores the rank table

        small = work / "small"
        small.mkdir()
        (small / "ci.log").write_text(LOG)
        (small / "notes.py").write_text(Path(__file__).read_text())
        print(f"start-up (median of {runs} processes)")
        for label, cmd in (
            (
                "compress 41-line log, budget 100",
                ["compress", str(small / "ci.log"), "--budget", "100"],
            ),
            ("count one file", ["count", "-q", str(small / "notes.py")]),
        ):
            target = small / ("ci.log" if "compress" in label else "notes.py")
            ours, base = paired(runs, [*tokenls, *cmd], [*plain, str(target.parent)], env)
            print(
                f"  {label:34} {ours:6.3f} s   tiktoken script {base:6.3f} s   ratio {ours / base:.2f}"
            )

        tree = stdlib_tree(work / "stdlib")
        files = sum(1 for _ in tree.rglob("*.py"))
        size = sum(p.stat().st_size for p in tree.rglob("*.py"))
        time.sleep(2.1)  # the copies settle: their stats may be remembered
        count_cmd = [*tokenls, "count", "--json", str(tree)]
        _, expected_out = timed([*plain, str(tree)], env)
        expected = json.loads(expected_out)
        shutil.rmtree(cache, ignore_errors=True)
        _, ours_out = timed(count_cmd, env)
        report = json.loads(ours_out)
        got = {os.path.relpath(f["path"], tree): f["tokens"] for f in report["files"]}
        wrong = [p for p, n in expected.items() if got.get(p) != n]
        inexact = [f["path"] for f in report["files"] if not f["exact"]]
        print(f"standard library, {files:,} files, {size / 1e6:.1f} MB (median of {runs} runs)")
        print(
            f"  every file exact: {not wrong and not inexact} ({len(wrong)} differ, {len(inexact)} inexact)"
        )
        cold, base = paired(runs, count_cmd, [*plain, str(tree)], env, fresh=cache)
        print(f"  plain one-thread tiktoken script {base:6.2f} s")
        print(
            f"  tokenls count, cold cache        {cold:6.2f} s   ratio {cold / base:.2f}   (target <= 1.0)"
        )
        timed(count_cmd, env)  # fills the cache
        warm, base = paired(runs, count_cmd, [*plain, str(tree)], env)
        print(
            f"  tokenls count, unchanged tree    {warm:6.2f} s   ratio {warm / base:.2f}   (target <= 0.3, stretch 0.1)"
        )
        repomix = find_repomix()
        if repomix:
            out = work / "repomix.txt"
            cmd = [*repomix, "--token-count-tree", "--no-security-check", "-o", str(out), str(tree)]
            theirs, ours = paired(max(runs // 2, 1), cmd, count_cmd, env, fresh=cache)
            print(
                f"  repomix --token-count-tree       {theirs:6.2f} s   "
                f"repomix / tokenls cold {theirs / ours:.2f}x"
            )
        else:
            print("  repomix not found (npm install repomix): not measured")
        print("  ttok: not measured (it downloads tiktoken's rank file on first use; no network)")


if __name__ == "__main__":
    main()
