"""Tree walks over what a repository may hold: FIFOs and devices are never read (a walk
skips them and says why, a named one is refused), and a tree thousands of folders deep is
walked and counted exactly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import truth
from tokenls.cli.main import main
from tokenls.files.regular import NotRegularFile, open_regular

TOKENLS = [sys.executable, "-m", "tokenls"]
BOUND_S = 60  # far beyond any answer here; a read blocked on a FIFO never returns
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """tokenls in a real process, failed (not hung) when it blocks."""
    return subprocess.run(
        [*TOKENLS, *args], cwd=cwd, capture_output=True, text=True, timeout=BOUND_S
    )


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


# -- FIFOs and devices -----------------------------------------------------------------------


def _tree_with_fifos(root: Path, git: bool) -> list[str]:
    """A folder with one plain prompt and FIFOs where prompts would be; returns the FIFOs a
    walk finds. In git, an untracked FIFO is not listed at all, but a tracked prompt
    replaced by a FIFO and a tracked symlink to one (in an ignored folder) are."""
    (root / "tokenls.toml").write_text("budget = 1000\n")
    (root / "ok.md").write_text("a prompt that is read\n")
    if not git:
        os.mkfifo(root / "pipe.md")
        os.mkfifo(root / "sub.md")
        return ["pipe.md", "sub.md"]
    (root / "tracked.md").write_text("replaced below\n")
    (root / ".gitignore").write_text("hidden/\n")
    (root / "hidden").mkdir()
    os.mkfifo(root / "hidden" / "target.md")
    (root / "link.md").symlink_to(Path("hidden", "target.md"))
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "tree")
    (root / "tracked.md").unlink()
    os.mkfifo(root / "tracked.md")
    os.mkfifo(root / "untracked.md")
    return ["link.md", "tracked.md"]


@needs_fifo
@pytest.mark.parametrize("git", [False, pytest.param(True, marks=needs_git)])
def test_a_walk_skips_fifos_and_says_why(tmp_path: Path, git: bool) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    fifos = _tree_with_fifos(root, git)
    own = truth("a prompt that is read\n", "o200k_base")
    skipped = [{"path": name, "reason": "a FIFO, not a regular file"} for name in fifos]

    count = _run(root, "count", "--json", ".")
    assert count.returncode == 0, count.stderr
    report = json.loads(count.stdout)
    assert {f["path"]: f["tokens"] for f in report["files"]}["ok.md"] == own
    assert sorted(report["skipped"], key=lambda s: s["path"]) == skipped
    assert "untracked.md" not in count.stdout

    text = _run(root, "count", ".")
    assert text.returncode == 0
    assert f"{len(fifos)} paths skipped ({fifos[0]}: a FIFO, not a regular file" in text.stderr

    check = _run(root, "check", "--format", "json", ".")
    assert check.returncode == 0, check.stderr
    document = json.loads(check.stdout)
    assert (
        document["checked"] == 1 and sorted(document["skipped"], key=lambda s: s["path"]) == skipped
    )
    for name in fifos:
        assert f"tokenls: skipped {name}: a FIFO, not a regular file\n" in check.stderr


@needs_fifo
@pytest.mark.parametrize("command", ["check", "count"])
def test_a_named_fifo_is_refused_at_once(tmp_path: Path, command: str) -> None:
    os.mkfifo(tmp_path / "pipe.md")
    result = _run(tmp_path, command, "pipe.md")
    assert result.returncode == 2
    says = (
        "tokenls: pipe.md: a FIFO, not a regular file "
        "(to read a stream, pipe it to standard input: -)"
    )
    assert says in result.stderr.splitlines()
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_symlink_to_a_device_is_skipped_not_read_for_ever(tmp_path: Path) -> None:
    (tmp_path / "zero.md").symlink_to("/dev/zero")
    (tmp_path / "ok.md").write_text("hello\n")
    result = _run(tmp_path, "count", "--json", ".")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["skipped"] == [{"path": "zero.md", "reason": "a device, not a regular file"}]
    assert report["total"] == truth("hello\n", "o200k_base")


@needs_fifo
def test_a_name_swapped_for_a_fifo_after_its_check_is_not_waited_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race a walk leaves: the name looked like a file, then became a FIFO. The open
    must not block (no writer ever comes) and the descriptor's own check refuses it."""
    fifo = tmp_path / "p.md"
    os.mkfifo(fifo)
    (tmp_path / "file.md").write_text("x")
    looks_regular = os.stat(tmp_path / "file.md")
    monkeypatch.setattr("tokenls.files.regular.os.stat", lambda _path: looks_regular)
    outcome: list[BaseException | object] = []

    def attempt() -> None:
        try:
            outcome.append(open_regular(fifo))
        except BaseException as exc:  # handed to the test's thread
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(BOUND_S)
    if worker.is_alive():  # let the blocked open return, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("open_regular blocked on a FIFO")
    [result] = outcome
    assert isinstance(result, NotRegularFile) and result.strerror == "a FIFO, not a regular file"


# -- deep trees ------------------------------------------------------------------------------

DEPTH = 1200  # deeper than Python's recursion limit


def _deep_tree(root: Path) -> dict[str, str]:
    """``DEPTH`` nested folders with a prompt at the top, halfway and at the bottom."""
    texts = {}
    folder = root
    for level in range(DEPTH + 1):
        if level in (0, DEPTH // 2, DEPTH):
            text = f"level {level}: " + "words of a prompt " * (level % 7 + 1) + "\n"
            (folder / f"p{level}.md").write_text(text)
            texts[(folder / f"p{level}.md").relative_to(root).as_posix()] = text
        if level < DEPTH:
            folder = folder / "d"
            folder.mkdir()
    return texts


def _remove_tree(top: Path) -> None:
    """``shutil.rmtree`` recurses, and so would pytest's own clean-up of this tree."""
    folders, pending = [], [top]
    while pending:
        folder = pending.pop()
        folders.append(folder)
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
            else:
                os.unlink(entry.path)
    for folder in reversed(folders):
        os.rmdir(folder)


@pytest.fixture
def deep_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "deep"
    root.mkdir()
    yield root
    _remove_tree(root)


@pytest.mark.parametrize("git", [False, pytest.param(True, marks=needs_git)])
def test_a_tree_deeper_than_the_recursion_limit_counts_exactly(
    deep_root: Path, git: bool, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    root = deep_root
    (root / "tokenls.toml").write_text("budget = 100000\n")
    texts = _deep_tree(root)
    if git:
        _git(root, "init", "-q")
    monkeypatch.chdir(root)
    own = {path: truth(text, "o200k_base") for path, text in texts.items()}
    toml = truth("budget = 100000\n", "o200k_base")

    assert main(["count", "--json", "."]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {f["path"]: f["tokens"] for f in report["files"]} == {**own, "tokenls.toml": toml}
    assert report["total"] == sum(own.values()) + toml

    assert main(["count", "--tree", "."]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split() == [f"{report['total']:,}", "./"]
    deepest = [row for row in rows if row.endswith(f"p{DEPTH}.md")]
    assert len(deepest) == 1 and deepest[0].split()[0] == f"{own[max(own, key=len)]:,}"
    assert len(rows) == 1 + DEPTH + len(own) + 1  # ".", each folder, the prompts, the toml

    assert main(["check", "--format", "json", "."]) == 0
    assert json.loads(capsys.readouterr().out)["checked"] == len(own)
