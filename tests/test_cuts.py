from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import truth
from tests.strategies import texts
from tokenls.engine.cuts import find_cut, is_line_cut, is_word_cut, last_cut, split_exact
from tokenls.engine.encodings import ENCODINGS
from tokenls.engine.text import split_lines


def _all_cuts(text: str) -> list[int]:
    cuts = []
    pos = 0
    while (cut := find_cut(text, pos)) is not None:
        cuts.append(cut)
        pos = cut + 1
    return cuts


@settings(max_examples=600, deadline=None)
@given(texts)
def test_every_cut_found_keeps_counts_exact(text: str) -> None:
    for encoding in ENCODINGS:
        whole = truth(text, encoding)
        for cut in _all_cuts(text):
            assert truth(text[:cut], encoding) + truth(text[cut:], encoding) == whole, (
                encoding,
                text[:cut],
                text[cut:],
            )


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(min_value=1, max_value=40))
def test_split_exact_pieces_sum_to_the_whole(text: str, piece: int) -> None:
    pieces = split_exact(text, piece)
    assert "".join(pieces) == text
    for encoding in ENCODINGS:
        assert sum(truth(p, encoding) for p in pieces) == truth(text, encoding)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_line_rule_matches_find_cut(text: str) -> None:
    lines = split_lines(text)
    offset = 0
    cuts = set(_all_cuts(text))
    for previous, line in itertools.pairwise(lines):
        offset += len(previous)
        if is_line_cut(previous, line):
            assert offset in cuts


@given(texts)
def test_last_cut_is_the_last_one(text: str) -> None:
    cuts = _all_cuts(text)
    assert last_cut(text) == (cuts[-1] if cuts else None)


def test_cut_is_refused_between_blank_lines_and_before_slash() -> None:
    assert not is_line_cut("a\n", "\n")
    assert not is_line_cut("a\n", "/x\n")
    assert not is_line_cut("a\n", "   \n")
    assert is_line_cut("a\n", "  b\n")
    assert is_line_cut("a\r", "b")
    assert not is_line_cut("a", "b")


def test_word_rule_refuses_contractions_marks_and_digit_runs() -> None:
    assert not is_word_cut("it's", 2)
    assert not is_word_cut("e\u0301", 1)
    assert not is_word_cut("12345", 3)
    assert not is_word_cut("²5", 1)
    assert is_word_cut("abc.def", 3)
    assert is_word_cut("abc123", 3)
    assert is_word_cut("word next", 4)


def test_word_rule_refuses_characters_this_python_does_not_know() -> None:
    # U+31350 is a letter since Unicode 15 (tiktoken's tables), unassigned in Python 3.11's.
    assert not is_word_cut("a\U00031350", 1)
    for encoding in ENCODINGS:
        text = "word\U00031350\U00031351 next"
        cuts = _all_cuts(text)
        assert sum(truth(p, encoding) for p in split_at(text, cuts)) == truth(text, encoding)


def split_at(text: str, cuts: list[int]) -> list[str]:
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]
