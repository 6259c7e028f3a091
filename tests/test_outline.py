from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tokenls.document.outline import headings, paragraph_at, read_frontmatter, sections
from tokenls.engine.text import split_lines


def test_headings_skip_fences_and_frontmatter_and_nest_sections() -> None:
    text = (
        "---\ntitle: x\n---\n# One\r\ntext\n```md\n# not a heading\n```\n## Two\r"
        "body\n~~~\n## fenced\n~~~\n#no-space is not a heading\n# Three\n"
    )
    lines = split_lines(text)
    fm = read_frontmatter(lines)
    assert fm.data == {"title": "x"} and fm.end == 3
    found = headings(lines, fm.end)
    assert [(h.level, h.title) for h in found] == [(1, "One"), (2, "Two"), (1, "Three")]
    ranges = [(s.heading.title, s.heading.line, s.end) for s in sections(found, len(lines))]
    assert ranges == [("One", 3, 14), ("Two", 8, 14), ("Three", 14, 15)]


def test_bad_frontmatter_is_reported_not_raised() -> None:
    fm = read_frontmatter(split_lines("---\nkey: [unclosed\n---\nbody\n"))
    assert fm.error is not None and "invalid YAML" in fm.error
    assert read_frontmatter(split_lines("---\n- a list\n---\n")).error is not None


def test_paragraph_is_the_blank_line_delimited_block() -> None:
    lines = split_lines("a\nb\n\nc\nd\ne\n\n")
    assert paragraph_at(lines, 4) == (3, 6)
    assert paragraph_at(lines, 2) == (2, 2)


@given(
    st.lists(
        st.sampled_from(["# h\n", "## h\n", "```\n", "text\n", "\n", "   # h\r", "~~~\r\n"]),
        max_size=30,
    )
)
def test_fast_scan_agrees_with_a_line_by_line_reading(parts: list[str]) -> None:
    lines = split_lines("".join(parts))
    expected = []
    fence = None
    for index, line in enumerate(lines):
        body = line.rstrip("\r\n").lstrip(" ")
        if body.startswith(("```", "~~~")):
            fence = None if fence and body[0] == fence else (fence or body[0])
            continue
        if fence is None and body.startswith("#") and (body.lstrip("#")[:1] in ("", " ")):
            expected.append(index)
    assert [h.line for h in headings(lines)] == expected
