"""``tokenls log`` on a long history: one prompt changed in each of 1,000 commits.

The prompt (``CLAUDE.md``) grows by a line in every commit and imports ``docs/style.md``,
which grows in every 50th commit of its own, so the history also holds commits that change
the prompt's total without touching it. The repository is written with ``git fast-import``
(a thousand ``git commit`` runs would time the setup, not tokenls). Each run is a new
``tokenls log`` process: cold with an empty count cache, then warm with the cache it left.

    python bench/log_history.py [--commits N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ["review", "tests", "error", "handler", "cache", "retry", "budget", "prompt", "style"]


def build(root: Path, commits: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    stream: list[bytes] = []
    prompt = ["# Project rules\n", "\n", "@docs/style.md\n", "\n"]
    style = ["# Style\n", "\n"]

    def blob(text: str) -> bytes:
        data = text.encode()
        return b"data %d\n%s\n" % (len(data), data)

    for number in range(1, commits + 1):
        changed = []
        if number % 50 == 0:  # a commit of its own that grows the imported file
            style.append(f"- {WORDS[number % len(WORDS)]} rule {number}: keep it short\n")
            changed.append((b"docs/style.md", "".join(style)))
        else:
            words = " ".join(WORDS[(number + i) % len(WORDS)] for i in range(6))
            prompt.append(f"- rule {number}: {words}\n")
            changed.append((b"CLAUDE.md", "".join(prompt)))
        if number == 1:
            changed.append((b"docs/style.md", "".join(style)))
        message = f"change {number}".encode()
        stream.append(b"commit refs/heads/main\n")
        stream.append(b"committer Bench <bench@example.com> %d +0000\n" % (1_700_000_000 + number))
        stream.append(b"data %d\n%s\n" % (len(message), message))
        for path, text in changed:
            stream.append(b"M 100644 inline " + path + b"\n" + blob(text))
    subprocess.run(
        ["git", "-C", str(root), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )
    subprocess.run(["git", "-C", str(root), "checkout", "-q", "main"], check=True)


def run_log(root: Path, cache: Path) -> tuple[float, dict]:
    env = {**os.environ, "TOKENLS_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "tokenls", "log", "--json", "CLAUDE.md"],
        cwd=root,
        env=env,
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - started, json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root, cache = Path(folder) / "repo", Path(folder) / "cache"
        started = time.perf_counter()
        build(root, args.commits)
        print(f"history: {args.commits:,} commits built in {time.perf_counter() - started:.2f} s")
        for label in ("cold", "warm"):
            seconds, document = run_log(root, cache)
            points = document["points"]
            own = sum(p["prompt_changed"] for p in points)
            print(
                f"tokenls log CLAUDE.md ({label} cache): {seconds:.2f} s, {len(points):,} rows "
                f"({own:,} changes of the prompt, {len(points) - own:,} of the file it "
                f"imports), {points[-1]['tokens']:,} → {points[0]['tokens']:,} tokens"
            )


if __name__ == "__main__":
    main()
