"""``{{ name }}`` and ``${input:name}`` are variables only where templates live.

The backtrace fixture is real ``cargo run`` output (tests/fixtures/templates/README.md has
the command): its ``main::{{closure}}`` frames are Rust, not template variables.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import truth
from tokenls.cli.main import main
from tokenls.lsp.session import Session
from tokenls.references.parse import default_syntaxes, is_template_file

FIXTURES = Path(__file__).parent / "fixtures" / "templates"
BACKTRACE = (FIXTURES / "rust-closure-panic.log").read_text()


def _check(capsys: pytest.CaptureFixture[str], *paths: str) -> list[dict]:
    assert main(["check", "--format", "json", *paths]) == 0
    return json.loads(capsys.readouterr().out)["findings"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_pasted_rust_backtrace_has_no_unbound_variables(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "closure_panic::main::{{closure}}" in BACKTRACE  # what looked like a variable
    (project / "ask.md").write_text(f"# Why does this panic?\n\n{BACKTRACE}")
    assert _check(capsys, "ask.md") == []
    session = Session()
    uri = (project / "ask.md").as_uri()
    session.open(uri, (project / "ask.md").read_text(), 1)
    assert session.analyse(uri).references == []
    assert session.document_tokens(uri)["tokens"] == truth(
        f"# Why does this panic?\n\n{BACKTRACE}", "o200k_base"
    )


def test_a_prompty_variable_is_still_reported_unbound(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "greet.prompty").write_text("---\nname: greet\n---\nHello {{ name }}!\n")
    [finding] = _check(capsys, "greet.prompty")
    assert finding["code"] == "unbound-variable" and finding["line"] == 4
    assert finding["message"] == "{{name}}: unbound variable — not counted"


def test_a_backtrace_fenced_in_a_template_is_text(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = f"---\ninputs:\n  q: {{type: string}}\n---\n{{{{ q }}}}\n\n```text\n{BACKTRACE}```\n"
    (project / "triage.prompty").write_text(text)
    [finding] = _check(capsys, "triage.prompty")
    assert finding["message"] == "{{q}}: unbound variable — not counted"


@pytest.mark.parametrize(
    "frontmatter",
    [
        "variables:\n  team: the platform team\n",
        "template_format: jinja2\n",
        "inputs:\n  team:\n    type: string\n",
        "tokenls:\n  budget: 500\nvariables: {}\n",
    ],
)
def test_a_markdown_prompt_whose_frontmatter_declares_variables_is_a_template(
    project: Path, frontmatter: str
) -> None:
    text = f"---\n{frontmatter}---\nAsk {{{{ team }}}} about ${{input:topic}}.\n"
    session = Session()
    uri = (project / "ask.md").as_uri()
    session.open(uri, text, 1)
    refs = session.analyse(uri).references
    assert [(r.reference.syntax, r.target) for r in refs] == [
        ("variable", "team"),
        ("input_variable", "topic"),
    ]
    bound = "variables:\n  team" in frontmatter
    assert refs[0].status == ("ok" if bound else "unbound") and refs[1].status == "unbound"


def test_config_variables_make_every_prompt_a_template(project: Path) -> None:
    (project / "tokenls.toml").write_text('[variables]\nteam = "the platform team"\n')
    session = Session()
    uri = (project / "notes.md").as_uri()
    session.open(uri, "Ask {{ team }}.\n", 1)
    [ref] = session.analyse(uri).references
    assert ref.status == "ok" and ref.tokens == truth("the platform team", "o200k_base")


def test_plain_files_are_not_templates() -> None:
    for name in ("notes.md", "CLAUDE.md", "build.log", "ci.yml", "main.rs", "README.txt"):
        assert not is_template_file(name), name
        assert not {"variable", "input_variable"} & default_syntaxes(name), name
    for name in (
        "greet.prompty",
        "fix.prompt",
        "review.prompt.md",
        "summary.prompt.yml",
        "system.jinja",
        "system.j2",
        "card.hbs",
        "card.mustache",
        "promptfooconfig.yaml",
    ):
        assert is_template_file(name), name
        assert {"variable", "input_variable"} <= default_syntaxes(name), name
    assert {"variable", "input_variable"} <= default_syntaxes("notes.md", templated=True)
    # A GitHub workflow's expressions are not variables: no YAML but promptfoo's is a template.
    assert "variable" not in default_syntaxes("release.yml")
