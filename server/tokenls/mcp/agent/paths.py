"""Paths an agent names, confined to the workspace root with the language server's rules.

A path is relative to the root (or absolute, and inside it). Whatever resolves outside —
``../`` escapes, absolute paths elsewhere, symlinks pointing out — is refused as "outside
the workspace" before anything is opened; then ``references.files`` applies the same checks
as a ``#file:`` reference (system paths, regular files only, ``O_NOFOLLOW``, a size limit).
Files are only ever read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from tokenls.files.reading import SNIFF_BYTES, DecodeReport, decode_chunks, walk
from tokenls.references.files import (
    DEFAULT_MAX_BYTES,
    FilePolicy,
    ReferenceRefused,
    open_safely,
    read_chunks_fd,
    resolve_path,
    within_roots,
)

MAX_FILES = 5000  # a walk this big is a request for the whole disk, not a prompt folder
LOG_MAX_BYTES = 512 * 1024 * 1024  # logs stream through the compressor in bounded memory


class ToolFailure(Exception):
    """A request the tools refuse or cannot serve, in one sentence an agent can act on."""


class WorkspaceFiles:
    """Resolving and reading files under one root."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(os.path.realpath(root))
        self.policy = FilePolicy((self.root,), max_bytes=max_bytes)

    def resolve(self, target: str) -> Path:
        """The real path ``target`` names inside the root, or ``ToolFailure`` saying why not."""
        if not target or "\0" in target:
            raise ToolFailure("empty or malformed path")
        candidate = Path(target) if os.path.isabs(target) else self.root / target
        if not within_roots(Path(os.path.realpath(candidate)), self.policy.roots):
            raise ToolFailure(
                f"{target}: outside the workspace ({self.root}); name a path inside it"
            )
        try:
            return resolve_path(os.path.relpath(candidate, self.root), self.root, self.policy)
        except ReferenceRefused as exc:
            raise ToolFailure(str(exc)) from None

    def file(self, target: str) -> Path:
        path = self.resolve(target)
        if not path.is_file():
            raise ToolFailure(f"{target}: not a file")
        return path

    def files_under(
        self, targets: list[str]
    ) -> tuple[list[tuple[Path, bool]], list[tuple[str, str]]]:
        """Each named file (``True``) and the files under each named directory (``False``),
        walked with git's ignore rules; files a walk finds but cannot serve (outside the
        root, or named in bytes that are not UTF-8) are returned as (path shown, why)."""
        if not targets:
            raise ToolFailure("name at least one file or directory")
        found: list[tuple[Path, bool]] = []
        refused: list[tuple[str, str]] = []
        for target in targets:
            path = self.resolve(target)
            if not path.is_dir():
                found.append((path, True))
                continue
            for item in walk([path]):
                real = Path(os.path.realpath(item.path))
                if not within_roots(real, self.policy.roots):
                    refused.append((self.shown(item.path), "resolves outside the workspace"))
                elif not is_text(str(item.path)):
                    refused.append((self.shown(item.path), NOT_UTF8))
                elif item.error is None:
                    found.append((real, False))
                if len(found) > MAX_FILES:
                    raise ToolFailure(
                        f"{target}: more than {MAX_FILES:,} files; name a narrower directory"
                    )
        return found, refused

    def read(self, path: Path, max_bytes: int | None = None) -> bytes:
        """The whole file, through the same guarded open as a reference."""
        policy = self.policy if max_bytes is None else replace(self.policy, max_bytes=max_bytes)
        try:
            with open_safely(path, policy) as (fd, _info):
                return b"".join(read_chunks_fd(fd, policy.max_bytes))
        except ReferenceRefused as exc:
            raise ToolFailure(str(exc)) from None

    def read_text(self, path: Path, max_bytes: int | None = None, what: str = "text") -> str:
        data = self.read(path, max_bytes)
        if b"\0" in data[:SNIFF_BYTES]:
            raise ToolFailure(f"{self.shown(path)}: binary file, not {what}")
        return data.decode("utf-8", "replace")

    def stream_log(self, path: Path) -> Iterator[str]:
        """A log's decoded text in chunks, however large; refused up front when binary."""
        policy = FilePolicy(self.policy.roots, max_bytes=LOG_MAX_BYTES)
        try:
            with open_safely(path, policy) as (fd, _info):
                first = os.read(fd, SNIFF_BYTES)
        except ReferenceRefused as exc:
            raise ToolFailure(str(exc)) from None
        if b"\0" in first:
            raise ToolFailure(f"{self.shown(path)}: binary file, not a log")
        return decode_chunks(_guarded_chunks(path, policy), DecodeReport())

    def shown(self, path: Path | str) -> str:
        """A path as the agent should name it: relative to the root when inside it. Bytes
        of a name that are not UTF-8 are shown escaped (``\\xff``): JSON cannot carry them."""
        text = str(path)
        if "://" not in text and os.path.isabs(text) and Path(text).is_relative_to(self.root):
            text = Path(text).relative_to(self.root).as_posix()
        return text if is_text(text) else printable(text)


NOT_UTF8 = "its name is not valid UTF-8 (shown escaped), so no request can name it; not read"


def is_text(text: str) -> bool:
    """Whether ``text`` is valid Unicode: a file name's non-UTF-8 bytes decode to lone
    surrogates (``surrogateescape``), which no UTF-8 output can hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """``text`` with what UTF-8 cannot hold escaped: a name's stray bytes as ``\\xff``,
    any other lone surrogate as ``\\ud800``."""
    if is_text(text):
        return text
    if _escapes_only(text):  # the bytes themselves, as a name's bytes were read
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _escapes_only(text: str) -> bool:
    """Whether every lone surrogate in ``text`` stands for a byte (U+DC80..U+DCFF)."""
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)


def _guarded_chunks(path: Path, policy: FilePolicy) -> Iterator[bytes]:
    with open_safely(path, policy) as (fd, _info):
        yield from read_chunks_fd(fd, policy.max_bytes)
