"""How a CI job shows the steps it ran: a plain shell transcript, or a GitHub Actions raw log.

The GitHub Actions form follows the runner's documented raw-log format: every line starts
with an ISO 8601 UTC timestamp with seven fractional digits and a space; a step opens with
``##[group]Run <command>`` (its script and shell inside the group) and ``##[endgroup]``;
workflow commands a tool prints (``::error file=…::msg``, ``::warning::``, ``::group::``)
appear as ``##[error]msg`` and the like; a failed step ends with ``##[error]Process completed
with exit code N.``, later steps do not run, and ``Post job cleanup.`` follows.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z ")
_COMMAND = re.compile(r"^::(error|warning|notice|group|endgroup|debug)(?: [^:]*)?::(.*)$")


@dataclass
class Step:
    command: str
    output: str
    code: int


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def frame_plain(steps: list[Step], seed: str = "") -> tuple[str, int]:
    """``$ command`` then its output, step after step, up to the first that fails."""
    lines: list[str] = []
    start = 0
    for step in steps:
        start = len(lines)
        lines.append(f"$ {step.command}")
        lines += step.output.splitlines()
        if step.code:
            lines.append(f"exit status {step.code}")
            break
    return "".join(t + "\n" for t in lines), start


def frame_gha(steps: list[Step], seed: str = "") -> tuple[str, int]:
    """The raw log a GitHub-hosted runner keeps for a job running ``steps``."""
    digest = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    clock = [datetime(2025, 4, 11, 19, 32, 20) + timedelta(seconds=digest % 86_400), digest]
    body: list[str] = []

    def emit(text: str, gap_us: int = 0) -> None:
        clock[1] = (clock[1] * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        clock[0] += timedelta(microseconds=gap_us or 40 + clock[1] % 900)
        stamp = clock[0].strftime("%Y-%m-%dT%H:%M:%S.%f") + f"{clock[1] % 10}Z"
        body.append(f"{stamp} {text}")

    emit("Current runner version: '2.323.0'")
    for text in ["##[group]Runner Image Provisioner", "Hosted Compute Agent", "Version: 20250402.263",
                 "##[endgroup]", "##[group]Operating System", "Ubuntu", "24.04.2", "LTS",
                 "##[endgroup]", "##[group]Runner Image", "Image: ubuntu-24.04", "Version: 20250406.1.0",
                 "##[endgroup]", "##[group]GITHUB_TOKEN Permissions", "Contents: read", "Metadata: read",
                 "##[endgroup]", "Secret source: Actions", "Prepare workflow directory",
                 "Prepare all required actions", "Complete job name: test"]:  # fmt: skip
        emit(text)
    start = 0
    for step in steps:
        start = len(body)
        script = step.command.splitlines()
        emit(f"##[group]Run {script[0]}")
        for text in script:
            emit(f"\x1b[36;1m{text}\x1b[0m")
        emit("shell: /usr/bin/bash -e {0}")
        emit("##[endgroup]")
        for text in step.output.splitlines():
            command = _COMMAND.match(strip_ansi(text))
            if command:
                name, message = command.groups()
                text = f"##[{name}]{message}" if name != "endgroup" else "##[endgroup]"
            emit(text)
        if step.code:
            emit(f"##[error]Process completed with exit code {step.code}.", 2000)
            break
    emit("Post job cleanup.", 300_000)
    emit("Cleaning up orphan processes")
    return "".join(t + "\n" for t in body), start
