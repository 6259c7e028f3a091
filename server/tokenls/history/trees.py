"""One revision's files, looked up by path: a commit's tree (git's objects) or the work tree.

Both answer the same questions — which entry a path names (no symlink followed), what a
file holds, which files there are — so a prompt's inputs are found the same way on either
side, and an input unchanged between two sides has the same object name on both: the work
tree's files are hashed as git hashes a blob.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Protocol

from tokenls.files.gitignore import walk_directory
from tokenls.files.regular import read_regular
from tokenls.history.git_objects import MODE_EXECUTABLE, MODE_FILE, MODE_LINK, MODE_TREE, Entry
from tokenls.history.object_reader import ObjectReader

READ_LIMIT = 64 * 1024 * 1024  # a file larger than this is never held in memory
CONFIG_NAMES = ("tokenls.toml", "pyproject.toml")


class Tree(Protocol):
    def entry(self, path: str) -> Entry | None:
        """The entry at ``path`` (``a/b.md``); None when absent or below a symlink."""
        ...

    def data(self, entry: Entry) -> bytes | None:
        """A file's bytes or a symlink's target; None when over ``READ_LIMIT``."""
        ...

    def files(self) -> list[str]:
        """Every file and symlink path."""
        ...


def parts_of(path: str) -> list[str] | None:
    """A tree path's components; None for one no tree may hold (``..``, ``.git``, empty)."""
    parts = path.split("/")
    if any(p in ("", ".", "..") or p.lower() == ".git" or "\0" in p for p in parts):
        return None
    return parts


class CommitTree:
    """A commit's tree, read through one ``git cat-file --batch`` process."""

    def __init__(
        self, objects: ObjectReader, tree: str, listing: dict[str, Entry] | None = None
    ) -> None:
        self.objects = objects
        self.tree = tree
        self.listing = listing  # from ``git ls-tree -r`` when every file is needed

    def entry(self, path: str) -> Entry | None:
        if self.listing is not None and path in self.listing:
            return self.listing[path]
        parts = parts_of(path)
        if parts is None:
            return None
        current = Entry(MODE_TREE, self.tree)
        for part in parts:
            if not current.is_tree:
                return None
            found = self.objects.tree(current.oid).get(part)
            if found is None:
                return None
            current = found
        return current

    def data(self, entry: Entry) -> bytes | None:
        return self.objects.blob(entry.oid, READ_LIMIT)

    def files(self) -> list[str]:
        return sorted(self.listing or {})


class WorkTree:
    """The files on disk under a repository's top, hashed as git hashes blobs."""

    def __init__(self, top: Path, object_width: int = 40) -> None:
        self.top = top
        self._hash = hashlib.sha256 if object_width == 64 else hashlib.sha1
        self._data: dict[str, bytes | None] = {}  # by object name
        self._entries: dict[str, Entry | None] = {}

    def entry(self, path: str) -> Entry | None:
        if path in self._entries:
            return self._entries[path]
        found = self._entry(path)
        self._entries[path] = found
        return found

    def _entry(self, path: str) -> Entry | None:
        parts = parts_of(path)
        if parts is None:
            return None
        for depth in range(1, len(parts)):  # every folder on the way: a real folder
            try:
                if not stat.S_ISDIR(os.lstat(self.top.joinpath(*parts[:depth])).st_mode):
                    return None
            except OSError:
                return None
        full = self.top.joinpath(*parts)
        try:
            info = os.lstat(full)
        except OSError:
            return None
        if stat.S_ISLNK(info.st_mode):
            return self._remember(MODE_LINK, os.fsencode(os.readlink(full)))
        if stat.S_ISDIR(info.st_mode):
            return Entry(MODE_TREE, "")
        if not stat.S_ISREG(info.st_mode):
            return None
        mode = MODE_EXECUTABLE if info.st_mode & 0o111 else MODE_FILE
        if info.st_size > READ_LIMIT:  # never equal to a blob: counted on both sides
            return Entry(mode, f"large:{info.st_size}:{info.st_mtime_ns}")
        try:
            return self._remember(mode, read_regular(full, READ_LIMIT))
        except OSError:
            return None

    def _remember(self, mode: str, data: bytes) -> Entry:
        oid = self._hash(b"blob %d\0" % len(data) + data).hexdigest()
        self._data[oid] = data
        return Entry(mode, oid)

    def data(self, entry: Entry) -> bytes | None:
        return self._data.get(entry.oid)

    def files(self) -> list[str]:
        return [p.relative_to(self.top).as_posix() for p in walk_directory(self.top)]
