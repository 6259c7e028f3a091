from __future__ import annotations

import re
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import truth
from tests.strategies import texts
from tokenls.engine import cuts, document
from tokenls.engine.counting import Counter
from tokenls.engine.document import Document
from tokenls.engine.encodings import ENCODINGS

POSITION_ENCODINGS = ("utf-16", "utf-8", "utf-32")


def _reference_lines(text: str) -> list[str]:
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+", text)


def _reference_offset(text: str, line: int, column: int, encoding: str) -> int:
    """Independent LSP position → string offset, by encoding prefixes code unit by unit."""
    lines = _reference_lines(text)
    if line >= len(lines):
        return len(text)
    start = sum(len(x) for x in lines[:line])
    body = lines[line].rstrip("\r\n")
    codec = {"utf-16": "utf-16-le", "utf-8": "utf-8", "utf-32": "utf-32-le"}[encoding]
    unit = {"utf-16": 2, "utf-8": 1, "utf-32": 4}[encoding]
    for index in range(len(body) + 1):
        if len(body[:index].encode(codec, "surrogatepass")) // unit >= column:
            return start + index
    return start + len(body)


edits = st.lists(
    st.tuples(
        st.integers(0, 12), st.integers(0, 30), st.integers(0, 12), st.integers(0, 30), texts
    ),
    min_size=1,
    max_size=12,
)


segment_sizes = st.sampled_from([1, 12, 64, document.SEGMENT_CHARS])


@settings(max_examples=200, deadline=None)
@given(texts, edits, st.sampled_from(ENCODINGS), st.sampled_from(POSITION_ENCODINGS), segment_sizes)
def test_total_stays_exact_through_random_edits(
    initial: str, changes: list, encoding: str, position_encoding: str, segment_chars: int
) -> None:
    with patch.object(document, "SEGMENT_CHARS", segment_chars):
        _edit_and_check(initial, changes, encoding, position_encoding)


def _edit_and_check(initial: str, changes: list, encoding: str, position_encoding: str) -> None:
    doc = Document(initial, Counter(encoding), position_encoding)  # type: ignore[arg-type]
    expected = initial
    for l0, c0, l1, c1, new in changes:
        start = _reference_offset(expected, l0, c0, position_encoding)
        end = _reference_offset(expected, l1, c1, position_encoding)
        if end < start:
            start, end = end, start
        expected = expected[:start] + new + expected[end:]
        doc.apply_change(new, (l0, c0), (l1, c1))
        assert doc.text == expected
        assert doc.total.tokens == truth(expected, encoding)
        assert doc.total.exact


@settings(max_examples=200, deadline=None)
@given(texts, st.integers(0, 40), st.integers(0, 40), st.sampled_from(ENCODINGS), segment_sizes)
def test_line_range_counts_equal_tiktoken_on_that_text(
    text: str, a: int, b: int, encoding: str, segment_chars: int
) -> None:
    with patch.object(document, "SEGMENT_CHARS", segment_chars):
        doc = Document(text, Counter(encoding))
        a, b = sorted((a, b))
        expected = "".join(doc.lines[a:b])
        assert doc.count_lines(a, b).tokens == truth(expected, encoding)


@settings(max_examples=100, deadline=None)
@given(texts, st.integers(0, 400), segment_sizes)
def test_line_reaching_is_the_first_line_past_the_running_count(
    text: str, tokens: int, segment_chars: int
) -> None:
    with patch.object(document, "SEGMENT_CHARS", segment_chars):
        doc = Document(text, Counter("o200k_base"))
        line = doc.line_reaching(tokens)
        assert 0 <= line < max(doc.line_count, 1)
        if doc.line_count and tokens <= doc.total.tokens:
            # Everything before that line holds fewer tokens than asked for.
            assert doc.count_lines(0, line).tokens < tokens or line == 0


def test_whole_document_replacement_recounts(encoding: str) -> None:
    doc = Document("# Title\n\nhello world\n", Counter(encoding))
    doc.apply_change("something else entirely\r\nwith CRLF\r\n")
    assert doc.total.tokens == truth("something else entirely\r\nwith CRLF\r\n", encoding)


def test_crlf_split_and_joined_by_edits(encoding: str) -> None:
    doc = Document("a\r\nb\r\nc", Counter(encoding))
    doc.apply_change("", (0, 1), (1, 0))  # deletes "\r\n"
    assert doc.text == "ab\r\nc"
    doc.apply_change("\r", (0, 2), (0, 2))  # "ab\r" + "\r\nc" → a lone \r and a CRLF
    assert doc.text == "ab\r\r\nc"
    assert doc.total.tokens == truth(doc.text, encoding)


def test_non_ascii_columns_follow_the_negotiated_encoding() -> None:
    for position_encoding, column in (("utf-16", 2), ("utf-8", 4), ("utf-32", 1)):
        doc = Document("😀x\n", Counter("o200k_base"), position_encoding)  # type: ignore[arg-type]
        doc.apply_change("!", (0, column), (0, column))
        assert doc.text == "😀!x\n", position_encoding


@pytest.mark.parametrize("run", ["a" * 200_000, " " * 300_000, "\n" * 150_000])
def test_uncuttable_long_run_is_estimated_with_an_upper_bound(run: str) -> None:
    doc = Document("intro\n" + run, Counter("o200k_base"))
    total = doc.total
    assert not total.exact
    assert total.upper is not None and total.upper >= total.tokens
    try:
        real = truth("intro\n" + run, "o200k_base")
    except BaseException:  # tiktoken's regex overflows on long whitespace runs
        return
    assert total.tokens <= real <= total.upper or abs(total.tokens - real) <= real // 100
    assert real <= total.upper
    assert total.label().startswith("≈")


def test_long_line_with_cuts_stays_exact_and_incremental(encoding: str) -> None:
    line = " ".join(f"word{i}" for i in range(30_000))
    doc = Document(line, Counter(encoding))
    assert doc.total.tokens == truth(line, encoding) and doc.total.exact
    doc.apply_change("XYZ", (0, 50_000), (0, 50_000))
    assert doc.total.tokens == truth(doc.text, encoding)


# What bursts (paste, multi-cursor edits, undo, formatters) insert: line breaks of every
# kind, emoji (two UTF-16 units), headings, fences, a ``/`` after a break, blank lines.
BURST_PIECES = st.sampled_from(
    ["\n", "\r\n", "\r", "\n\n", "# ", "## T\n", "```", "\n/", "😀", "👍🏽", "é", " ", "\t", "x"]
)
BURST_LINES = st.sampled_from(
    [
        "# Title\n",
        "## Part\r\n",
        "plain words here\n",
        "    indented code\n",
        "```python\n",
        "```\n",
        "\n",
        "\r\n",
        "/ slash start\n",
        "emoji 😀 and 👍🏽 done\r\n",
        "x = 1\r",
        "\t- item\n",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(BURST_LINES, min_size=1, max_size=40).map("".join),
    st.lists(
        st.tuples(
            st.floats(0, 1), st.integers(0, 30), st.lists(BURST_PIECES, max_size=8).map("".join)
        ),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(POSITION_ENCODINGS),
    segment_sizes,
)
def test_burst_edits_keep_every_count_exact(
    initial: str, burst: list, position_encoding: str, segment_chars: int
) -> None:
    """Edits back to back, each replacing 0-30 characters anywhere: after each one the total,
    every segment and every line range still equal tiktoken's count of the text."""
    with patch.object(document, "SEGMENT_CHARS", segment_chars):
        doc = Document(initial, Counter("o200k_base"), position_encoding)  # type: ignore[arg-type]
        text = initial
        for where, removed, inserted in burst:
            start = int(where * len(text))
            end = min(start + removed, len(text))
            start, end = _off_crlf(text, start), _off_crlf(text, end)
            doc.apply_change(
                inserted,
                _reference_position(text, start, position_encoding),
                _reference_position(text, end, position_encoding),
            )
            text = text[:start] + inserted + text[end:]
            assert doc.text == text
            assert doc.total.tokens == truth(text, "o200k_base")
        lines = doc.lines
        assert doc.is_segment_start(0)
        for a in range(1, len(lines)):
            if doc.is_segment_start(a):  # each stored segment begins on an exact cut
                assert cuts.is_line_cut(lines[a - 1], lines[a])
        middle = len(lines) // 2
        assert doc.count_lines(0, middle).tokens == truth("".join(lines[:middle]), "o200k_base")


def _off_crlf(text: str, index: int) -> int:
    """An index moved off the middle of a \\r\\n pair, where no LSP position can be."""
    return index - 1 if 0 < index < len(text) and text[index - 1 : index + 1] == "\r\n" else index


def _reference_position(text: str, index: int, encoding: str) -> tuple[int, int]:
    """Independent string index → LSP position: count breaks, encode the line's prefix."""
    lines = _reference_lines(text[:index])
    if not lines or lines[-1].endswith(("\n", "\r")):
        return len(lines), 0
    codec = {"utf-16": "utf-16-le", "utf-8": "utf-8", "utf-32": "utf-32-le"}[encoding]
    unit = {"utf-16": 2, "utf-8": 1, "utf-32": 4}[encoding]
    return len(lines) - 1, len(lines[-1].encode(codec, "surrogatepass")) // unit


class _Recording(Counter):
    """A counter that keeps the texts it was asked to count."""

    def __init__(self, encoding: str) -> None:
        super().__init__(encoding)
        self.texts: list[str] = []

    def count_many(self, texts: list[str]) -> list:
        self.texts.extend(texts)
        return super().count_many(texts)


def test_a_newline_re_encodes_only_the_segment_it_touches() -> None:
    paragraph = "Summarise what changed and why it failed. Keep it short.\n" * 8
    text = "".join(f"## Part {i}\n\n{paragraph}\n" for i in range(200))
    counter = _Recording("o200k_base")
    doc = Document(text, counter, "utf-16")
    line = 205  # a prose line in the middle of a section
    first = max(a for a in range(line + 1) if doc.is_segment_start(a))
    last = min(a for a in range(line + 1, doc.line_count + 1) if doc.is_segment_start(a))
    segment = "".join(doc.lines[first:last])
    for change, start, end in (("\n", (line, 10), (line, 10)), ("", (line, 10), (line + 1, 0))):
        counter.texts.clear()
        doc.apply_change(change, start, end)
        # Only the touched segment (a split or joined line inside it) was encoded again.
        assert sum(map(len, counter.texts)) <= len(segment) + 1
        assert doc.total.tokens == truth(doc.text, "o200k_base")
    assert doc.text == text


def test_letters_newer_than_this_pythons_unicode_count_as_tiktoken_counts_them(
    encoding: str,
) -> None:
    """Python 3.11 knows Unicode 14; tiktoken knows CJK Extension H (Unicode 15) letters."""
    text = "\U00031350_init__ and a\U00031350b 🫨x"
    counter = Counter(encoding, engine="pure")  # Python's counter, tiktoken for what it leaves
    assert counter.count(text).tokens == truth(text, encoding)
    assert counter.engines_used == {"tiktoken"}  # the pure engine handed these letters back
