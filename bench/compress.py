"""Compression throughput against drain3 alone, and peak memory on a 1 GB log.

Both sides read the same generated log in the same run: ``drain3`` adding every line to a
``TemplateMiner`` (the template mining that compression builds on), and ``tokenls
compress`` doing all of its work (classification, grouping, exact token counts of input and
output, budget fitting). Peak RSS is measured on a child ``tokenls compress`` process.

    python bench/compress.py [--mb 50] [--big-mb 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig

from tokenls.compress import compress
from tokenls.engine.counting import BATCH_MAX_EXACT, Counter


def make_log(path: Path, megabytes: int, seed: int = 7) -> int:
    """A service log: mostly info/debug noise, some warnings, errors and tracebacks."""
    rng = random.Random(seed)
    block: list[str] = []
    for i in range(20_000):
        t = f"2026-11-23T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.{rng.randrange(1000):03d}Z"
        roll = rng.random()
        if roll < 0.55:
            block.append(
                f"{t} INFO http GET /api/orders/{rng.randrange(10**6)} 200 {rng.randrange(900)}ms req={rng.getrandbits(40):x}\n"
            )
        elif roll < 0.85:
            block.append(
                f"{t} DEBUG cache hit key=user:{rng.randrange(5000)} ttl={rng.randrange(300)}s\n"
            )
        elif roll < 0.95:
            block.append(f"{t} WARN pool almost full in_use={rng.randrange(90, 100)} max=100\n")
        elif roll < 0.995:
            block.append(
                f"{t} ERROR payment gateway timeout order={rng.randrange(10**6)} after 30s\n"
            )
        else:
            block.append(
                f"{t} ERROR unhandled exception\nTraceback (most recent call last):\n"
                f'  File "/srv/app/handlers.py", line {rng.randrange(400)}, in handle\n'
                f"    return process(order)\nKeyError: 'sku-{rng.randrange(100)}'\n"
            )
    chunk = "".join(block)
    target = megabytes * 1024 * 1024
    with path.open("w") as handle:
        while handle.tell() < target:
            handle.write(chunk)
    return path.stat().st_size


def drain3_alone(path: Path) -> tuple[float, int]:
    config = TemplateMinerConfig()
    config.profiling_enabled = False
    miner = TemplateMiner(config=config)
    lines = 0
    t = time.perf_counter()
    with path.open() as handle:
        for line in handle:
            miner.add_log_message(line.rstrip("\n"))
            lines += 1
    return time.perf_counter() - t, lines


def tokenls_compress(path: Path, budget: int, count_input: bool) -> tuple[float, dict]:
    counter = Counter("o200k_base", max_exact=BATCH_MAX_EXACT)
    t = time.perf_counter()
    with path.open() as handle:
        chunks = iter(lambda: handle.read(1 << 22), "")
        result = compress(chunks, budget, counter, count_input=count_input)
    return time.perf_counter() - t, result.stats()


def count_only(path: Path) -> float:
    counter = Counter("o200k_base", max_exact=BATCH_MAX_EXACT)
    t = time.perf_counter()
    with path.open() as handle:
        counter.count_stream(iter(lambda: handle.read(1 << 22), ""))
    return time.perf_counter() - t


def peak_rss(path: Path, budget: int) -> tuple[float, int, dict]:
    cmd = [
        sys.executable,
        "-m",
        "tokenls",
        "compress",
        str(path),
        "--budget",
        str(budget),
        "--json",
        "--no-memory",
    ]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("tokenls compress failed")
    return time.perf_counter() - t, usage.ru_maxrss // 1024, json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50, help="log size for the throughput ratio")
    parser.add_argument("--big-mb", type=int, default=1024, help="log size for peak RSS (0: skip)")
    parser.add_argument("--budget", type=int, default=4000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.big_mb:
            # First, while this process is still small: a child forked later would report
            # this process's own pages in its peak RSS.
            big = Path(tmp) / "big.log"
            big_size = make_log(big, args.big_mb, seed=8)
            seconds, rss, big_stats = peak_rss(big, args.budget)
            big.unlink()
            print(
                f"{big_size / 1e9:.2f} GB log: tokenls compress {seconds:.1f} s, peak RSS {rss} MB (target < 300), "
                f"{big_stats['input_tokens']:,} → {big_stats['output_tokens']:,} tokens"
            )
        log = Path(tmp) / "service.log"
        size = make_log(log, args.mb)
        d_seconds, lines = drain3_alone(log)
        c_seconds, stats = tokenls_compress(log, args.budget, count_input=False)
        j_seconds, _ = tokenls_compress(log, args.budget, count_input=True)
        tiktoken_seconds = count_only(log)
        print(f"{size / 1e6:.0f} MB, {lines:,} lines")
        print(
            f"  drain3 alone                  {d_seconds:6.2f} s  {lines / d_seconds:9,.0f} lines/s  {size / 1e6 / d_seconds:5.1f} MB/s"
        )
        print(
            f"  tokenls compress              {c_seconds:6.2f} s  {lines / c_seconds:9,.0f} lines/s  {size / 1e6 / c_seconds:5.1f} MB/s"
        )
        print(f"  ratio drain3/tokenls (target >= 1.0): {d_seconds / c_seconds:.2f}")
        print(
            f"  tokenls compress --json       {j_seconds:6.2f} s  (also counts every input token exactly)"
        )
        print(f"  tiktoken count of the input   {tiktoken_seconds:6.2f} s  (the floor for --json)")
        print(f"  {stats['output_tokens']:,} tokens out, profile {stats['profile']}")


if __name__ == "__main__":
    main()
