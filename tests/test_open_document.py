"""Headings, fences and references kept across edits equal a fresh read of the text."""

from __future__ import annotations

from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import truth
from tokenls.analysis.open_document import Change, Marks, OpenDocument
from tokenls.config import Settings
from tokenls.document.outline import read_frontmatter, scan_structure
from tokenls.engine.counting import Counter
from tokenls.engine.document import Document
from tokenls.lsp.session import Session
from tokenls.references.parse import default_syntaxes, parse_references

SYNTAXES = default_syntaxes("CLAUDE.md")
LINES = [
    "# Title\n",
    "## Part\n",
    "plain words\n",
    "see #file:a.md here\n",
    "@docs/b.md\n",
    "{{ name }}\n",
    "```\n",
    "~~~\n",
    "    # indented code\n",
    "\n",
    "---\n",
    "text with `#file:c.md` in a span\n",
]
PIECES = ["x", "\n", "# ", "```", "#file:z.md ", "@y.md", "{{ v }}", "", "\n\n", "~~~\n"]


def _open(text: str) -> OpenDocument:
    document = Document(text, Counter("o200k_base"), "utf-32")
    return OpenDocument(
        "file:///p/CLAUDE.md", None, document, Settings(), read_frontmatter(document.lines)
    )


def _fresh(doc: OpenDocument) -> tuple[list, list]:
    lines = doc.document.lines
    start = doc.frontmatter.end
    return scan_structure(lines, start).headings, parse_references(lines, SYNTAXES, start)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(LINES), min_size=1, max_size=30),
    st.lists(
        st.tuples(
            st.integers(0, 40), st.integers(0, 30), st.integers(0, 3), st.sampled_from(PIECES)
        ),
        max_size=12,
    ),
)
def test_kept_structure_equals_a_fresh_read(lines: list[str], edits: list) -> None:
    doc = _open("".join(lines))
    doc.headings()
    doc.references(SYNTAXES)
    for line, col, span, text in edits:
        document = doc.document
        line = min(line, max(document.line_count - 1, 0))
        body = document.lines[line].rstrip("\r\n") if document.line_count else ""
        col = min(col, len(body))
        end = (line, min(col + span, len(body)))
        doc.apply(Change(text, (line, col), end))
        frontmatter = read_frontmatter(doc.document.lines)
        if frontmatter != doc.frontmatter:  # as the session does
            doc.frontmatter = frontmatter
            doc.forget_structure()
        headings, references = _fresh(doc)
        assert doc.headings() == headings
        assert doc.references(SYNTAXES) == references


FENCE_LINES = [
    "```python\n",
    "```\r\n",
    "````\n",
    "~~~\n",
    "~~~~ text\n",
    "# Heading\n",
    "### Deep 😀\r\n",
    "see #file:a.md and {{ v }}\n",
    "@docs/b.md\r\n",
    "code = 1  # not a heading\n",
    "\n",
    "---\n",
]
FENCE_PIECES = ["```", "~~~", "\n", "\r\n", "# ", "#file:z.md", "{{ w }}", "😀", "x", "\n```\n"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(FENCE_LINES), min_size=1, max_size=40),
    st.lists(
        st.tuples(
            st.integers(0, 45),
            st.integers(0, 12),
            st.integers(0, 3),
            st.integers(0, 12),
            st.lists(st.sampled_from(FENCE_PIECES), max_size=4).map("".join),
        ),
        max_size=25,
    ),
    st.sampled_from([1, 2, 3, Marks.BLOCK]),
)
def test_fences_typed_anywhere_leave_structure_equal_to_a_fresh_read(
    lines: list[str], edits: list, block: int
) -> None:
    """Fences opened, closed and changed by multi-line edits (which turn the rest of the
    document into code or back) keep fences, headings and references equal to a fresh read."""
    with patch.object(Marks, "BLOCK", block):
        _edit_and_compare(lines, edits)


def _edit_and_compare(lines: list[str], edits: list) -> None:
    doc = _open("".join(lines))
    doc.headings()
    doc.references(SYNTAXES)
    for line, col, more_lines, end_col, text in edits:
        document = doc.document
        line = min(line, max(document.line_count - 1, 0))
        end_line = min(line + more_lines, max(document.line_count - 1, 0))
        doc.apply(Change(text, (line, col), (end_line, end_col)))
        frontmatter = read_frontmatter(doc.document.lines)
        if frontmatter != doc.frontmatter:  # as the session does
            doc.frontmatter = frontmatter
            doc.forget_structure()
        fresh = scan_structure(doc.document.lines, doc.frontmatter.end)
        assert doc.fences() == fresh.fences
        assert doc.headings() == fresh.headings
        assert doc.references(SYNTAXES) == parse_references(
            doc.document.lines, SYNTAXES, doc.frontmatter.end
        )


def _utf16_position(text: str, index: int) -> tuple[int, int]:
    """Independent string index → LSP UTF-16 position (breaks: \\n, \\r\\n, \\r)."""
    before = text[:index]
    line = before.count("\n") + before.count("\r") - before.count("\r\n")
    start = max(before.rfind("\n"), before.rfind("\r")) + 1
    return line, len(before[start:].encode("utf-16-le")) // 2


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(FENCE_LINES), min_size=1, max_size=30).map("".join),
    st.lists(
        st.tuples(
            st.floats(0, 1),
            st.integers(0, 30),
            st.lists(st.sampled_from(FENCE_PIECES), max_size=5).map("".join),
        ),
        min_size=1,
        max_size=30,
    ),
)
def test_a_burst_answers_every_document_tokens_with_tiktokens_count(
    initial: str, burst: list
) -> None:
    """Edits back to back through the session, each followed at once by what
    ``tokenls/documentTokens`` answers: its count is tiktoken's count of the text."""
    session = Session()
    uri = "file:///p/burst.md"
    session.open(uri, initial, 1)
    text = initial
    for version, (where, removed, inserted) in enumerate(burst, start=2):
        start = int(where * len(text))
        end = min(start + removed, len(text))
        if 0 < start < len(text) and text[start - 1 : start + 1] == "\r\n":
            start -= 1
        if 0 < end < len(text) and text[end - 1 : end + 1] == "\r\n":
            end -= 1
        end = max(end, start)
        change = Change(inserted, _utf16_position(text, start), _utf16_position(text, end))
        session.change(uri, version, [change])
        text = text[:start] + inserted + text[end:]
        answer = session.document_tokens(uri)
        assert answer["ownTokens"] == truth(text, answer["encoding"])
        assert answer["exact"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 60), max_size=40).map(sorted),
    st.lists(
        st.tuples(
            st.integers(0, 70),
            st.integers(0, 8),
            st.integers(-6, 6),
            st.lists(st.integers(0, 12), max_size=4).map(sorted),
        ),
        max_size=20,
    ),
    st.sampled_from([1, 2, 3, 256]),
)
def test_marks_in_blocks_move_like_a_plain_sorted_list(
    initial: list[int], edits: list, block: int
) -> None:
    with patch.object(Marks, "BLOCK", block):
        marks = Marks(initial, [f"m{line}" for line in initial])
        plain = [(line, f"m{line}") for line in initial]
        for a, length, delta, offsets in edits:
            b = a + length
            delta = max(delta, -length)  # an edit removes at most the lines it spans
            found = [(a + o, f"new{a + o}") for o in offsets if a + o < b + delta]
            old, moved = marks.replace(a, b, delta, found)
            expected_old = [item for line, item in plain if a <= line < b]
            later = [(line + delta, item) for line, item in plain if line >= b]
            assert old == expected_old
            assert moved == bool(delta and later)
            plain = [(line, item) for line, item in plain if line < a] + found + later
            assert len(marks) == len(plain)
            for start in (0, a, b):
                lines, items = marks.from_line(start)
                assert list(zip(lines, items, strict=True)) == [p for p in plain if p[0] >= start]
