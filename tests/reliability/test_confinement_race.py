"""A directory on a reference's path swapped for a symlink out of the workspace, while
tokenls reads through it, never lets an outside file be counted; refusals say only
"outside the workspace"."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import truth
from tokenls.cache.token_cache import TokenCache
from tokenls.engine.counting import Counter
from tokenls.engine.text import split_lines
from tokenls.references.files import FilePolicy, ReferenceRefused, resolve_path
from tokenls.references.parse import parse_references
from tokenls.references.resolve import Resolver

ITERATIONS = 10000
TIME_LIMIT_S = 15.0
INSIDE = "inside\n"
OUTSIDE = "a secret that lives outside the workspace " * 20 + "\n"

_SWAPPER = """
import os, sys, time
sub, real, outside, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
end = time.monotonic() + seconds
print("swapping", flush=True)
while time.monotonic() < end:  # a real directory, then a link out, each for a moment
    time.sleep(0.0003)
    os.rename(sub, real)
    os.symlink(outside, sub)
    time.sleep(0.0003)
    os.unlink(sub)
    os.rename(real, sub)
"""


def test_directory_swap_race_never_counts_an_outside_file(tmp_path: Path) -> None:
    work, outside = tmp_path / "ws", tmp_path / "outside"
    (work / "sub").mkdir(parents=True)
    (work / "sub" / "f.md").write_text(INSIDE)
    outside.mkdir()
    (outside / "f.md").write_text(OUTSIDE)
    secret_tokens = truth(OUTSIDE, "o200k_base")
    refs = parse_references(split_lines("#file:sub/f.md\n"), {"hash_file"})
    resolver = Resolver(TokenCache(None), FilePolicy((work.resolve(),)))
    counter = Counter("o200k_base")
    swapper = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _SWAPPER,
            str(work / "sub"),
            str(work / "sub.real"),
            str(outside),
            str(TIME_LIMIT_S),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    outcomes = {"ok": 0, "refused": 0, "escaped": 0}
    leaked: list[str] = []
    try:
        assert swapper.stdout is not None and swapper.stdout.readline().strip() == "swapping"
        deadline = time.monotonic() + TIME_LIMIT_S - 1
        for _ in range(ITERATIONS):
            if time.monotonic() > deadline:
                break
            [result] = resolver.resolve(refs, work, counter, {})
            if result.status == "ok" and result.tokens == secret_tokens:
                outcomes["escaped"] += 1
            elif result.status == "ok":
                outcomes["ok"] += 1
            else:
                outcomes["refused"] += 1
                if str(outside) in (result.error or "") or "secret" in (result.error or ""):
                    leaked.append(result.error or "")
    finally:
        swapper.kill()
        swapper.wait(timeout=10)
    tries = sum(outcomes.values())
    print(f"directory swap race: {tries} tries, {outcomes}")
    assert outcomes["escaped"] == 0
    assert leaked == []
    assert outcomes["ok"] > 0 and outcomes["refused"] > 0  # the race really was run


def test_refusals_do_not_reveal_link_targets_or_whether_outside_files_exist(
    tmp_path: Path,
) -> None:
    work, outside = tmp_path / "ws", tmp_path / "private"
    work.mkdir()
    outside.mkdir()
    (outside / "exists.md").write_text("there\n")
    (work / "link.md").symlink_to(outside / "exists.md")
    (work / "dangling.md").symlink_to(outside / "missing.md")
    policy = FilePolicy((work.resolve(),))
    messages = {}
    for target in ("link.md", "dangling.md", "../private/exists.md", "../private/missing.md"):
        try:
            resolve_path(target, work, policy)
        except ReferenceRefused as exc:
            messages[target] = str(exc)
    assert messages == {
        target: f"{target} is outside the workspace"
        for target in ("link.md", "dangling.md", "../private/exists.md", "../private/missing.md")
    }
