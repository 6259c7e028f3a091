"""The directory walk against git itself: ``git check-ignore`` is the oracle.

Trees are generated with nested ``.gitignore`` files and negations, ``.git/info/exclude``
and a global excludes file; both ways of walking (asking git, and pathspec without git)
must list exactly the files git does not ignore.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tokenls.files import gitignore
from tokenls.files.gitignore import walk_directory

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

DIRS = ["", "docs", "docs/api", "sub", "sub/deep", "build", "build/keep", "logs", "x/y/z"]
NAMES = ["a.md", "keep.log", "other.log", "notes.txt", "secret.env", "b.tmp", "README"]
PATTERNS = [
    "*.log",
    "!keep.log",
    "build/",
    "!build/keep/",
    "docs/**",
    "!docs/a.md",
    "!docs/api/",
    "/notes.txt",
    "deep",
    "*.tmp",
    "!b.tmp",
    "x/**/README",
    "sub/*.md",
    "!*/",
    "*",
    "!*.md",
    "logs/*",
    "!logs/keep.log",
    "**/api/*.txt",
    "secret*",
]


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HOME whose global excludes file ignores ``*.env``."""
    home = tmp_path / "home"
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".config" / "git" / "ignore").write_text("*.env\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return tmp_path / "repo"


def _make_tree(repo: Path, rng: random.Random | None) -> None:
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for directory in DIRS:
        (repo / directory).mkdir(parents=True, exist_ok=True)
        for name in NAMES:
            (repo / directory / name).write_text(f"{directory}/{name}\n")
    if rng is None:  # a hand-picked set of the classic cases
        (repo / ".gitignore").write_text("*.log\nbuild/\ndocs/**\n!docs/a.md\n/notes.txt\n")
        (repo / "sub" / ".gitignore").write_text("!keep.log\n*.md\ndeep\n")
        (repo / "build" / ".gitignore").write_text("!*.log\n")  # inside an excluded dir
        (repo / "logs" / ".gitignore").write_text("*\n!.gitignore\n!keep.log\n")
        (repo / ".git" / "info" / "exclude").write_text("README\n!x/y/z/README\n")
        return
    for directory in ("", "docs", "sub", "build", "logs", "x/y"):
        lines = rng.sample(PATTERNS, rng.randint(1, 5))
        (repo / directory / ".gitignore").write_text("\n".join(lines) + "\n")
    (repo / ".git" / "info" / "exclude").write_text("\n".join(rng.sample(PATTERNS, 2)) + "\n")


def _git_truth(repo: Path) -> set[str]:
    every = sorted(
        p.relative_to(repo).as_posix()
        for p in repo.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    )
    result = subprocess.run(
        ["git", "-C", str(repo), "check-ignore", "--stdin"],
        input="\n".join(every) + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return set(every) - set(result.stdout.splitlines())


def _walked(repo: Path) -> set[str]:
    return {p.relative_to(repo).as_posix() for p in walk_directory(repo)}


@pytest.mark.parametrize("seed", [None, *range(40)])
def test_walk_lists_exactly_what_git_does_not_ignore(git_env: Path, monkeypatch, seed) -> None:
    repo = git_env
    _make_tree(repo, None if seed is None else random.Random(seed))
    truth = _git_truth(repo)
    assert _walked(repo) == truth  # asking git
    monkeypatch.setattr(gitignore, "_git_listed", lambda _root: None)
    assert _walked(repo) == truth  # the same rules without git


def test_classic_cases_named(git_env: Path) -> None:
    repo = git_env
    _make_tree(repo, None)
    walked = _walked(repo)
    assert "sub/keep.log" in walked  # nested negation under a root `*.log`
    assert "sub/other.log" not in walked
    assert not any(p.startswith("build/") for p in walked)  # no re-including inside build/
    assert "docs/a.md" in walked and "docs/notes.txt" not in walked
    assert "README" not in walked and "x/y/z/README" in walked  # .git/info/exclude
    assert not any(p.endswith(".env") for p in walked)  # global excludes file
    assert "logs/keep.log" in walked and "logs/a.md" not in walked


def test_tracked_files_count_even_when_a_rule_matches(git_env: Path) -> None:
    repo = git_env
    _make_tree(repo, None)
    assert "other.log" not in _walked(repo)
    subprocess.run(["git", "-C", str(repo), "add", "-f", "other.log"], check=True)
    assert "other.log" in _walked(repo)  # git counts what it tracks, as ls-files lists it


def test_a_named_ignored_directory_is_walked(git_env: Path) -> None:
    repo = git_env
    _make_tree(repo, None)
    inside = {p.relative_to(repo).as_posix() for p in walk_directory(repo / "build")}
    assert "build/a.md" in inside and "build/keep/a.md" in inside
    assert "build/keep.log" in inside  # build/.gitignore re-includes logs inside build/


def test_no_ignore_lists_everything_but_git_itself(git_env: Path) -> None:
    repo = git_env
    _make_tree(repo, None)
    every = {p.relative_to(repo).as_posix() for p in walk_directory(repo, ignore=False)}
    assert len(every) == len(DIRS) * len(NAMES) + 4  # plus the four .gitignore files


def _fsmonitor_repo(repo: Path, marker: Path) -> None:
    """A repository whose own ``.git/config`` names a program for git to run."""
    _make_tree(repo, None)
    hook = repo.parent / "fsmonitor.sh"
    hook.write_text(f"#!/bin/sh\necho ran >> {marker}\n")
    hook.chmod(0o755)
    subprocess.run(["git", "-C", str(repo), "config", "core.fsmonitor", str(hook)], check=True)


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script as the monitor")
def test_a_repository_fsmonitor_program_is_never_run(git_env: Path) -> None:
    repo = git_env
    marker = repo.parent / "fsmonitor-ran"
    _fsmonitor_repo(repo, marker)
    truth = _git_truth(repo)
    assert marker.exists()  # the repository's monitor is live: plain git runs it
    marker.unlink()
    assert _walked(repo) == truth  # the listing still comes from git, rules and all
    assert not marker.exists()
    for command in (["count", "--json", "."], ["check", "."]):
        run = subprocess.run(
            [sys.executable, "-m", "tokenls", *command],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode in (0, 1), run.stderr
        assert not marker.exists(), f"tokenls {command[0]} ran the repository's fsmonitor"
        if command[0] == "count":
            assert {f["path"] for f in json.loads(run.stdout)["files"]} == truth


def test_a_submodule_never_checked_out_is_an_empty_folder(git_env: Path) -> None:
    inner = git_env.parent / "inner"
    _make_tree(inner, None)
    subprocess.run(["git", "-C", str(inner), "add", "a.md"], check=True)
    commit = ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "i"]
    subprocess.run(["git", "-C", str(inner), *commit], check=True)
    outer = git_env
    subprocess.run(["git", "init", "-q", str(outer)], check=True)
    (outer / "top.md").write_text("top\n")
    add = ["-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "sub"]
    subprocess.run(["git", "-C", str(outer), *add], check=True, capture_output=True)
    assert "sub/a.md" in _walked(outer)  # checked out: its files, by its own rules
    shutil.rmtree(outer / "sub")
    (outer / "sub").mkdir()  # as a clone without --recursive leaves it
    assert _walked(outer) == {".gitmodules", "top.md"}


def test_a_fifo_ignore_file_is_skipped_not_waited_on(git_env: Path, monkeypatch) -> None:
    repo = git_env
    _make_tree(repo, None)
    (repo / "sub" / ".gitignore").unlink()
    os.mkfifo(repo / "sub" / ".gitignore")
    monkeypatch.setattr(gitignore, "_git_listed", lambda _root: None)  # the rules without git
    walked = _walked(repo)  # a blocking read of the FIFO would never return
    assert "sub/a.md" in walked and "build/a.md" not in walked
