"""The cache owns only what it made: a broken, locked, misplaced or vanished cache never
costs a user file, another process's cache, or a count."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import diskcache
import pytest

from tests.conftest import truth
from tests.reliability.processes import count_in_processes
from tokenls.cache.owned import MARKER
from tokenls.cache.token_cache import TokenCache

PROCESSES = 4
HOLD_S = 8.0  # how long another process keeps the database locked


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _user_folder(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.py").write_text("print('precious')\n")
    (root / "notes.md").write_text("# Notes nobody backed up\n")
    (root / "cache.db").write_bytes(b"this is not a sqlite database\n" * 64)
    return root


def _tokenls(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokenls", *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.e2e
def test_compress_with_cache_dir_dot_and_a_corrupt_database_deletes_nothing(
    tmp_path: Path,
) -> None:
    work = _user_folder(tmp_path / "work")
    (work / "tokenls.toml").write_text('cache_dir = "."\n')
    (work / "ci.log").write_text(
        "".join(f"INFO step {i} ok\n" for i in range(200)) + "ERROR boom\n"
    )
    before = _snapshot(work)
    # --memory: the error memory is what keeps its state in the cache directory.
    run = _tokenls(["compress", "ci.log", "--budget", "200", "--memory"], work)
    assert run.returncode == 0, run.stderr
    assert "ERROR boom" in run.stdout
    assert "ValueError" not in run.stderr and "Traceback" not in run.stderr
    assert "not using the disk cache" in run.stderr
    assert "is the workspace or contains it" in run.stderr
    assert _snapshot(work) == before  # every byte of every file, the bad cache.db included


@pytest.mark.e2e
def test_count_with_the_workspace_as_cache_dir_warns_and_still_counts(tmp_path: Path) -> None:
    work = tmp_path / "ws"
    (work / ".git").mkdir(parents=True)
    (work / "a.prompt.md").write_text("Use #file:b.md\n")
    (work / "b.md").write_text("beta gamma\n")
    run = _tokenls(["count", "--json", "a.prompt.md"], work, TOKENLS_CACHE_DIR=".")
    assert run.returncode == 0, run.stderr
    assert "not using the disk cache" in run.stderr and "Traceback" not in run.stderr
    [entry] = json.loads(run.stdout)["files"]
    assert entry["tokens"] == truth("Use #file:b.md\n", "o200k_base") + truth(
        "beta gamma\n", "o200k_base"
    )
    assert not (work / MARKER).exists() and not (work / "cache.db").exists()


def test_the_workspace_is_refused_even_when_it_holds_the_marker(tmp_path: Path) -> None:
    work = tmp_path / "ws"
    work.mkdir()
    (work / MARKER).write_text("left by an older run\n")
    for directory in (work, tmp_path):  # the workspace itself, or a folder containing it
        cache = TokenCache(directory, workspaces=[work])
        cache.put("k", 1)
        assert "is the workspace or contains it" in cache.describe()["problem"]
    assert sorted(p.name for p in work.iterdir()) == [MARKER]


def test_repair_deletes_only_its_own_database_files(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    cache = TokenCache(directory)
    cache.put("k", 1)
    cache.put("big", "x" * 100_000)  # stored by diskcache as a value file
    cache.close()
    (directory / "keep.txt").write_text("a user's file that wandered in\n")
    (directory / "cache.db").write_bytes(b"garbage" * 500)
    repaired = TokenCache(directory)
    assert repaired.get("k") == (None, None)  # the damaged entries are gone...
    repaired.put("k", 2)
    assert repaired.stats.rebuilt == 1 and repaired.describe()["disk"] is True
    assert (directory / "keep.txt").read_text() == "a user's file that wandered in\n"
    assert not list(directory.glob("*/*/*.val"))  # ...with diskcache's own value files
    assert TokenCache(directory).get("k") == (2, "disk")


def test_a_folder_of_user_files_is_never_adopted(tmp_path: Path) -> None:
    folder = _user_folder(tmp_path / "mine")
    before = _snapshot(folder)
    cache = TokenCache(folder)
    cache.put("k", 1)
    assert cache.get("k") == (1, "memory")
    assert cache.describe()["disk"] is False and "did not make" in cache.describe()["problem"]
    assert _snapshot(folder) == before


def test_a_deleted_cache_directory_is_recreated(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    cache = TokenCache(directory)
    cache.put("before", 1)
    import shutil

    shutil.rmtree(directory)
    cache.put("after", 2)
    assert (directory / MARKER).is_file()
    assert TokenCache(directory).get("after") == (2, "disk")


_HOLDER = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
con.execute("UPDATE Settings SET value = value WHERE key = 'count'")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.execute("ROLLBACK")
"""


@pytest.mark.e2e
def test_four_processes_count_while_another_holds_the_database_locked(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    seeded = TokenCache(cache_dir)
    seeded.put("sentinel", "written before the lock")
    seeded.close()
    rate = diskcache.Cache(str(cache_dir / "rate"))
    rate.set("rate:sentinel", {"last": 1.0})
    rate.close()
    work = tmp_path / "ws"
    (work / ".git").mkdir(parents=True)
    (work / "docs").mkdir()
    for n in range(PROCESSES):
        (work / "docs" / f"d{n}.md").write_text(f"document {n} " * (n + 3) + "\n")
    expected = {}
    for n in range(PROCESSES):
        prompt = f"Prompt {n}: #file:docs/d{n}.md and #file:docs/d{(n + 1) % PROCESSES}.md\n"
        (work / f"p{n}.prompt.md").write_text(prompt)
        expected[n] = (
            truth(prompt, "o200k_base")
            + truth((work / "docs" / f"d{n}.md").read_text(), "o200k_base")
            + truth((work / "docs" / f"d{(n + 1) % PROCESSES}.md").read_text(), "o200k_base")
        )
    inode = (cache_dir / "cache.db").stat().st_ino
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(cache_dir / "cache.db"), str(HOLD_S)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        entries = count_in_processes(work, cache_dir, [f"p{n}.prompt.md" for n in range(PROCESSES)])
        elapsed = time.monotonic() - started
        assert holder.poll() is None, "the lock was released before the counts finished"
    finally:
        holder.wait(timeout=30)
    assert [entry["tokens"] for entry in entries] == [expected[n] for n in range(PROCESSES)]
    print(f"4 processes counted under a held lock in {elapsed:.2f} s (lock held {HOLD_S} s)")
    assert elapsed < HOLD_S  # waited a bounded time, not for the lock
    # Contention is not corruption: the database and the rate state beside it survive.
    assert (cache_dir / "cache.db").stat().st_ino == inode
    assert TokenCache(cache_dir).get("sentinel") == ("written before the lock", "disk")
    assert diskcache.Cache(str(cache_dir / "rate")).get("rate:sentinel") == {"last": 1.0}


def test_count_keeps_its_counts_in_the_workspace_cache_dir(tmp_path: Path) -> None:
    work = tmp_path / "ws"
    (work / ".git").mkdir(parents=True)
    (work / "tokenls.toml").write_text('cache_dir = ".cache/tokenls"\n')
    (work / "notes.md").write_text("some notes\n")
    (work / "p.prompt.md").write_text("Read #file:notes.md\n")
    run = _tokenls(["count", "--json", "p.prompt.md"], work)
    assert run.returncode == 0, run.stderr
    cache_dir = work / ".cache" / "tokenls"
    assert (cache_dir / MARKER).is_file() and (cache_dir / "cache.db").is_file()
    assert "not using the disk cache" not in run.stderr


def test_a_workspace_config_naming_the_workspace_as_cache_dir_writes_nothing_there(
    tmp_path: Path,
) -> None:
    work = tmp_path / "ws"
    (work / ".git").mkdir(parents=True)
    (work / "tokenls.toml").write_text('cache_dir = "."\n')  # inside the workspace: trusted
    (work / "notes.md").write_text("some notes\n")
    (work / "p.prompt.md").write_text("Read #file:notes.md\n")
    before = _snapshot(work)
    run = _tokenls(["check", "--format", "json", "p.prompt.md"], work)
    assert run.returncode == 0, run.stderr
    assert "is the workspace or contains it" in run.stderr
    assert _snapshot(work) == before and not (work / MARKER).exists()


def test_a_cache_shared_by_two_roots_is_refused_when_it_is_one_of_them(tmp_path: Path) -> None:
    from tokenls.workspace.services import Shared

    shared, first, second = Shared(), tmp_path / "first", tmp_path / "first" / "cache"
    second.mkdir(parents=True)
    cache = shared.cache(second, [first])  # a folder inside the first root: its own
    cache.put("k", 1)
    assert cache.describe()["disk"] is True
    assert shared.cache(second, [second]) is cache  # the same handle, now the second root
    assert "is the workspace or contains it" in cache.describe()["problem"]
    cache.put("k2", 2)
    assert cache.get("k2") == (2, "memory")
