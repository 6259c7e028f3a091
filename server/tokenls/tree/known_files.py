"""Counts of whole files remembered across runs: an unchanged tree is counted unread.

Each folder has one entry in the shared token cache, ``files:{counter}:{limit}:{folder}``
(the counter's ``cache_id``, so a tokenizer file's counts are keyed by its digest, and the
exactness limit the counts, estimates included, were made under): for
each file its stat (device, inode, size, mtime and ctime in nanoseconds), its content
digest and its count. A file whose stat is exactly the recorded one is not read; a file
whose stat changed but whose content did not (touched, checked out again) is hashed, not
encoded. A stat is recorded only when the file had not changed for ``SETTLED_NS`` before
it was read: a write within the file system's timestamp granularity of the read could
leave the same stat on different content (git calls such files "racy"), so such a file is
hashed again next time. One entry per folder, written in one transaction at the end of a
run, keeps a cold run's cache writes to a few hundred instead of one per file.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from tokenls.cache import stored
from tokenls.cache.token_cache import TokenCache
from tokenls.engine.counting import BATCH_MAX_EXACT, Count

SETTLED_NS = 2_000_000_000  # coarser than any common file system's timestamps (FAT: 2 s)
_FIELDS = 11  # stat (5), digest, tokens, exact, upper, chars, decode_errors

Stat = tuple[int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class KnownFile:
    """What a file held when it was counted; ``count`` is None for a binary file."""

    digest: str
    count: Count | None
    size: int
    chars: int
    decode_errors: bool


class KnownFiles:
    """Looks files up by stat, then by digest; safe to share across threads."""

    def __init__(
        self, cache: TokenCache, counter_id: str, max_exact: int = BATCH_MAX_EXACT
    ) -> None:
        self.cache = cache
        self.counter_id = counter_id  # the ``cache_id`` of the counters that count the files
        self.max_exact = max_exact
        self._folders: dict[str, dict[str, tuple[Any, ...]]] = {}
        self._changed: dict[str, dict[str, tuple[Any, ...]]] = {}
        self._absolute: dict[str, str] = {}  # a folder as named → as absolute
        self._lock = threading.Lock()

    def by_stat(self, path: os.PathLike[str] | str, info: os.stat_result) -> KnownFile | None:
        """The file's counts if its stat is exactly the recorded one."""
        entry = self._entry(path)
        if entry is None or entry[:5] != _stat_of(info):
            return None
        return _known(entry, info.st_size)

    def by_digest(self, path: os.PathLike[str] | str, digest: str, size: int) -> KnownFile | None:
        """The file's counts if its content is the one recorded (its stat changed)."""
        entry = self._entry(path)
        if entry is None or entry[5] != digest:
            return None
        return _known(entry, size)

    def remember(
        self, path: os.PathLike[str] | str, info: os.stat_result, known: KnownFile
    ) -> None:
        """Record ``known`` for the file; an unsettled stat is recorded as unknown."""
        folder, name = self._place(path)
        stat = _stat_of(info)
        if max(info.st_mtime_ns, info.st_ctime_ns) >= time.time_ns() - SETTLED_NS:
            stat = (-1, -1, -1, -1, -1)  # matches no real stat: the digest still serves
        count = known.count
        tokens, exact, upper = (
            (count.tokens, count.exact, count.upper) if count else (None, True, None)
        )
        entry = (*stat, known.digest, tokens, exact, upper, known.chars, known.decode_errors)
        with self._lock:
            self._changed.setdefault(folder, {})[name] = entry

    def flush(self) -> None:
        """Write every changed folder's entry, in one transaction."""
        with self._lock:
            changed, self._changed = self._changed, {}
            items = []
            for folder, entries in changed.items():
                merged = {**self._folders.get(folder, {}), **entries}
                self._folders[folder] = merged
                items.append((self._key(folder), merged))
        self.cache.put_many(items)

    def _place(self, path: os.PathLike[str] | str) -> tuple[str, str]:
        """The file's absolute folder and its name; each folder made absolute once (a tree
        names thousands of files in a few hundred folders)."""
        folder, name = os.path.split(os.fspath(path))
        if name in ("", ".", ".."):
            return os.path.split(os.path.abspath(path))
        absolute = self._absolute.get(folder)
        if absolute is None:
            absolute = self._absolute[folder] = os.path.abspath(folder or os.curdir)
        return absolute, name

    def _entry(self, path: os.PathLike[str] | str) -> tuple[Any, ...] | None:
        folder, name = self._place(path)
        entries = self._folders.get(folder)
        if entries is None:
            value, _ = self.cache.get(self._key(folder))
            entries = value if type(value) is dict else {}
            with self._lock:
                entries = self._folders.setdefault(folder, entries)
        return _valid_entry(entries.get(name))

    def _key(self, folder: str) -> str:
        return f"files:{self.counter_id}:over-{self.max_exact}:{folder}"


def _valid_entry(entry: Any) -> tuple[Any, ...] | None:
    """A folder entry's record of one file as written (JSON gives it back as a list), or
    None when it is not one: a bad record is a file counted again, never a wrong count."""
    items = stored.fields(entry, _FIELDS)
    if items is None or any(type(part) is not int for part in items[:5]):
        return None
    digest, tokens, exact, upper, chars, decode_errors = items[5:]
    if stored.digest(digest) is None or stored.natural(chars) is None:
        return None
    if stored.flag(decode_errors) is None:
        return None
    if tokens is not None and Count.from_stored([tokens, exact, upper]) is None:
        return None
    return tuple(items)


def _stat_of(info: os.stat_result) -> Stat:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _known(entry: tuple[Any, ...], size: int) -> KnownFile:
    digest, tokens, exact, upper, chars, decode_errors = entry[5:]
    count = None if tokens is None else Count(tokens, exact, upper)
    return KnownFile(digest, count, size, chars, decode_errors)
