"""The outline view of a file that does not fit: within budget, headings first, gaps marked."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import truth
from tests.strategies import texts
from tokenls.agent.fit import fit_outline
from tokenls.engine.counting import Counter

SECTION = "Some prose that goes on about the topic at hand. " * 20 + "\n"


def _document(sections: int) -> str:
    parts = ["# Guide\n\nIntro line.\n\n"]
    for n in range(sections):
        parts.append(f"## Part {n}\n\n{SECTION}\n### Detail {n}\n\n{SECTION}\n")
    return "".join(parts)


def test_a_text_that_fits_is_returned_whole(encoding: str) -> None:
    text = _document(1)
    fitted = fit_outline(text, truth(text, encoding), Counter(encoding))
    assert fitted.text == text and fitted.gaps == []
    assert fitted.tokens == truth(text, encoding)


def test_headings_come_first_shallow_levels_before_deep_ones(encoding: str) -> None:
    text = _document(6)
    lines = text.splitlines(keepends=True)
    fitted = fit_outline(text, 120, Counter(encoding))
    assert truth(fitted.text, encoding) == fitted.tokens <= 120
    assert "# Guide\n" in fitted.text
    assert all(f"## Part {n}\n" in fitted.text for n in range(6))
    # every gap is named by a marker, and its tokens are tiktoken's count of those lines
    for gap in fitted.gaps:
        assert gap.tokens == truth("".join(lines[gap.start : gap.end]), encoding)
        count = gap.end - gap.start
        assert f"[… {count} line{'s' if count > 1 else ''} not shown]\n" in fitted.text
    kept = len(lines) - sum(g.end - g.start for g in fitted.gaps)
    assert kept == len(fitted.text.splitlines()) - len(fitted.gaps)


def test_more_budget_adds_the_text_from_the_top(encoding: str) -> None:
    text = _document(6)
    fitted = fit_outline(text, 600, Counter(encoding))
    assert fitted.tokens <= 600
    assert "Intro line.\n" in fitted.text and SECTION in fitted.text
    assert fitted.text.index("## Part 0") < fitted.text.index(SECTION)


def test_text_without_headings_keeps_its_beginning() -> None:
    text = "".join(f"line {n} of a plain text file\n" for n in range(500))
    fitted = fit_outline(text, 100, Counter("o200k_base"))
    assert fitted.text.startswith("line 0 of a plain text file\nline 1 of")
    [gap] = fitted.gaps
    assert gap.end == 500 and fitted.text.endswith(f"[… {500 - gap.start} lines not shown]\n")


@settings(max_examples=80, deadline=None)
@given(st.lists(texts, min_size=1, max_size=30).map("\n".join), st.integers(20, 200))
def test_the_view_never_exceeds_the_budget(text: str, budget: int) -> None:
    fitted = fit_outline(text, budget, Counter("o200k_base"))
    assert truth(fitted.text, "o200k_base") == fitted.tokens <= budget
    if not fitted.gaps:
        assert fitted.text == text
