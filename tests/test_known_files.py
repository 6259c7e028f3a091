"""Counts of whole files are remembered by stat and by content, never served stale."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import truth
from tokenls.cache.token_cache import TokenCache
from tokenls.engine.counting import Counter
from tokenls.tree.known_files import SETTLED_NS, KnownFile, KnownFiles
from tokenls.tree.tree_count import count_paths

ENCODING = "o200k_base"


def _settle(path: Path) -> None:
    """Make the file look written long ago (its ctime stays now: see ``_age_ctime``)."""
    old = time.time() - 3600
    os.utime(path, (old, old))


def _count(paths: list[Path], cache_dir: Path) -> dict[str, tuple[int | None, bool]]:
    known = KnownFiles(TokenCache(cache_dir), ENCODING)
    results = count_paths([str(p) for p in paths], ENCODING, workers=1, known=known)
    return {r.path.name: (r.count.tokens if r.count else None, r.binary) for r in results}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "crlf.py").write_bytes(b"def f():\r\n    return 1\r\n")
    (root / "latin1.txt").write_bytes("café crème\n".encode("latin-1"))
    (root / "blob.bin").write_bytes(b"\x00\x01" * 50)
    (root / "big.log").write_text("2026-11-25 INFO worker took 12ms\n" * 40_000)  # > 1 MiB
    return root


def _truths(root: Path) -> dict[str, tuple[int | None, bool]]:
    out: dict[str, tuple[int | None, bool]] = {}
    for path in root.iterdir():
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            out[path.name] = (None, True)
        else:
            out[path.name] = (truth(data.decode("utf-8", "replace"), ENCODING), False)
    return out


def test_counts_are_tiktokens_on_the_first_and_the_cached_run(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    expected = _truths(tree)
    assert _count([tree], cache) == expected
    for path in tree.iterdir():
        _settle(path)
    assert _count([tree], cache) == expected  # records settled stats
    assert _count([tree], cache) == expected  # answered by stat


def test_an_unchanged_file_is_not_read_again(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    for path in tree.iterdir():
        _settle(path)
    time.sleep(SETTLED_NS / 1e9 + 0.1)  # the ctime set by utime must settle too
    expected = _count([tree], cache)

    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self.parent == tree and self.name != ".gitignore":
            raise AssertionError(f"an unchanged file was read: {self}")
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", refuse)
    assert _count([tree], cache) == expected


def test_a_touched_file_is_hashed_not_encoded(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    path = tree / "crlf.py"
    _count([path], cache)
    os.utime(path)  # a new mtime, the same content

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("known content was encoded again")

    monkeypatch.setattr(Counter, "count_stream", refuse)
    expected = {"crlf.py": (truth("def f():\r\n    return 1\r\n", ENCODING), False)}
    assert _count([path], cache) == expected


def test_a_rewrite_that_keeps_size_and_mtime_is_seen(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = tree / "crlf.py"
    _settle(path)
    time.sleep(SETTLED_NS / 1e9 + 0.1)
    _count([path], cache)
    before = path.stat()
    path.write_bytes(b"def g():\r\n    return 2\r\n")  # same size, other content
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert _count([path], cache) == {
        "crlf.py": (truth("def g():\r\n    return 2\r\n", ENCODING), False)
    }


def test_a_stat_within_the_granularity_of_now_is_not_recorded(tmp_path: Path) -> None:
    path = tmp_path / "fresh.txt"
    path.write_text("hello")
    known = KnownFiles(TokenCache(tmp_path / "cache"), ENCODING)
    entry = KnownFile("d" * 64, None, 5, 5, False)
    known.remember(path, path.stat(), entry)
    known.flush()
    assert known.by_stat(path, path.stat()) is None
    assert known.by_digest(path, "d" * 64, 5) == entry
    _settle(path)
    time.sleep(SETTLED_NS / 1e9 + 0.1)
    known.remember(path, path.stat(), entry)
    known.flush()
    assert known.by_stat(path, path.stat()) == entry


def test_a_cache_written_by_one_process_serves_another(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = tree / "crlf.py"
    _settle(path)
    time.sleep(SETTLED_NS / 1e9 + 0.1)
    count_paths([str(path)], ENCODING, known=KnownFiles(TokenCache(cache), ENCODING))
    other = KnownFiles(TokenCache(cache), ENCODING)  # a fresh handle: only the disk is shared
    found = other.by_stat(path, path.stat())
    assert found is not None and found.count is not None
    assert found.count.tokens == truth("def f():\r\n    return 1\r\n", ENCODING)
