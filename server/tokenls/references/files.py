"""Resolving a file reference safely: inside the workspace, regular, and not too large.

Resolution is relative to the referencing file, then ``realpath``-checked against the
workspace roots, so ``../`` escapes, absolute paths and symlinks pointing out are refused
alike. Only regular files are read (no FIFOs, devices or ``/proc``), a file is opened once
with ``O_NOFOLLOW`` on its final component and re-checked through its descriptor, so a swap
for a symlink after the check is caught. Nothing here ever writes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class ReferenceRefused(Exception):
    """A reference tokenls will not read, with the reason and what would allow it."""


DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class FilePolicy:
    roots: tuple[Path, ...]
    allow_home: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES


def resolve_path(target: str, base_dir: Path, policy: FilePolicy) -> Path:
    """The real path a reference names, or ``ReferenceRefused`` saying why not."""
    if not target or "\0" in target:
        raise ReferenceRefused("empty or malformed path")
    if target.startswith("~"):
        if not policy.allow_home:
            raise ReferenceRefused("paths under ~ are refused (set files.allow_home = true)")
        candidate = Path(os.path.expanduser(target))
    else:
        if os.path.isabs(target):
            raise ReferenceRefused("absolute paths are refused: use a path relative to the file")
        candidate = base_dir / target
    try:
        real = Path(os.path.realpath(candidate, strict=True))
    except FileNotFoundError:
        raise ReferenceRefused(f"file not found: {target}") from None
    except (OSError, RuntimeError) as exc:  # symlink loops, permission errors
        raise ReferenceRefused(f"cannot resolve {target}: {_reason(exc)}") from None
    allowed = list(policy.roots)
    if target.startswith("~") and policy.allow_home:
        allowed.append(Path(os.path.realpath(Path.home())))
    if not within_roots(real, allowed):
        raise ReferenceRefused(f"{target} resolves outside the workspace ({real})")
    if real.parts[:2] in (("/", "proc"), ("/", "sys"), ("/", "dev")):
        raise ReferenceRefused(f"{target} is a system path")
    return real


@contextmanager
def open_safely(path: Path, policy: FilePolicy) -> Iterator[tuple[int, os.stat_result]]:
    """One descriptor on a resolved file, refusing anything but a small-enough regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        # Sockets and FIFOs are refused before open: opening one can block or fail oddly.
        if not stat.S_ISREG(os.lstat(path).st_mode) and not os.path.islink(path):
            raise ReferenceRefused(f"{path.name} is not a regular file")
        fd = os.open(path, flags)
    except OSError as exc:
        raise ReferenceRefused(f"cannot open {path.name}: {_reason(exc)}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ReferenceRefused(f"{path.name} is not a regular file")
        if info.st_size > policy.max_bytes:
            raise ReferenceRefused(
                f"{path.name} is {info.st_size:,} bytes, over the {policy.max_bytes:,}-byte "
                "limit (files.max_bytes)"
            )
        yield fd, info
    finally:
        os.close(fd)


def read_chunks_fd(fd: int, limit: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """The file's bytes from the start, in chunks; growing past ``limit`` is refused."""
    os.lseek(fd, 0, os.SEEK_SET)
    seen = 0
    while data := os.read(fd, chunk):
        seen += len(data)
        if seen > limit:
            raise ReferenceRefused(f"file grew past the {limit:,}-byte limit while read")
        yield data


def within_roots(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__
