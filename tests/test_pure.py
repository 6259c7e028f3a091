"""Counting without tiktoken's encoder gives tiktoken's counts, and hands back what it
cannot do quickly."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings

from tests.conftest import truth
from tests.strategies import texts
from tokenls.engine.counting import Counter
from tokenls.engine.encodings import ENCODINGS, rank_table
from tokenls.engine.pure import MAX_PIECE_BYTES, PureCounter

REPO = Path(__file__).resolve().parents[1]


def _pure(encoding: str) -> PureCounter:
    pure = PureCounter.for_table(rank_table(encoding))
    assert pure is not None
    return pure


@settings(max_examples=500, deadline=None)
@given(texts)
def test_pure_counts_equal_tiktokens(text: str) -> None:
    for encoding in ENCODINGS:
        counted = _pure(encoding).count(text)
        if counted is not None:
            assert counted == truth(text, encoding), (encoding, text)


def test_pure_counts_real_files_exactly(encoding: str) -> None:
    files = [REPO / "README.md", *sorted((REPO / "server" / "tokenls").rglob("*.py"))[:40]]
    files += sorted((REPO / "tests" / "fixtures").rglob("*.log"))[:20]
    pure = _pure(encoding)
    counted = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        result = pure.count(text)
        assert result in (None, truth(text, encoding)), path
        counted += result is not None
    assert counted >= 0.7 * len(files)


def test_a_long_pretoken_is_left_to_tiktoken(encoding: str) -> None:
    assert _pure(encoding).count("x" + "q" * (MAX_PIECE_BYTES * 2)) is None
    assert _pure(encoding).count("a\ud800b") is None  # a lone surrogate: tiktoken repairs it


@pytest.mark.parametrize(
    ("engine", "ran"),
    [("pure", {"pure (Python)", "tiktoken"}), ("tiktoken", {"tiktoken"})],
)
def test_counter_counts_the_same_with_or_without_tiktoken(
    encoding: str, engine: str, ran: set[str]
) -> None:
    counter = Counter(encoding, engine=engine)  # type: ignore[arg-type]
    samples = ["hello world", "don't\r\n  stop", "日本語 😀 " * 30, "q" * 5000, "a\ud800b"]
    for text in samples:
        assert counter.encode_len(text) == truth(text, encoding)
    assert counter.encode_lens(samples) == [truth(t, encoding) for t in samples]
    # the long pre-token and the lone surrogate are handed to tiktoken; the rest is pure's
    assert counter.engines_used == ran
