"""Work read ahead comes back in order, bounded, on the encoder threads; errors surface at
their turn."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import tokenls.tree.encode_ahead as encode_ahead_module
import tokenls.tree.tree_count
from tests.conftest import truth
from tokenls.cache.token_cache import TokenCache
from tokenls.engine.counting import Counter
from tokenls.tree.encode_ahead import Ahead, encode_ahead
from tokenls.tree.known_files import KnownFiles
from tokenls.tree.tree_count import count_paths


def test_results_come_in_the_order_given_mixed_with_ready_ones() -> None:
    steps: list[Ahead[int] | int] = []
    for i in range(200):
        steps.append(Ahead(lambda i=i: i * 10, chars=i) if i % 3 else i * 10)
    out = list(encode_ahead(iter(steps), batch_chars=50, batch_steps=7))
    assert out == [i * 10 for i in range(200)]


def test_work_runs_on_one_thread_other_than_the_callers() -> None:
    threads: set[int] = set()

    def work() -> int:
        threads.add(threading.get_ident())
        return 1

    assert sum(encode_ahead((Ahead(work, 10) for _ in range(100)), batch_steps=3)) == 100
    assert len(threads) == 1 and threading.get_ident() not in threads


def test_two_encoders_share_the_batches_and_results_keep_their_order() -> None:
    threads: set[int] = set()
    first_started = threading.Event()

    def slow_first() -> int:
        threads.add(threading.get_ident())
        first_started.set()
        time.sleep(0.2)  # later batches finish on the other thread meanwhile
        return 0

    def work(i: int) -> int:
        first_started.wait(10)
        threads.add(threading.get_ident())
        return i

    steps = [Ahead(slow_first, 10), *(Ahead(lambda i=i: work(i), 10) for i in range(1, 300))]
    assert list(encode_ahead(steps, batch_steps=4, encoders=2)) == list(range(300))
    assert len(threads) == 2 and threading.get_ident() not in threads


def test_steps_are_read_at_most_a_few_batches_ahead() -> None:
    prepared = 0
    release = threading.Event()

    def held() -> int:
        release.wait(10)  # the first batch waits: the reader runs into its bound
        return 1

    def steps():
        nonlocal prepared
        for _ in range(1000):
            prepared += 1
            yield Ahead(held, chars=100)

    results = encode_ahead(steps(), batch_chars=1000, batch_steps=1000, batches_waiting=2)
    releaser = threading.Timer(0.2, release.set)
    releaser.start()
    first = next(results)
    releaser.join()
    # The first step alone, then at most two batches of ten waiting, and one being read.
    assert first == 1 and prepared <= 30
    assert sum(results) == 999


def test_an_unchanged_tree_starts_no_thread() -> None:
    before = {t.name for t in threading.enumerate()}
    assert list(encode_ahead(range(500), batch_steps=10)) == list(range(500))
    assert not {t.name for t in threading.enumerate()} - before


def test_an_error_in_work_is_raised_at_its_turn() -> None:
    def boom() -> int:
        raise RuntimeError("encoder failed")

    results = encode_ahead([1, 2, Ahead(boom, 1 << 30), 4], batch_steps=1)
    assert next(results) == 1 and next(results) == 2
    with pytest.raises(RuntimeError, match="encoder failed"):
        next(results)


def test_closing_early_drops_the_work_not_started() -> None:
    ran = 0

    def work() -> int:
        nonlocal ran
        ran += 1
        return ran

    results = encode_ahead((Ahead(work, 10) for _ in range(10_000)), batch_steps=5)
    next(results)
    results.close()
    assert ran < 10_000


@pytest.mark.parametrize(("ahead", "workers"), [(True, 1), (True, 2), (False, 1)])
def test_a_tree_counts_every_file_as_tiktoken_does_read_ahead_or_in_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool, workers: int
) -> None:
    monkeypatch.setattr(tokenls.tree.tree_count, "read_ahead_pays", lambda: ahead)
    monkeypatch.setattr(tokenls.tree.tree_count.os, "cpu_count", lambda: 2)
    threads_of: dict[int, set[int]] = {}
    count_stream = Counter.count_stream

    def recorded(counter: Counter, chunks):  # type: ignore[no-untyped-def]
        threads_of.setdefault(id(counter), set()).add(threading.get_ident())
        return count_stream(counter, chunks)

    monkeypatch.setattr(Counter, "count_stream", recorded)
    tree = tmp_path / "tree"
    texts = {}
    for i in range(150):
        folder = tree / f"pkg{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        text = f"def f{i}(x):\r\n    return x * {i}  # café 🚀\n" * (i * 3 + 1)
        (folder / f"m{i}.py").write_text(text, newline="")
        texts[folder / f"m{i}.py"] = text
    (tree / "big.log").write_text("2026-11-25 INFO worker took 12ms\n" * 40_000)  # streamed
    texts[tree / "big.log"] = (tree / "big.log").read_text()
    (tree / "blob.bin").write_bytes(b"\0\1" * 100)
    for cached in (False, True):  # read ahead, then answered from the cache
        known = KnownFiles(TokenCache(tmp_path / "cache"), "o200k_base")
        results = count_paths([str(tree)], "o200k_base", workers=workers, known=known)
        counted = {r.path: r.count.tokens for r in results if r.count is not None}
        assert counted == {p: truth(t, "o200k_base") for p, t in texts.items()}, cached
        assert [r.path for r in results if r.binary] == [tree / "blob.bin"]
        assert [r.path for r in results] == sorted(
            (r.path for r in results), key=lambda p: p.relative_to(tree).parts
        )
    # Each counter counted on one thread only; read ahead, never on the reading thread.
    assert threads_of and all(len(threads) == 1 for threads in threads_of.values())
    used = set().union(*threads_of.values())
    assert (threading.get_ident() in used) is not ahead
    assert 1 <= len(used) <= (workers if ahead else 1)


@pytest.mark.parametrize(("load", "pays"), [(0.2, True), (2.4, True), (2.6, False), (7.5, False)])
def test_reading_ahead_waits_for_an_idle_core(
    monkeypatch: pytest.MonkeyPatch, load: float, pays: bool
) -> None:
    monkeypatch.setattr(encode_ahead_module.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(encode_ahead_module.os, "getloadavg", lambda: (load, load, load))
    assert encode_ahead_module.read_ahead_pays() is pays


def test_a_symlinked_file_is_counted_and_remembered_by_its_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The walk's one lstat says "link": the target's stat, not the link's, is remembered.
    import tokenls.tree.known_files

    monkeypatch.setattr(tokenls.tree.known_files, "SETTLED_NS", 0)
    monkeypatch.setattr(tokenls.tree.tree_count, "read_ahead_pays", lambda: True)
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    target = tree / "sub" / "real.py"
    (tree / "link.py").symlink_to(Path("sub", "real.py"))
    for text in ("print('one')\n" * 50, "x = [1, 2, 3]  # changed, same size?\n" * 70):
        target.write_text(text)
        for _ in range(2):  # counted, then answered from the cache
            known = KnownFiles(TokenCache(tmp_path / "cache"), "o200k_base")
            results = count_paths([str(tree)], "o200k_base", workers=2, known=known)
            counts = {r.path.name: r.count.tokens for r in results if r.count is not None}
            assert counts == {
                "link.py": truth(text, "o200k_base"),
                "real.py": truth(text, "o200k_base"),
            }
