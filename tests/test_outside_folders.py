"""Where a document's file references may reach: its workspace folder; outside every folder,
its project (the folder of its tokenls.toml, else its git work tree, never ``/``); nothing
for a document in no project or on another machine, and the reference says why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import truth
from tokenls.lsp.session import Session

ESCAPE = "Read #file:../../../../../../../../etc/passwd and #file:secret.md now.\n"


def _statuses(session: Session, uri: str) -> list[tuple[str, str | None]]:
    return [(r.status, r.error) for r in session.analyse(uri).references]


@pytest.fixture
def loose(tmp_path: Path) -> Path:
    """A folder that is no workspace folder and no project, a secret beside the prompt."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "secret.md").write_text("password: hunter2\n")
    return folder


@pytest.mark.parametrize("folders", [0, 1])
def test_a_document_at_the_top_of_the_disk_reads_nothing(tmp_path: Path, folders: int) -> None:
    session = Session()
    session.roots = [tmp_path / "ws"][:folders]
    session.open("file:///x.md", ESCAPE, 1)
    statuses = _statuses(session, "file:///x.md")
    assert [s for s, _ in statuses] == ["error", "error"]
    assert all("outside every workspace folder" in (e or "") for _, e in statuses)
    assert session.analyse("file:///x.md").total.tokens == truth(ESCAPE, "o200k_base")
    assert session.workspace("file:///x.md").confine == ()


def test_a_document_outside_every_folder_and_project_reads_nothing(
    tmp_path: Path, loose: Path
) -> None:
    session = Session()
    session.roots = [tmp_path / "ws"]
    uri = (loose / "p.md").as_uri()
    session.open(uri, ESCAPE, 1)
    [_, (status, error)] = _statuses(session, uri)
    assert status == "error" and "not resolved here" in (error or "")
    assert "no tokenls.toml, no git work tree" in (error or "")
    [finding] = [f for f in session.findings(uri) if "secret.md" in f.message]
    assert "open its folder as a workspace" in finding.message


@pytest.mark.parametrize("marker", [".git", "tokenls.toml"])
def test_a_document_in_a_project_resolves_inside_it_only(loose: Path, marker: str) -> None:
    if marker == ".git":
        (loose / ".git").mkdir()
    else:
        (loose / "tokenls.toml").write_text("budget = 1000\n")
    session = Session()
    (loose / "docs").mkdir()
    uri = (loose / "docs" / "p.md").as_uri()
    session.open(uri, ESCAPE.replace("secret.md", "../secret.md"), 1)
    [(escape, why), (ok, _)] = _statuses(session, uri)
    assert escape == "error" and "outside the workspace" in (why or "")
    assert ok == "ok"
    assert session.workspace(uri).confine == (loose.resolve(),)


def test_a_git_work_tree_at_the_top_of_the_disk_is_no_project(
    loose: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lexists = os.path.lexists
    monkeypatch.setattr(os.path, "lexists", lambda p: str(p) == "/.git" or lexists(p))
    session = Session()
    uri = (loose / "p.md").as_uri()
    session.open(uri, ESCAPE, 1)
    assert [s for s, _ in _statuses(session, uri)] == ["error", "error"]
    assert session.workspace(uri).confine == ()


def test_a_document_on_another_machine_reads_nothing_here(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "secret.md").write_text("password: hunter2\n")
    session = Session()
    session.roots = [root]
    remote = f"file://fileserver.example{root}/p.md"  # the same path, on another machine
    session.open(remote, ESCAPE, 1)
    assert all(
        s == "error" and "on another machine (fileserver.example)" in (e or "")
        for s, e in _statuses(session, remote)
    )
    local = f"file://localhost{root}/p.md"  # this machine, named
    session.open(local, ESCAPE, 1)
    assert [s for s, _ in _statuses(session, local)] == ["error", "ok"]


def test_a_config_above_the_folder_does_not_widen_it(tmp_path: Path) -> None:
    (tmp_path / "tokenls.toml").write_text("budget = 1000\n")
    (tmp_path / "secret.md").write_text("password: hunter2\n")
    root = tmp_path / "ws"
    root.mkdir()
    session = Session()
    session.roots = [root]
    uri = (root / "p.md").as_uri()
    session.open(uri, "#file:../secret.md\n", 1)
    [(status, error)] = _statuses(session, uri)
    assert status == "error" and "outside the workspace" in (error or "")
    assert session.analyse(uri).budget.tokens == 1000  # its settings still apply


def test_files_named_by_frontmatter_are_refused_outside_every_project(loose: Path) -> None:
    text = (
        "---\ntokenls:\n  variables_file: secret.md\n  encoding: tok/tokenizer.json\n---\n"
        "Hello {{ password }}.\n"
    )
    session = Session()
    uri = (loose / "p.md").as_uri()
    session.open(uri, text, 1)
    analysis = session.analyse(uri)
    assert any("variables file" in p and "not resolved here" in p for p in analysis.problems)
    assert any("tokenizer file" in p and "outside the workspace" in p for p in analysis.problems)
    assert [r.status for r in analysis.references] == ["unbound"]
