"""The outline view of a file that does not fit: within budget, headings first, gaps marked."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import truth
from tests.strategies import texts
from tokenls.engine.counting import Counter
from tokenls.mcp.agent.fit import fit_outline

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


def test_a_prompt_keeps_its_own_text_and_compresses_each_pasted_log_in_place() -> None:
    from tests.logs import FIXTURES
    from tokenls.mcp.agent.fit import fit_prompt

    go, maven = (
        (FIXTURES / n).read_text().rstrip("\n") + "\n" for n in ("go-fail.log", "maven-fail.log")
    )
    own = ["# Triage\n\nTwo jobs failed.\n\n## Go\n\n", "\n## Maven\n\n", "\n## Ask\n\nWhy?\n"]
    text = f"{own[0]}```console\n{go}```\n{own[1]}```log\n{maven}```\n{own[2]}"
    budget = truth(text, "o200k_base") // 3
    fitted = fit_prompt(text, budget, Counter("o200k_base"))
    assert truth(fitted.text, "o200k_base") == fitted.tokens <= budget
    assert fitted.gaps == [] and len(fitted.logs) == 2
    position = 0
    for part in own:  # the prompt's own text, whole and in order
        position = fitted.text.index(part, position)
    assert "--- FAIL: TestPercentile (0.00s)" in fitted.text and "BUILD FAILURE" in fitted.text


def test_a_prompt_whose_own_text_is_over_falls_back_to_its_outline() -> None:
    from tokenls.mcp.agent.fit import fit_prompt

    log = "".join(f"2026-11-24T10:00:{n % 60:02d}Z ERROR worker {n} failed\n" for n in range(80))
    text = _document(6) + f"```log\n{log}```\n"
    fitted = fit_prompt(text, 150, Counter("o200k_base"))
    assert fitted.tokens <= 150 and fitted.gaps and fitted.logs == []
    assert all(f"## Part {n}\n" in fitted.text for n in range(6))
