"""A document's references are bounded: how many are resolved (``max_references``), for how
long (``references_timeout_s``) and how many are read at all. The rest count 0 and are
reported once, on the first of them; the document's own text is still counted exactly."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import truth
from tokenls.cli.main import main
from tokenls.config import ConfigError, load_config_for
from tokenls.config.schema import ReferenceCount
from tokenls.config.values import RANGES
from tokenls.engine.text import split_lines
from tokenls.lsp.session import Change, Session
from tokenls.references import parse_references
from tokenls.references.parse import MAX_PARSED_REFERENCES

TARGETS = 20  # distinct files the references cycle through


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "notes").mkdir(parents=True)
    (root / ".git").mkdir()
    for i in range(TARGETS):
        (root / "notes" / f"f{i}.md").write_text(f"note number {i} with some words\n")
    return root


def _prompt(count: int) -> str:
    return "".join(f"see #file:notes/f{i % TARGETS}.md here\n" for i in range(count))


def _notes(root: Path) -> int:
    return sum(truth((root / "notes" / f"f{i}.md").read_text(), "o200k_base") for i in range(20))


def _open(root: Path, text: str) -> tuple[Session, str]:
    session = Session()
    session.roots = [root]
    uri = (root / "p.md").as_uri()
    session.open(uri, text, 1)
    return session, uri


def test_past_max_references_the_rest_are_one_reported_reference(project: Path) -> None:
    text = _prompt(5000)
    session, uri = _open(project, text)
    analysis = session.analyse(uri)
    assert len(analysis.references) == 1001  # 1,000 resolved, then the first one not
    assert all(r.status == "ok" for r in analysis.references[:1000])
    last = analysis.references[-1]
    assert last.status == "error" and last.reference.line == 1000
    assert "nor the 3,999 after it" in last.error and "(max_references)" in last.error
    assert analysis.own.tokens == truth(text, "o200k_base")  # the own text, exactly
    assert analysis.total.tokens == analysis.own.tokens + _notes(project)
    payload = session.document_tokens(uri)
    assert payload["referencesSkipped"] == 4000 and "referencesUnread" not in payload
    assert payload["references"][-1]["status"] == "error"
    [finding] = session.findings(uri)  # one diagnostic, not four thousand
    assert finding.start == (1000, 4) and "3,999 after it" in finding.message


def test_the_limit_is_a_setting_a_repository_may_lower_but_not_raise(
    project: Path, user_config: Path
) -> None:
    (project / "tokenls.toml").write_text("max_references = 10\n")
    session, uri = _open(project, _prompt(30))
    assert [r.status for r in session.analyse(uri).references] == ["ok"] * 10 + ["error"]

    (project / "tokenls.toml").write_text("max_references = 5000\nreferences_timeout_s = 60\n")
    settings_, problems = load_config_for(project / "p.md")
    assert (settings_.max_references, settings_.references_timeout_s) == (1000, 30.0)
    assert {p.key for p in problems} == {"max_references", "references_timeout_s"}
    user_config.write_text("max_references = 6000\n")  # the user's own config may raise it
    settings_, problems = load_config_for(project / "p.md")  # and the repository's then holds
    assert settings_.max_references == 5000
    assert [p.key for p in problems] == ["references_timeout_s"]


def test_the_limit_stays_below_the_references_read_at_all(project: Path) -> None:
    # Past the limit one reference stands for the rest: there must always be one to read.
    assert RANGES[ReferenceCount].high < MAX_PARSED_REFERENCES
    (project / "tokenls.toml").write_text(f"max_references = {MAX_PARSED_REFERENCES}\n")
    with pytest.raises(ConfigError, match="max_references"):
        load_config_for(project / "p.md")


def test_past_the_time_limit_the_rest_are_reported(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A clock that moves a second each time it is read: the limit of 2.5 s is passed after
    # two references, however fast this machine resolves them.
    ticks = iter(range(10_000))
    clock = SimpleNamespace(monotonic=lambda: float(next(ticks)))
    monkeypatch.setattr("tokenls.references.resolve.time", clock)
    (project / "tokenls.toml").write_text("references_timeout_s = 2.5\n")
    session, uri = _open(project, _prompt(50))
    references = session.analyse(uri).references
    assert [r.status for r in references] == ["ok", "ok", "error"]
    assert "nor the 47 after it" in references[-1].error
    assert "longer than 2.5 s (references_timeout_s)" in references[-1].error


def test_followed_imports_count_against_the_limit(project: Path) -> None:
    (project / "tokenls.toml").write_text("max_references = 5\n")
    (project / "rules.md").write_text("".join(f"@notes/f{i}.md\n" for i in range(TARGETS)))
    session = Session()
    session.roots = [project]
    uri = (project / "CLAUDE.md").as_uri()
    session.open(uri, "Follow @rules.md always.\n", 1)
    [ref] = session.analyse(uri).references
    assert ref.status == "ok" and len(ref.imports) == 4  # rules.md and four of its imports
    assert "further imports are not followed" in ref.error and "max_references" in ref.error


def test_a_document_past_the_parse_cap_answers_and_says_the_rest_were_not_read(
    project: Path,
) -> None:
    count = MAX_PARSED_REFERENCES + 20_000
    text = _prompt(count)
    session, uri = _open(project, text)
    doc = session.get(uri)
    payload = session.document_tokens(uri)
    assert doc.references_capped and len(session.analyse(uri).references) == 1001
    assert payload["ownTokens"] == truth(text, "o200k_base")
    assert payload["referencesSkipped"] == MAX_PARSED_REFERENCES - 1000
    assert payload["referencesUnread"] is True
    assert f"past the first {MAX_PARSED_REFERENCES:,}" in payload["references"][-1]["error"]
    kept = doc.references(doc._reference_syntaxes)
    end = doc.document.line_count - 1
    session.change(uri, 2, [Change("x", (end, 0), (end, 0))])  # past the references read
    assert doc.references(doc._reference_syntaxes) is kept
    session.change(uri, 3, [Change("", (0, 0), (1, 0))])  # before them: read again
    again = doc.references(doc._reference_syntaxes)
    assert len(again) == MAX_PARSED_REFERENCES and again[0].line == 0
    assert session.document_tokens(uri)["ownTokens"] == truth(doc.document.text, "o200k_base")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(["#file:a.md ", "{{ x }}", "@b.md ", "`#file:c.md`", "\n", "```\n"]),
        max_size=40,
    ).map("".join),
    st.integers(0, 12),
)
def test_a_limited_parse_is_the_start_of_the_whole_one(text: str, limit: int) -> None:
    lines = split_lines(text)
    syntaxes = {"hash_file", "variable", "at_import"}
    whole = parse_references(lines, syntaxes)
    assert parse_references(lines, syntaxes, limit=limit) == whole[:limit]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["#file:a.md ", "{{ x }}", "text ", "\n", "```\n"]), max_size=30).map(
        "".join
    ),
    st.lists(
        st.tuples(
            st.integers(0, 8),
            st.integers(0, 8),
            st.sampled_from(["", "#file:b.md ", "\n", "{{ y }}\n", "z"]),
        ),
        max_size=8,
    ),
)
def test_a_capped_reference_list_equals_a_fresh_capped_parse_after_edits(
    initial: str, edits: list
) -> None:
    syntaxes = frozenset({"hash_file", "variable"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("tokenls.analysis.open_document.MAX_PARSED_REFERENCES", 3)
        session = Session()
        doc = session.open("file:///t/a.md", initial, 1)
        doc.references(syntaxes)
        for version, (line, col, text) in enumerate(edits, start=2):
            session.change("file:///t/a.md", version, [Change(text, (line, col), (line, col))])
            kept = doc.references(syntaxes)
            whole = parse_references(doc.document.lines, syntaxes, doc.frontmatter.end)
            assert kept == whole[:3]
            assert doc.references_capped == (len(whole) >= 3)


def test_the_command_line_has_the_same_bound(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    text = _prompt(3000)
    (project / "p.md").write_text(text)
    assert main(["count", "--json", "p.md"]) == 0
    [entry] = json.loads(capsys.readouterr().out)["files"]
    assert entry["own_tokens"] == truth(text, "o200k_base")
    assert entry["tokens"] == entry["own_tokens"] + _notes(project)
    assert len(entry["references"]) == 1001
    assert "nor the 1,999 after it" in entry["references"][-1]["error"]
    assert main(["check", "p.md"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("p.md:1001:5: warning:") and "max_references" in line
