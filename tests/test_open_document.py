"""Headings, fences and references kept across edits equal a fresh read of the text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tokenls.config import Settings
from tokenls.engine.counting import Counter
from tokenls.engine.document import Document
from tokenls.open_document import Change, OpenDocument
from tokenls.outline import read_frontmatter, scan_structure
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
