"""``tokenls log`` on real histories: each commit counted in its own tree (figures held to
tiktoken's counts of the committed texts), renames followed, the first-parent line of a
merge, and one ``git cat-file`` process however long the history."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import truth
from tests.repos import Repo
from tokenls.cli.log import BARS, sparkline
from tokenls.cli.main import main
from tokenls.tree.prompts import PromptChecker

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

ENC = "o200k_base"
RULES_1 = "# Rules\n\nWrite tests first.\n"
RULES_2 = RULES_1 + "\nStyle: @docs/style.md\n"
RULES_3 = RULES_2 + "Keep every function under forty lines, and say why when one is not.\n"
STYLE_1 = "# Style\n\nUse type hints.\n"
STYLE_2 = STYLE_1 + "Name modules for what they hold, and keep docstrings short.\n"


def t(text: str) -> int:
    return truth(text, ENC)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Repo, dict[str, str]]:
    repo = Repo(tmp_path / "repo")
    commits = {
        "start": repo.commit("start", {"CLAUDE.md": RULES_1, "docs/style.md": STYLE_1}),
        "import": repo.commit("import the style", {"CLAUDE.md": RULES_2}),
        "grow": repo.commit("grow the style", {"docs/style.md": STYLE_2}),
        "other": repo.commit("unrelated", {"notes.txt": "nothing to do with it\n"}),
    }
    repo.git("mv", "CLAUDE.md", "AGENTS.md")
    commits["rename"] = repo.commit("rename to AGENTS.md")
    repo.git("checkout", "-q", "-b", "feature")
    commits["feature"] = repo.commit("longer rules", {"AGENTS.md": RULES_3})
    repo.git("checkout", "-q", "main")
    commits["main"] = repo.commit("more notes", {"notes.txt": "still unrelated\n"})
    repo.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    commits["merge"] = repo.git("rev-parse", "HEAD")
    monkeypatch.chdir(repo.root)
    return repo, commits


def log_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code = main(["log", "--json", *args])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_every_total_is_the_commits_own(repo, capsys) -> None:
    _, commits = repo
    document = log_json(capsys, "AGENTS.md")
    rows = [(p["commit"], p["path"], p["tokens"], p["prompt_changed"]) for p in document["points"]]
    assert rows == [
        (commits["merge"], "AGENTS.md", t(RULES_3) + t(STYLE_2), True),
        (commits["rename"], "AGENTS.md", t(RULES_2) + t(STYLE_2), True),
        (commits["grow"], "CLAUDE.md", t(RULES_2) + t(STYLE_2), False),  # the import grew
        (commits["import"], "CLAUDE.md", t(RULES_2) + t(STYLE_1), True),
        (commits["start"], "CLAUDE.md", t(RULES_1), True),
    ]
    deltas = [p["delta"] for p in document["points"]]
    assert deltas == [
        t(RULES_3) - t(RULES_2),
        0,
        t(STYLE_2) - t(STYLE_1),
        t(RULES_2) + t(STYLE_1) - t(RULES_1),
        None,
    ]
    newest = document["points"][0]
    assert newest["subject"] == "merge feature"
    assert newest["own_tokens"] == t(RULES_3)
    assert newest["date"].startswith("2023-11-")


def test_a_limit_keeps_the_last_changes(repo, capsys) -> None:
    _, commits = repo
    points = log_json(capsys, "-n", "2", "AGENTS.md")["points"]
    assert [p["commit"] for p in points] == [commits["merge"], commits["rename"]]


def test_text_rows_and_a_sparkline(repo, capsys) -> None:
    _, commits = repo
    assert main(["log", "--no-color", "--chart", "AGENTS.md"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    totals = [t(RULES_1), t(RULES_2) + t(STYLE_1), t(RULES_2) + t(STYLE_2)]
    totals += [totals[-1], t(RULES_3) + t(STYLE_2)]
    assert lines[0].startswith(sparkline(totals))
    assert set(lines[0].split()[0]) <= set(BARS)
    assert lines[1].startswith(commits["merge"][:10])
    assert f"{t(RULES_3) + t(STYLE_2):,}" in lines[1] and "merge feature" in lines[1]
    assert "(a file it reads changed)" in lines[3]
    assert f"{t(RULES_1):,} → {t(RULES_3) + t(STYLE_2):,} tokens over 5 commits" in captured.err
    assert main(["log", "--no-color", "AGENTS.md"]) == 0  # not a terminal: no chart
    assert capsys.readouterr().out.splitlines()[0].startswith(commits["merge"][:10])


def test_sparkline_scales_between_the_lowest_and_highest() -> None:
    assert sparkline([10, 20, 30]) == BARS[0] + BARS[4] + BARS[-1]
    assert sparkline([5, None, 5]) == BARS[4] + " " + BARS[4]
    assert len(sparkline(list(range(500)), width=40)) == 40


def test_a_path_no_commit_changed_is_an_error(repo, capsys) -> None:
    assert main(["log", "missing.md"]) == 2
    assert "no commit" in capsys.readouterr().err


def test_a_long_history_is_one_cat_file_and_counts_each_text_once(
    tmp_path, monkeypatch, capsys
) -> None:
    repo = Repo(tmp_path / "long")
    texts = []
    for number in range(40):
        # Every fifth commit puts back the text of the one before the last.
        text = texts[-2] if number % 5 == 4 else f"# Prompt\n\n{'step ' * (number + 1)}\n"
        texts.append(text)
        repo.commit(f"change {number}", {"prompt.md": text})
    monkeypatch.chdir(repo.root)
    started: list[list[str]] = []
    real_popen = subprocess.Popen

    class Popen(real_popen):  # type: ignore[misc, valid-type]
        def __init__(self, args, *rest, **options):  # type: ignore[no-untyped-def]
            started.append(list(args))
            super().__init__(args, *rest, **options)

    analysed: list[Path] = []
    real_analysed = PromptChecker.analysed

    def spy(self, path, data=None):  # type: ignore[no-untyped-def]
        analysed.append(path)
        return real_analysed(self, path, data)

    monkeypatch.setattr(subprocess, "Popen", Popen)
    monkeypatch.setattr(PromptChecker, "analysed", spy)
    points = log_json(capsys, "prompt.md")["points"]
    assert [p["tokens"] for p in reversed(points)] == [t(text) for text in texts]
    gits = [a for a in started if Path(a[0]).name == "git"]
    assert len([a for a in gits if "cat-file" in a]) == 1
    assert len(gits) <= 4  # rev-parse, log, cat-file: not one process a commit
    assert len(analysed) == len(set(texts))  # a text seen before is not analysed again
