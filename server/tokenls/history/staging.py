"""A commit's files written out where the analysis reads them: only those a count needs.

The analysis reads files as ``check`` does (confined, race-free, through the count cache),
so a commit's inputs are written into a private temporary folder rather than read another
way. Nothing is written outside it: every folder on a path is made a real folder first, and
files are created with ``O_NOFOLLOW``. Each written file gets a modification time no other
file here had, so the cache's stat key (path, size, mtime, inode) never mistakes one
version of a file for another when a folder is reused for the next commit. An empty
``tokenls.toml`` above the tree ends the search for config files there: a config in a
shared temporary folder is no repository's.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from tokenls.history.git_objects import MODE_EXECUTABLE, Entry
from tokenls.history.trees import READ_LIMIT, Tree, parts_of


class Staging:
    """A temporary folder holding one tree's files, as many as were asked for."""

    def __init__(self) -> None:
        self.parent = Path(os.path.realpath(tempfile.mkdtemp(prefix="tokenls-tree-")))
        (self.parent / "tokenls.toml").write_bytes(b"")
        self.root = self.parent / "tree"
        self.root.mkdir()
        self._written: dict[str, Entry | None] = {}
        self._clock = time.time_ns()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self.parent, ignore_errors=True)

    def sync(self, entries: Mapping[str, Entry | None], tree: Tree, *, only: bool) -> None:
        """Make the folder hold ``entries`` as ``tree`` has them (None: absent); with
        ``only``, anything written before and not among them is removed."""
        if only:
            for path in [p for p in self._written if p not in entries]:
                self._remove(path)
        for path, entry in entries.items():
            if path in self._written and self._written[path] == entry:
                continue
            if entry is None:
                self._remove(path)
            else:
                self._write(path, entry, tree)

    def _forget(self, path: str) -> None:
        """``path`` and whatever was written below it are no longer there."""
        below = path + "/"
        for known in [p for p in self._written if p == path or p.startswith(below)]:
            del self._written[known]

    def _remove(self, path: str) -> None:
        self._forget(path)
        parts = parts_of(path)
        if parts is None:
            return
        target = self.root.joinpath(*parts)
        if not self._folders(parts[:-1], create=False):
            return
        try:
            info = os.lstat(target)
        except OSError:
            return
        if stat.S_ISDIR(info.st_mode):
            shutil.rmtree(target, ignore_errors=True)
        else:
            os.unlink(target)

    def _write(self, path: str, entry: Entry, tree: Tree) -> None:
        parts = parts_of(path)
        if parts is None or not self._folders(parts[:-1], create=True):
            return
        self._remove(path)
        target = self.root.joinpath(*parts)
        if entry.is_tree:
            target.mkdir()
        elif entry.is_link:
            link = tree.data(entry)
            if link is None:
                return
            os.symlink(os.fsdecode(link), target)
        else:
            self._file(target, entry, tree.data(entry))
        self._written[path] = entry

    def _file(self, target: Path, entry: Entry, data: bytes | None) -> None:
        mode = 0o755 if entry.mode == MODE_EXECUTABLE else 0o644
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(target, flags, mode)
        try:
            if data is None:  # too large to hold: as large as that, for the same refusal
                os.ftruncate(fd, READ_LIMIT + 1)
            else:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            self._clock += 1_000
            os.utime(fd, ns=(self._clock, self._clock))
        finally:
            os.close(fd)

    def _folders(self, parts: list[str], *, create: bool) -> bool:
        """Whether every folder of ``parts`` is a real folder under the root (made so when
        ``create``: a link or file in the way is removed first)."""
        current = self.root
        for part in parts:
            current = current / part
            try:
                info = os.lstat(current)
            except FileNotFoundError:
                if not create:
                    return False
                current.mkdir()
                continue
            if stat.S_ISDIR(info.st_mode):
                continue
            if not create:
                return False
            os.unlink(current)
            self._forget(current.relative_to(self.root).as_posix())
            current.mkdir()
        return True
