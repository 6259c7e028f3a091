"""A repository read through git's objects: revisions, trees, renames and history.

A revision's content never comes from the work tree: trees are listed with ``git ls-tree``
and objects are read by ``tokenls.history.object_reader`` (one ``git cat-file --batch``
process). A repository is untrusted input: every command runs with the options and checks of
``tokenls.history.git_hardening``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tokenls.files.gitignore import run_git
from tokenls.history.git_hardening import HARDENING, OID, GitError, check_revision
from tokenls.history.git_objects import Entry, path_name
from tokenls.history.object_reader import ObjectReader

_LOG_HEADER = re.compile(rb"([0-9a-f]{40,64}) ([0-9a-f]{40,64})")


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A commit a path's history lists, with the path's name there (``--follow``)."""

    commit: str
    tree: str
    name: str | None


class Repository:
    """One work tree's repository, addressed by its top directory."""

    def __init__(self, top: Path) -> None:
        self.top = top

    @classmethod
    def find(cls, start: Path) -> Repository:
        """The repository whose work tree holds ``start``."""
        directory = start if start.is_dir() else start.parent
        result = run_git(directory, *HARDENING, "rev-parse", "--show-toplevel")
        if result is None:
            raise GitError("git is not installed")
        if result.returncode != 0 or not result.stdout.strip():
            raise GitError(f"not inside a git work tree: {directory}")
        return cls(Path(result.stdout.decode("utf-8", "surrogateescape").rstrip("\n")))

    def git(self, *args: str) -> bytes:
        """A git command's output; ``GitError`` with git's own first line when it fails."""
        result = run_git(self.top, *HARDENING, *args)
        if result is None:
            raise GitError("git could not be run")
        if result.returncode != 0:
            lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(lines[0] if lines else f"git {args[0]} failed")
        return result.stdout

    def commit(self, revision: str) -> str:
        """The commit a revision names (``HEAD``, a branch, ``main~2``, an object name)."""
        check_revision(revision)
        result = run_git(
            self.top, *HARDENING, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"
        )
        out = result.stdout.decode("ascii", "replace").strip() if result else ""
        if result is None or result.returncode != 0 or not OID.fullmatch(out):
            raise GitError(f"unknown revision: {revision}")
        return out

    def merge_base(self, first: str, second: str) -> str:
        out = self.git("merge-base", first, second).decode("ascii", "replace").strip()
        if not OID.fullmatch(out):
            raise GitError(f"no common ancestor of {first} and {second}")
        return out

    def files(self, commit: str) -> dict[str, Entry]:
        """Every file and symlink of a commit's tree (submodules left out), by path."""
        listing = self.git("ls-tree", "-r", "-z", "--full-tree", commit)
        files: dict[str, Entry] = {}
        for record in listing.split(b"\0"):
            head, _, raw = record.partition(b"\t")
            fields = head.split(b" ")
            if len(fields) != 3 or fields[1] != b"blob":
                continue
            files[path_name(raw)] = Entry(fields[0].decode(), fields[2].decode())
        return files

    def renames(self, base: str, head: str | None) -> dict[str, str]:
        """Files renamed from ``base`` to ``head`` (None: the work tree), new name → old."""
        options = ("-r", "-M", "--name-status", "-z", "--no-ext-diff", "--no-textconv")
        if head is None:
            out = self.git("diff-index", *options, base, "--")
        else:
            out = self.git("diff-tree", *options, base, head, "--")
        fields = out.split(b"\0")
        renamed: dict[str, str] = {}
        index = 0
        while index < len(fields):
            status = fields[index]
            if not status:
                index += 1
                continue
            if status[:1] in (b"R", b"C") and index + 2 < len(fields):
                if status[:1] == b"R":
                    renamed[path_name(fields[index + 2])] = path_name(fields[index + 1])
                index += 3
            else:
                index += 2
        return renamed

    def history(self, paths: Sequence[str], *, follow: bool, limit: int | None) -> list[LogEntry]:
        """Commits along the first-parent line from HEAD that changed one of ``paths``, newest
        first; with ``follow`` (one path), its renames are followed and each commit carries
        the path's name there."""
        options = ["-z", "--first-parent", "--format=%H %T"]
        if limit is not None:
            options.append(f"--max-count={limit}")
        if follow:
            options += ["--follow", "--name-only"]
        out = self.git("log", *options, "HEAD", "--", *paths)
        return list(_log_entries(out, named=follow))

    def objects(self) -> ObjectReader:
        return ObjectReader(self.top)


def _log_entries(out: bytes, *, named: bool) -> Iterator[LogEntry]:
    """Parse ``git log -z --format='%H %T'`` output. A name follows its header after a line
    break; a header never starts with one, so names of any bytes parse unambiguously."""
    position = 0
    while position < len(out):
        end = out.find(b"\0", position)
        end = len(out) if end < 0 else end
        match = _LOG_HEADER.fullmatch(out, position, end)
        position = end + 1
        if match is None:
            continue
        name = None
        if named and out[position : position + 1] == b"\n":
            stop = out.find(b"\0", position + 1)
            stop = len(out) if stop < 0 else stop
            name = path_name(out[position + 1 : stop])
            position = stop + 1
        yield LogEntry(match[1].decode(), match[2].decode(), name)
