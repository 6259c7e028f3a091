"""tiktoken's count of a text, without a Python list of its tokens.

``len(enc.encode_ordinary(text))`` builds a Python int for every token only to count them:
about a tenth of the time spent counting a tree of source files. tiktoken's core encoder
can hand its tokens back as one buffer of 32-bit ids instead (what
``Encoding.encode_to_numpy`` uses). With no special token allowed, that encoder splits and
merges exactly as ``encode_ordinary`` does: a special token's text is ordinary text to both.

That path uses an attribute of tiktoken's that is not its public API, so it is checked once
per encoding, against ``encode_ordinary`` on a sample that holds special-token text, line
breaks and non-ASCII letters. Where the buffer is missing (another tiktoken) or disagrees,
``encode_ordinary`` counts: a count is never different from ``len(enc.encode_ordinary(text))``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

_TOKEN_BYTES = 4  # tiktoken's ids in its buffer: unsigned 32-bit
_SAMPLE = (
    "def f(x):\r\n    return x  # <|endoftext|> stays text\n\n"
    "Café naïve — 日本語 🚀 <|endofprompt|><|fim_prefix|>  \t 12345678 'll'S\n"
)
_NO_SPECIAL: frozenset[str] = frozenset()
# Each encoding's counter, keyed by id; the encoding is held beside it so the id is never
# reused by another encoding while its entry stands.
_counters: dict[int, tuple[tiktoken.Encoding, Callable[[str], int]]] = {}
_lock = threading.Lock()


def ordinary_count(enc: tiktoken.Encoding, text: str) -> int:
    """``len(enc.encode_ordinary(text))``, without building the list of tokens."""
    known = _counters.get(id(enc))
    count = known[1] if known is not None else _counter_for(enc)
    return count(text)


def _counter_for(enc: tiktoken.Encoding) -> Callable[[str], int]:
    with _lock:
        known = _counters.get(id(enc))
        if known is None:
            known = _counters[id(enc)] = (enc, _buffer_counter(enc) or _list_counter(enc))
    return known[1]


def _list_counter(enc: tiktoken.Encoding) -> Callable[[str], int]:
    encode = enc.encode_ordinary

    def count(text: str) -> int:
        return len(encode(text))

    return count


def _buffer_counter(enc: tiktoken.Encoding) -> Callable[[str], int] | None:
    """A counter reading the length of tiktoken's token buffer, if this tiktoken has one
    and it agrees with ``encode_ordinary`` on the sample; else None."""
    encode = getattr(getattr(enc, "_core_bpe", None), "encode_to_tiktoken_buffer", None)
    if encode is None:
        return None

    def count(text: str) -> int:
        try:
            view = memoryview(encode(text, _NO_SPECIAL))
        except UnicodeEncodeError:
            # As ``encode_ordinary`` does: lone surrogates are replaced before encoding.
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            view = memoryview(encode(text, _NO_SPECIAL))
        return view.nbytes // _TOKEN_BYTES

    try:
        view = memoryview(encode(_SAMPLE, _NO_SPECIAL))
        expected = enc.encode_ordinary(_SAMPLE)
        agrees = view.itemsize == _TOKEN_BYTES and view.tobytes() == _packed(expected)
    except (TypeError, ValueError, AttributeError):
        return None
    return count if agrees else None


def _packed(tokens: list[int]) -> bytes:
    import array

    ids = array.array("I", tokens)
    if ids.itemsize != _TOKEN_BYTES:  # pragma: no cover - C's unsigned int is 4 bytes here
        ids = array.array("L", tokens)
    return ids.tobytes()
