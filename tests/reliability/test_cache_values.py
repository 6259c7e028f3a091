"""What the disk cache reads back is data it checks: no row runs code, names a file or
passes for a count; a directory is used as it is only when this user's tokenls sealed it."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import diskcache
import pytest

from tests.conftest import truth
from tokenls.cache.owned import MARKER, CacheDirRefused, claim_directory
from tokenls.cache.token_cache import TokenCache
from tokenls.engine.counting import Counter
from tokenls.references.cached_counts import count_key
from tokenls.references.files import FilePolicy
from tokenls.references.resolve import Resolver

TEXT = "Counted once, remembered across restarts.\n" * 5


class _Command:
    def __init__(self, flag: Path) -> None:
        self.flag = flag

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.flag}",)


def _key() -> str:
    return count_key("o200k_base", hashlib.sha256(TEXT.encode()).hexdigest())


def _sealed_cache(directory: Path) -> None:
    """A cache this user's tokenls made, with one count in it."""
    cache = TokenCache(directory)
    Resolver(cache, FilePolicy(())).count_text(TEXT, Counter("o200k_base"))
    cache.close()
    assert (directory / MARKER).is_file() and (directory / "cache.db").is_file()


def _rewrite(directory: Path, value: object) -> None:
    """Overwrite the count's row with diskcache's own (pickling) format, as another program
    with write access to the database could."""
    with diskcache.Cache(str(directory)) as raw:
        raw.set(_key(), value)


def _count_again(directory: Path) -> tuple[int, str]:
    cache = TokenCache(directory)
    try:
        count, source = Resolver(cache, FilePolicy(())).count_text(TEXT, Counter("o200k_base"))
        return count.tokens, source
    finally:
        cache.close()


@pytest.mark.parametrize(
    "value",
    ["1234", True, -5, [1, 2], {"tokens": 3}, [10**3, "yes", None], 3.5],
    ids=["text", "bool", "negative", "short-list", "dict", "bad-flag", "float"],
)
def test_a_stored_count_of_the_wrong_shape_is_counted_again_and_repaired(
    tmp_path: Path, value: object
) -> None:
    directory = tmp_path / "cache"
    _sealed_cache(directory)
    with sqlite3.connect(directory / "cache.db") as db:  # JSON text of the wrong shape
        db.execute("UPDATE Cache SET value = ? WHERE key = ?", (json.dumps(value), _key()))
    assert _count_again(directory) == (truth(TEXT, "o200k_base"), "fresh")
    assert _count_again(directory) == (truth(TEXT, "o200k_base"), "disk")  # repaired


def test_a_pickled_row_in_the_users_own_cache_never_runs(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    _sealed_cache(directory)
    flag = tmp_path / "command-ran"
    _rewrite(directory, _Command(flag))
    assert _count_again(directory) == (truth(TEXT, "o200k_base"), "fresh")
    assert not flag.exists()
    assert _count_again(directory) == (truth(TEXT, "o200k_base"), "disk")


def test_a_truncated_value_file_is_a_miss_that_gets_repaired(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    _sealed_cache(directory)
    with diskcache.Cache(str(directory), disk_min_file_size=0) as raw:
        raw.set(_key(), [1, True, None] * 1000)  # pickled into a value file
        (name,) = raw._sql("SELECT filename FROM Cache WHERE key = ?", (_key(),)).fetchone()
    value_file = directory / name
    value_file.write_bytes(value_file.read_bytes()[:20])
    for _ in range(2):
        assert _count_again(directory)[0] == truth(TEXT, "o200k_base")
    assert not value_file.exists()  # replaced by a row of data, the old file removed


def test_a_row_naming_a_file_outside_the_cache_never_deletes_it(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    _sealed_cache(directory)
    victim = tmp_path / "keep" / "victim.txt"
    victim.parent.mkdir()
    victim.write_text("must survive\n")
    with diskcache.Cache(str(directory)) as raw:
        raw.set("old", b"x" * 100_000)
    with sqlite3.connect(directory / "cache.db") as db:
        db.execute(
            "UPDATE Cache SET filename = ?, expire_time = 1 WHERE key = 'old'", (str(victim),)
        )
    cache = TokenCache(directory)
    cache.put(_key(), [1, True, None])  # a write culls expired rows
    cache.clear()  # and a clear removes every row's file
    cache.close()
    assert victim.read_text() == "must survive\n"


def test_an_unsealed_cache_inside_a_workspace_is_refused_and_left_alone(tmp_path: Path) -> None:
    workspace = tmp_path / "repo"
    directory = workspace / ".cache" / "tokenls"
    directory.mkdir(parents=True)
    (directory / MARKER).write_text("This directory is a cache made by tokenls.\n")
    with diskcache.Cache(str(directory)) as raw:
        raw.set(_key(), 7)
    before = {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}
    with pytest.raises(CacheDirRefused, match="not made by tokenls"):
        claim_directory(directory, [workspace])
    assert {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()} == before


def test_an_unsealed_cache_outside_every_workspace_starts_afresh(tmp_path: Path) -> None:
    directory = tmp_path / "old-cache"
    directory.mkdir()
    (directory / MARKER).write_text("This directory is a cache made by tokenls.\n")
    with diskcache.Cache(str(directory)) as raw:
        raw.set(_key(), 7)  # a count from before seals (or planted): never believed
    claim_directory(directory, [tmp_path / "repo"])
    assert "seal: " in (directory / MARKER).read_text()
    assert _count_again(directory) == (truth(TEXT, "o200k_base"), "fresh")


def test_a_seal_is_bound_to_the_directory_and_the_users_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "repo"
    directory = workspace / ".cache"
    claim_directory(directory, [workspace])
    claim_directory(directory, [workspace])  # sealed: used as it is
    copy = workspace / ".copy"
    copy.mkdir()
    (copy / MARKER).write_bytes((directory / MARKER).read_bytes())
    with pytest.raises(CacheDirRefused):
        claim_directory(copy, [workspace])  # a copied marker does not carry the seal along
    monkeypatch.setenv("TOKENLS_STATE_DIR", str(tmp_path / "another-user"))
    with pytest.raises(CacheDirRefused):
        claim_directory(directory, [workspace])  # another user's (or machine's) key


def test_a_sealed_cache_holding_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    claim_directory(directory)
    (directory / "ab").symlink_to(tmp_path)
    with pytest.raises(CacheDirRefused, match="symbolic links"):
        claim_directory(directory)


def test_processes_claiming_a_new_cache_at_once_are_never_refused(tmp_path: Path) -> None:
    """Many tokenls processes start together on an empty cache (CI jobs, an editor and a
    terminal): each sees the others' half-written marker and database, none may take them
    for someone else's files."""
    workspace = tmp_path / "repo"
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tokenls.cache.token_cache import TokenCache\n"
        "cache = TokenCache(Path(sys.argv[1]), workspaces=[Path(sys.argv[2])])\n"
        "cache.put('k', [1, True, None])\n"
        "print(cache.problem or 'ok')\n"
    )
    for round_ in range(8):
        directory = workspace / f".cache-{round_}"
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(directory), str(workspace)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(6)
        ]
        outcomes = [p.communicate(timeout=60)[0].strip() for p in processes]
        assert outcomes == ["ok"] * 6
