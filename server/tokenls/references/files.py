"""Resolving a file reference safely: inside the workspace, regular, and not too large.

Resolution is relative to the referencing file, then ``realpath``-checked against the
workspace roots, so ``../`` escapes, absolute paths and symlinks pointing out are refused
alike. The check is decided before anything outside is looked at, and a refusal says only
"outside the workspace": it never shows where a link points nor whether an outside file
exists.

Reading is race-free: the file's directory is opened, and the descriptor's real path (not
the name, which another process may swap for a symlink meanwhile) is checked against the
roots; the file is then opened relative to that descriptor with ``O_NOFOLLOW``. Only regular
files are read (no FIFOs, devices or ``/proc``). Nothing here ever writes.
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
    refused: str | None = None  # why no file may be read at all (the roots are empty)


def resolve_path(target: str, base_dir: Path, policy: FilePolicy) -> Path:
    """The real path a reference names, or ``ReferenceRefused`` saying why not."""
    if policy.refused is not None:
        raise ReferenceRefused(f"file references are not resolved here: {policy.refused}")
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
    allowed = _allowed_roots(policy, home=target.startswith("~"))
    outside = ReferenceRefused(f"{target} is outside the workspace")
    # Decide inside/outside first, without requiring the target to exist, so "not found"
    # is only ever said of paths inside the workspace.
    try:
        # Not strict, yet it can still fail: a link removed between its lstat and readlink.
        if not within_roots(Path(os.path.realpath(candidate)), allowed):
            raise outside
        real = Path(os.path.realpath(candidate, strict=True))
    except FileNotFoundError:
        raise ReferenceRefused(f"file not found: {target}") from None
    except (OSError, RuntimeError) as exc:  # symlink loops, permission errors
        raise ReferenceRefused(f"cannot resolve {target}: {_reason(exc)}") from None
    if not within_roots(real, allowed):
        raise outside
    if real.parts[:2] in (("/", "proc"), ("/", "sys"), ("/", "dev")):
        raise ReferenceRefused(f"{target} is a system path")
    return real


def _allowed_roots(policy: FilePolicy, home: bool = True) -> list[Path]:
    allowed = list(policy.roots)
    if home and policy.allow_home:
        allowed.append(Path(os.path.realpath(Path.home())))
    return allowed


@contextmanager
def open_safely(path: Path, policy: FilePolicy) -> Iterator[tuple[int, os.stat_result]]:
    """One descriptor on a resolved file, refusing anything but a small-enough regular file
    whose directory really is inside the workspace when it is opened."""
    directory_flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        dir_fd = os.open(path.parent, directory_flags)
    except OSError as exc:
        raise ReferenceRefused(f"cannot open {path.name}: {_reason(exc)}") from None
    try:
        if not _directory_inside(dir_fd, path.parent, _allowed_roots(policy)):
            raise ReferenceRefused(f"{path.name} is outside the workspace")
        fd = _open_in(dir_fd, path.name)
    finally:
        os.close(dir_fd)
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


def _open_in(dir_fd: int, name: str) -> int:
    """Open ``name`` in a verified directory: never through a symlink, never blocking."""
    flags = (
        os.O_RDONLY
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_NONBLOCK", 0)
        | getattr(os, "O_CLOEXEC", 0)
    )
    try:
        # Sockets and FIFOs are refused before open: opening one can block or fail oddly.
        mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
        if not stat.S_ISREG(mode) and not stat.S_ISLNK(mode):  # a link fails O_NOFOLLOW
            raise ReferenceRefused(f"{name} is not a regular file")
        return os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:
        raise ReferenceRefused(f"cannot open {name}: {_reason(exc)}") from None


def _directory_inside(dir_fd: int, named: Path, roots: Sequence[Path]) -> bool:
    """Whether the directory behind ``dir_fd`` (not the name it was opened by) is inside."""
    real = _descriptor_path(dir_fd)
    if real is not None:
        return within_roots(real, roots)
    # No way to ask the kernel: the directory must be the very one its name resolves to now.
    try:
        named_real = Path(os.path.realpath(named, strict=True))
        same = os.path.samestat(os.fstat(dir_fd), os.stat(named_real))
    except OSError:
        return False
    return same and within_roots(named_real, roots)


def _descriptor_path(fd: int) -> Path | None:
    """The real path of an open descriptor: /proc on Linux, F_GETPATH on macOS."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        pass
    try:
        import fcntl

        getpath = getattr(fcntl, "F_GETPATH", None)
        if getpath is not None:
            raw = fcntl.fcntl(fd, getpath, b"\0" * 1024)
            return Path(os.fsdecode(raw.rstrip(b"\0")))
    except (ImportError, OSError):
        pass
    return None


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
