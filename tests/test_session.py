from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import truth
from tokenls.document.outline import headings
from tokenls.lsp.session import Change, Session
from tokenls.references import parse_references
from tokenls.workspace.budget import Severity

PARTS = [
    "# Title\n",
    "## Sub\n",
    "text line\n",
    "\n",
    "```\n",
    "x",
    "#",
    "\r\n",
    "~~~\n",
    "é😀",
    "see #file:a.md ",
    "{{ name }}",
    "@docs/x.md ",
    "`#file:code.md`",
    "{",
    "@",
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(PARTS), max_size=20).map("".join),
    st.lists(
        st.tuples(
            st.integers(0, 12),
            st.integers(0, 12),
            st.integers(0, 6),
            st.lists(st.sampled_from(PARTS), max_size=3).map("".join),
        ),
        max_size=10,
    ),
)
def test_kept_headings_and_references_equal_a_fresh_parse_after_edits(
    initial: str, edits: list
) -> None:
    session = Session()
    doc = session.open("file:///t/a.md", initial, 1)
    doc.sections()
    for version, (line, col, length, text) in enumerate(edits, start=2):
        session.change("file:///t/a.md", version, [Change(text, (line, col), (line, col + length))])
        got = [(s.heading.line, s.end) for s in doc.sections()]
        fresh = headings(doc.document.lines, doc.frontmatter.end)
        assert [s[0] for s in got] == [h.line for h in fresh]
        syntaxes = frozenset({"hash_file", "variable", "at_import"})
        kept = doc.references(syntaxes)
        assert kept == parse_references(doc.document.lines, syntaxes, doc.frontmatter.end)


def _session_with(tmp_path: Path, config: str | None, text: str, editor: dict | None = None):
    if config is not None:
        (tmp_path / "tokenls.toml").write_text(config)
    session = Session()
    problems = session.configure(editor or {})
    uri = (tmp_path / "p.md").as_uri()
    session.open(uri, text, 1)
    return session, uri, problems


def test_budget_precedence_frontmatter_then_editor_then_config(tmp_path: Path) -> None:
    body = "word " * 200 + "\n"
    session, uri, _ = _session_with(tmp_path, "budget = 300\n", body, {"budget": 100})
    assert session.analyse(uri).budget.source == "editor settings"
    session.configure({"budget": 100, "configurationPreference": "filesystemFirst"})
    assert session.analyse(uri).budget.source == "tokenls.toml"
    session.configure({})  # an editor that sets nothing leaves the config file in force
    assert session.analyse(uri).budget.tokens == 300
    fm = "---\ntokenls: {budget: 50}\n---\n"
    session2, uri2, _ = _session_with(tmp_path, None, fm + body, {"budget": 100})
    assert session2.analyse(uri2).budget.tokens == 50
    (tmp_path / "tokenls.toml").unlink()
    session3, uri3, _ = _session_with(tmp_path, None, body, {"budget": 100})
    assert session3.analyse(uri3).budget.source == "editor settings"
    session4, uri4, _ = _session_with(tmp_path, None, "---\nmodel: gpt-4\n---\n" + body)
    analysis = session4.analyse(uri4)
    assert analysis.budget.tokens == 8192 and analysis.encoding == "cl100k_base"


def test_ladder_severity_and_range_start(tmp_path: Path) -> None:
    text = "".join(f"line {i} has some words in it\n" for i in range(100))
    total = truth(text, "o200k_base")
    for budget, severity in (
        (int(total / 0.65), Severity.INFORMATION),
        (int(total / 0.85), Severity.WARNING),
        (total - 1, Severity.ERROR),
    ):
        session, uri, _ = _session_with(tmp_path, f"budget = {budget}\n", text)
        [finding] = session.findings(uri)
        assert finding.severity == severity
        threshold = session.analyse(uri).finding.threshold
        start = finding.start[0]
        doc = session.get(uri).document
        assert doc.count_lines(0, start).tokens < threshold <= doc.count_lines(0, start + 1).tokens
        assert finding.end == (100, 0)


def test_invalid_config_values_name_the_key_and_fall_back(tmp_path: Path) -> None:
    session, uri, problems = _session_with(
        tmp_path,
        'encoding = "gpt2"\nthresholds = {warning = 2, target = 3}\ninlay_hints = "some"\n',
        "hello\n",
        {"budget": -5},
    )
    assert [p.key for p in problems] == ["budget"]
    reported = session.config_problems()
    assert {p.key for p in reported} == {"encoding", "inlay_hints", "thresholds"}
    assert session.config_problems() == []  # each problem is reported once
    doc = session.get(uri)
    assert doc.settings.encoding == "o200k_base" and doc.settings.inlay_hints == "all"


def test_unreadable_config_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    session, uri, _ = _session_with(tmp_path, "budget = [unclosed", "hello\n")
    [problem] = session.config_problems()
    assert "not valid TOML" in problem.reason and problem.line == 0
    assert session.document_tokens(uri)["tokens"] == truth("hello\n", "o200k_base")


def test_pyproject_tool_table_is_found_walking_up(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.tokenls]\nbudget = 77\n")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    session = Session()
    uri = (tmp_path / "deep" / "er" / "p.md").as_uri()
    session.open(uri, "hi\n", 1)
    assert session.analyse(uri).budget.tokens == 77


def test_hint_granularity_and_ranges(tmp_path: Path) -> None:
    text = "# A\nalpha\n## B\nbeta\n# C\ngamma\n"
    session, uri, _ = _session_with(tmp_path, 'inlay_hints = "total"\n', text)
    assert [h.line for h in session.hints(uri, 0, 10)] == [0]
    session.configure({"inlayHints": "sections"})
    hints = session.hints(uri, 0, 10)
    assert [h.line for h in hints] == [0, 2, 4]
    section_b = "## B\nbeta\n"
    assert hints[1].label == f"{truth(section_b, 'o200k_base')} tok"
    assert [h.line for h in session.hints(uri, 3, 10)] == [4]
    session.configure({"inlayHints": "off"})
    assert session.hints(uri, 0, 10) == []


def test_hover_tooltip_mentions_cost_and_budget(tmp_path: Path) -> None:
    session, uri, _ = _session_with(
        tmp_path, 'budget = 1000\nmodels = ["gpt-4o"]\n', "# A\nalpha beta\n"
    )
    tooltip = session.hint_tooltip({"uri": uri, "kind": "total", "line": 0})
    assert "of the 1,000-token budget" in tooltip and "gpt-4o: $" in tooltip
    assert session.hover(uri, 1).startswith("**Line:")
    assert session.hover(uri, 99) is None


def test_each_folder_keeps_its_own_editor_settings_include_and_cache(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    session = Session()
    session.roots = [a, b]
    session.configure({"inlayHints": "total"})  # the window's settings
    problems = session.configure(
        {"include": ["**/*.prompt.md"], "cacheDir": str(tmp_path / "cache-a")}, folder=a
    )
    assert problems == []
    text = "# T\nhello\n## U\nworld\n"
    in_a, in_b = (a / "notes.md").as_uri(), (b / "notes.md").as_uri()
    session.open(in_a, text, 1)
    session.open(in_b, text, 1)
    assert session.hints(in_a, 0, 10) == []  # not a prompt by a's include
    assert [h.line for h in session.hints(in_b, 0, 10)] == [0]  # the window's "total"
    assert session.workspace(in_a).cache.directory == tmp_path / "cache-a"
    assert session.workspace(in_b).cache.directory != tmp_path / "cache-a"
    prompt = (a / "x.prompt.md").as_uri()
    session.open(prompt, text, 1)
    assert [h.line for h in session.hints(prompt, 0, 10)] == [0, 2]  # a's own: default "all"


def test_a_change_that_cannot_be_applied_makes_counts_unknown_until_a_full_sync() -> None:
    from tests.logs import failing_build

    uri = "file:///t/ask.md"
    text = "# Why did CI fail?\n\n```log\n" + failing_build(2000) + "```\n"
    session = Session()
    session.open(uri, text, 1)
    assert session.code_action_offers(uri, (10, 0), (10, 0), False)
    lines = text.count("\n")
    session.change(uri, 2, [Change("lost", (lines + 5, 0), (lines + 5, 0))])
    [finding] = session.findings(uri)
    assert finding.code == "unsynced" and "token counts unknown" in finding.message
    assert [h.label for h in session.hints(uri, 0, lines)] == ["? tok"]
    assert session.document_tokens(uri)["level"] == "unknown"
    # A compression computed on a text the editor does not have is never offered.
    assert session.code_action_offers(uri, (10, 0), (10, 0), False) == []
    session.change(uri, 3, [Change("back\n")])
    assert session.document_tokens(uri)["tokens"] == truth("back\n", "o200k_base")
    assert session.findings(uri) == []


def _warm_up_timed(monkeypatch: pytest.MonkeyPatch, helper_active: bool) -> float:
    """Seconds from the last edit until warm-up builds the encoder."""
    from tokenls.lsp import session as module

    built: list[float] = []
    monkeypatch.setattr(module.count_helper, "wait_idle", lambda _quiet, _limit: None)
    monkeypatch.setattr(module.count_helper, "active", lambda: helper_active)
    monkeypatch.setattr(module.count_helper, "stop", lambda: None)
    monkeypatch.setattr(module, "get_encoding", lambda _name: built.append(time.monotonic()))
    monkeypatch.setattr(module, "WARM_UP_EDITOR_QUIET_S", 0.2)
    session = Session()
    session.last_edit = time.monotonic()
    session.warm_up()
    return built[0] - session.last_edit


def test_warm_up_builds_the_encoder_once_the_editor_pauses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Building holds the GIL: while the start-up helper counts, no keystroke waits for it."""
    assert _warm_up_timed(monkeypatch, helper_active=True) >= 0.2


def test_warm_up_without_a_helper_builds_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _warm_up_timed(monkeypatch, helper_active=False) < 0.2


def test_the_frontmatter_is_read_again_only_for_changes_that_reach_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tokenls.lsp import session as module

    reads: list[int] = []
    real = module.read_frontmatter
    monkeypatch.setattr(module, "read_frontmatter", lambda *a: reads.append(1) or real(*a))
    session = Session()
    uri = "file:///p/front.md"
    text = "---\ntokenls:\n  budget: 100\n---\n" + "line\n" * 400
    doc = session.open(uri, text, 1)
    assert doc.frontmatter.data == {"tokenls": {"budget": 100}}
    reads.clear()
    session.change(uri, 2, [Change("more ", (300, 0), (300, 0))])  # far below it
    assert reads == []
    session.change(uri, 3, [Change("200", (2, 10), (2, 13))])  # inside it
    assert reads and doc.frontmatter.data == {"tokenls": {"budget": 200}}
    assert session.document_tokens(uri)["budget"] == 200
