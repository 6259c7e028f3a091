"""Reference resolution, cold vs warm: 1,000 referenced files (~50 MB) behind one prompt.

Cold: a new ``tokenls count`` process with an empty cache directory. Warm: a new process
with the same directory (a restart). Both are measured here, in the same run, as is the
fixed start-up (a process counting a one-line prompt with no references), so the ratio of
the resolution work itself is shown next to the end-to-end ratio.

    python bench/references.py [--files N] [--size BYTES]
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


def make_workspace(root: Path, files: int, size: int) -> Path:
    rng = random.Random(9)
    words = [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "error",
        "retry",
        "timeout",
        "request",
        "handler",
        "cache",
        "value",
    ]
    (root / "docs").mkdir(parents=True)
    for i in range(files):
        body = []
        total = 0
        while total < size:
            line = " ".join(rng.choices(words, k=12)) + f" #{i}-{total}\n"
            body.append(line)
            total += len(line)
        (root / "docs" / f"f{i:04}.md").write_text("".join(body))
    prompt = root / "prompt.md"
    prompt.write_text("# Context\n\n" + "".join(f"- #file:docs/f{i:04}.md\n" for i in range(files)))
    (root / "tokenls.toml").write_text('include = ["prompt.md"]\n')
    return prompt


def run(cmd: list[str], cache: Path) -> tuple[float, dict]:
    env = {**os.environ, "TOKENLS_CACHE_DIR": str(cache)}
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    return time.perf_counter() - t, json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        prompt = make_workspace(root, args.files, args.size)
        cmd = [sys.executable, "-m", "tokenls", "count", "--json", str(prompt)]
        tiny = Path(tmp) / "tiny" / "one.md"  # outside the workspace: a prompt by default
        tiny.parent.mkdir()
        tiny.write_text("hello\n")
        tiny_cmd = [sys.executable, "-m", "tokenls", "count", "--json", str(tiny)]
        run(tiny_cmd, Path(tmp) / "c0")
        startup, _ = run(tiny_cmd, Path(tmp) / "c0")  # cached as well: start-up alone
        cold, first = run(cmd, Path(tmp) / "cache")
        warm, second = run(cmd, Path(tmp) / "cache")
        assert first["total"] == second["total"], "warm count differs from cold"
        sources = {r["source"] for r in second["files"][0]["references"]}
        size = sum(p.stat().st_size for p in (root / "docs").iterdir())
        print(
            f"{args.files} referenced files, {size / 1e6:.1f} MB, total {first['total']:,} tokens"
        )
        print(f"  start-up (cached one-line prompt) {startup:5.2f} s")
        print(f"  cold (empty cache)         {cold:6.2f} s")
        print(f"  warm (restart, same cache) {warm:6.2f} s   sources {sorted(sources)}")
        print(f"  warm / cold, end to end    {warm / cold:6.3f}   (target <= 0.05)")
        work_ratio = max(warm - startup, 0.0) / max(cold - startup, 1e-9)
        print(f"  warm / cold, resolution    {work_ratio:6.3f}   (start-up subtracted from both)")


if __name__ == "__main__":
    main()
