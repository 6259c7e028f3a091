"""Finding and reading the files to count: git-aware walks, standard input, streamed reads.

Files are read as bytes and decoded here, so line endings stay exactly as stored (CR and
CRLF count as tiktoken sees them) and invalid UTF-8 is replaced and reported, never fatal.
Only regular files are read (``open_regular``): a FIFO a repository holds would block a
read for ever and a symlink to ``/dev/zero`` would never end.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tokenls.files.gitignore import walk_directory
from tokenls.files.regular import open_regular

CHUNK_BYTES = 1 << 20
SNIFF_BYTES = 8192
_REPLACEMENT = "\ufffd"


class UnreadableError(OSError):
    """A path that cannot be counted, with a reason a person can act on."""


STDIN = "-"  # a path argument that means standard input


@dataclass(slots=True)
class Found:
    """A file to count, standard input (``stdin``), or a path that could not be walked."""

    path: Path
    error: str | None = None
    stdin: bool = False
    named: bool = False  # given on the command line itself, not found by a walk


@dataclass(slots=True)
class DecodeReport:
    """Filled while a file streams: whether any bytes had to be replaced."""

    replaced: bool = False


def walk(paths: Iterable[str | Path], *, ignore: bool = True) -> Iterator[Found]:
    """Files under ``paths`` in a stable order. Directories are walked with git's ignore
    rules (unless ``ignore`` is false); a file named here is always counted."""
    for given in paths:
        if isinstance(given, str) and given == STDIN:
            yield Found(Path(STDIN), stdin=True)
            continue
        path = Path(given)
        if path.is_dir():
            for file in walk_directory(path, ignore=ignore):
                yield Found(file)
        elif path.exists():
            yield Found(path, named=True)
        else:
            yield Found(path, "no such file or directory", named=True)


def read_file(path: Path) -> bytes:
    """The bytes of the regular file at ``path`` (``tokenls.files.regular.open_regular``)."""
    with open_regular(path) as handle:
        return handle.read()


def is_binary(path: Path) -> bool:
    """A NUL byte in the first 8 KiB marks a file as binary, as git and grep decide."""
    with open_regular(path) as handle:
        return b"\0" in handle.read(SNIFF_BYTES)


def decode_chunks(chunks: Iterable[bytes], report: DecodeReport) -> Iterator[str]:
    """Decode a stream of UTF-8 chunks (characters split across chunks are kept whole)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    for chunk in chunks:
        yield _decode(decoder, chunk, report, final=False)
    yield _decode(decoder, b"", report, final=True)


def decode_bytes(data: bytes, report: DecodeReport) -> str:
    """Decode a whole byte string the way ``decode_chunks`` decodes a stream."""
    return _decode(codecs.getincrementaldecoder("utf-8")(errors="replace"), data, report, True)


def _decode(
    decoder: codecs.IncrementalDecoder, data: bytes, report: DecodeReport, final: bool
) -> str:
    text = decoder.decode(data, final)
    if not report.replaced and _REPLACEMENT in text:
        # A genuine U+FFFD in the file is not a decode error; count what the bytes held.
        report.replaced = text.count(_REPLACEMENT) > data.count(b"\xef\xbf\xbd")
    return text
