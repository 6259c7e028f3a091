"""Running ``tokenls count --json`` in several processes at once, as CI jobs and editors do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def count_in_processes(work: Path, cache: Path, prompts: list[str]) -> list[dict[str, Any]]:
    """One ``count --json`` process per prompt, all started together; each one's first file
    entry (the run must succeed)."""
    env = {**os.environ, "TOKENLS_CACHE_DIR": str(cache)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tokenls", "count", "--json", prompt],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prompt in prompts
    ]
    entries = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        entries.append(json.loads(out)["files"][0])
    return entries
