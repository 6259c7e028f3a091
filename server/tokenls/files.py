"""Finding and reading the files to count: ``.gitignore``-aware walks and streamed reads.

Files are read as bytes and decoded here, so line endings stay exactly as stored (CR and
CRLF count as tiktoken sees them) and invalid UTF-8 is replaced and reported, never fatal.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHUNK_BYTES = 1 << 20
_SNIFF_BYTES = 8192
_REPLACEMENT = "\ufffd"


class UnreadableError(OSError):
    """A path that cannot be counted, with a reason a person can act on."""


@dataclass(slots=True)
class Found:
    """A file to count, or a path that could not be walked (``error`` set)."""

    path: Path
    error: str | None = None


@dataclass(slots=True)
class DecodeReport:
    """Filled while a file streams: whether any bytes had to be replaced."""

    replaced: bool = False


def walk(paths: Iterable[Path]) -> Iterator[Found]:
    """Files under ``paths`` in a stable order, honouring nested ``.gitignore`` files."""
    for path in paths:
        if path.is_dir():
            yield from _walk_dir(path)
        elif path.exists():
            yield Found(path)
        else:
            yield Found(path, "no such file or directory")


def _walk_dir(root: Path) -> Iterator[Found]:
    specs: list[tuple[Path, Any]] = []
    git_root = _git_root(root)
    # .gitignore files above the starting directory apply too, as git applies them.
    if git_root is not None:
        for parent in reversed(root.resolve().parents):
            if parent == git_root or git_root in parent.parents:
                _load_spec(parent, specs)
    for dirpath, dirnames, filenames in os.walk(root, onerror=None):
        current = Path(dirpath)
        specs = [(base, spec) for base, spec in specs if _is_within(current, base)]
        _load_spec(current, specs)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d != ".git"
            and not (current / d).is_symlink()
            and not _ignored(current / d, specs, is_dir=True)
        )
        for name in sorted(filenames):
            file = current / name
            if not _ignored(file, specs, is_dir=False):
                yield Found(file)


def _git_root(path: Path) -> Path | None:
    for candidate in (path.resolve(), *path.resolve().parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _is_within(path: Path, base: Path) -> bool:
    try:
        path.resolve().relative_to(base)
    except ValueError:
        return False
    return True


def _load_spec(directory: Path, specs: list[tuple[Path, Any]]) -> None:
    ignore = directory / ".gitignore"
    try:
        lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return
    import pathspec  # only trees with a .gitignore need it

    specs.append((directory.resolve(), pathspec.GitIgnoreSpec.from_lines(lines)))


def _ignored(path: Path, specs: list[tuple[Path, Any]], *, is_dir: bool) -> bool:
    resolved = path.resolve() if not path.is_symlink() else path.parent.resolve() / path.name
    for base, spec in specs:
        try:
            relative = resolved.relative_to(base).as_posix()
        except ValueError:
            continue
        if spec.match_file(relative + "/" if is_dir else relative):
            return True
    return False


def is_binary(path: Path) -> bool:
    """A NUL byte in the first 8 KiB marks a file as binary, as git and grep decide."""
    with path.open("rb") as handle:
        return b"\0" in handle.read(_SNIFF_BYTES)


def read_chunks(path: Path, report: DecodeReport, chunk_bytes: int = CHUNK_BYTES) -> Iterator[str]:
    """Decoded text of ``path`` in chunks; invalid UTF-8 is replaced and noted in ``report``."""
    with path.open("rb") as handle:
        yield from decode_chunks(iter(lambda: handle.read(chunk_bytes), b""), report)


def decode_chunks(chunks: Iterable[bytes], report: DecodeReport) -> Iterator[str]:
    """Decode a stream of UTF-8 chunks (characters split across chunks are kept whole)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    for chunk in chunks:
        yield _decode(decoder, chunk, report, final=False)
    yield _decode(decoder, b"", report, final=True)


def decode_bytes(data: bytes, report: DecodeReport) -> str:
    """Decode a whole byte string the way ``read_chunks`` decodes a file."""
    return _decode(codecs.getincrementaldecoder("utf-8")(errors="replace"), data, report, True)


def _decode(
    decoder: codecs.IncrementalDecoder, data: bytes, report: DecodeReport, final: bool
) -> str:
    text = decoder.decode(data, final)
    if not report.replaced and _REPLACEMENT in text:
        # A genuine U+FFFD in the file is not a decode error; count what the bytes held.
        report.replaced = text.count(_REPLACEMENT) > data.count(b"\xef\xbf\xbd")
    return text
