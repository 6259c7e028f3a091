"""Log compression: recall on labelled CI logs, time per MB and peak memory.

1. When the labelled LogChunks logs are beside the repository (``../shared/data``), their
   scorer runs ``tokenls compress`` on each and prints mean recall, complete logs and the
   ``tail`` baseline at the same budget; when bench/corpus/make.py has built its corpus of
   today's failures, its scorer prints the same per ecosystem.
2. A long CI log made of this repository's real captured runs (tests/fixtures/logs, repeated
   to ``--mb``) is compressed by a ``tokenls compress`` child process; the baseline in the
   same run is tiktoken encoding the same file once, the least any exact tool must do.
3. Peak RSS of ``tokenls compress`` on a ``--big-mb`` log, measured from a small launcher.

    python bench/compress.py [--mb 50] [--big-mb 200] [--no-recall]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "logs"
SCORER = ROOT.parent / "shared" / "tools" / "compress_recall.py"
TOKENLS = [sys.executable, "-m", "tokenls"]
_RUNS = ["pytest-pass.log", "go-pass.log", "jest-pass.log", "cargo-pass.log", "maven-pass.log"]


def make_log(path: Path, megabytes: int) -> int:
    """Real passing runs back to back until ``megabytes``, then a real failing build."""
    runs = "".join((FIXTURES / name).read_text(encoding="utf-8") for name in _RUNS)
    target = megabytes * 1024 * 1024
    with path.open("w", encoding="utf-8") as handle:
        while handle.tell() < target:
            handle.write(runs)
        handle.write((FIXTURES / "maven-fail.log").read_text(encoding="utf-8"))
    return path.stat().st_size


def tiktoken_once(path: Path) -> float:
    code = (
        "import sys,time; from tokenls.engine.encodings import get_encoding as g; e=g('o200k_base');"
        "t=time.perf_counter(); n=len(e.encode_ordinary(open(sys.argv[1],encoding='utf-8').read()));"
        "print(time.perf_counter()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    return float(out.stdout)


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def peak_rss_mb(cmd: list[str]) -> float:
    launcher = (
        "import resource,subprocess,sys; subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024)"
    )
    out = subprocess.run([sys.executable, "-c", launcher, *cmd], capture_output=True, text=True)
    return float(out.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=50)
    ap.add_argument("--big-mb", type=int, default=200)
    ap.add_argument("--no-recall", action="store_true")
    args = ap.parse_args()
    if not args.no_recall and SCORER.exists():
        print("labelled CI logs (LogChunks dev half), budget 2x chunk + 500:")
        tokenls = Path(sys.executable).with_name("tokenls")
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, str(SCORER), "--tokenls", str(tokenls), "--show", "0"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        print("  " + out.stdout.strip().splitlines()[-1])
        print(f"  whole run {time.perf_counter() - start:.0f} s")
    elif not args.no_recall:
        print(f"labelled CI logs: {SCORER} not found, recall skipped")
    corpus = ROOT / "bench" / "corpus"
    if not args.no_recall and (corpus / "out" / "labels.json").exists():
        print("today's failures (bench/corpus, made by make.py), per ecosystem:")
        out = subprocess.run(
            [sys.executable, str(corpus / "score.py"), "--show", "0"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        print("  " + "\n  ".join(out.stdout.strip().splitlines()))
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "ci.log"
        size = make_log(log, args.mb)
        base = min(tiktoken_once(log) for _ in range(2))
        ours = min(
            timed(
                [
                    *TOKENLS,
                    "compress",
                    str(log),
                    "--budget",
                    "2000",
                    "-q",
                    "-o",
                    str(Path(tmp) / "o"),
                ]
            )
            for _ in range(2)
        )
        print(f"{size / 1e6:.0f} MB of real CI output:")
        print(f"  tiktoken encode once   {base:6.2f} s  {size / 1e6 / base:5.1f} MB/s")
        print(f"  tokenls compress       {ours:6.2f} s  {size / 1e6 / ours:5.1f} MB/s")
        print(f"  ratio compress/encode: {ours / base:.2f}")
        big = Path(tmp) / "big.log"
        size = make_log(big, args.big_mb)
        rss = peak_rss_mb([*TOKENLS, "compress", str(big), "--budget", "2000", "-q"])
        print(
            f"{size / 1e6:.0f} MB log: peak RSS {rss:.0f} MB ({rss / (size / 1e6):.2f} of its size)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
