"""``compress`` options kept in a config file (``--save-config``, ``--load-config``), and the
``--config FILE`` every command takes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import truth
from tests.logs import FIXTURES
from tokenls.cli.main import main

CONFIG = """\
# The team's prompt settings.
budget = 8000  # tokens per prompt

[files]
max_bytes = 1_000_000   # keep references small
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "ci").mkdir()
    for name in ("pytest-fail.log", "pytest-pass.log"):
        (tmp_path / "ci" / name).write_bytes((FIXTURES / name).read_bytes())
    (tmp_path / "tokenls.toml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _stats(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["compress", "ci/pytest-fail.log", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_saved_options_keep_the_files_comments_and_order(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--budget", "700", "--baseline", "ci/pytest-pass.log", "--save-config"]
    assert main(["compress", "ci/pytest-fail.log", "-o", "out.log", *args]) == 0
    assert "saved --budget, --baseline to the [compress] table of" in capsys.readouterr().err
    written = (project / "tokenls.toml").read_text()
    assert written == CONFIG + '\n[compress]\nbudget = 700\nbaseline = "ci/pytest-pass.log"\n'
    # the next run takes them from there
    stats = _stats(capsys)
    assert stats["budget"] == 700 and truth((project / "out.log").read_text(), "o200k_base") <= 700


def test_saving_again_updates_the_table_in_place(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "tokenls.toml").write_text(CONFIG + "\n[compress]\nbudget = 900  # CI comments\n")
    assert main(["compress", "ci/pytest-fail.log", "--budget", "600", "--save-config", "-q"]) == 0
    capsys.readouterr()
    assert (project / "tokenls.toml").read_text() == (
        CONFIG + "\n[compress]\nbudget = 600  # CI comments\n"
    )


def test_options_load_from_a_named_file_and_the_command_line_wins(
    project: Path, capsys: pytest.CaptureFixture[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("shared") / "ci.toml"
    elsewhere.write_text(f'[compress]\nbudget = 500\nbaseline = "{project}/ci/pytest-pass.log"\n')
    assert _stats(capsys, "--load-config", str(elsewhere))["budget"] == 500
    assert _stats(capsys, "--load-config", str(elsewhere), "--budget", "650")["budget"] == 650


def test_a_misspelt_option_in_a_config_is_an_error_naming_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "tokenls.toml").write_text("[compress]\nbudjet = 500\n")
    assert main(["compress", "ci/pytest-fail.log", "-q"]) == 2
    assert "compress.budjet: unknown key (did you mean 'budget'?)" in capsys.readouterr().err


def test_a_repositorys_config_may_not_point_the_baseline_outside_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "tokenls.toml").write_text('[compress]\nbaseline = "/etc/hostname"\n')
    assert main(["compress", "ci/pytest-fail.log", "--budget", "600", "-o", "o.log"]) == 0
    assert "compress.baseline: ignored: a file outside the workspace" in capsys.readouterr().err


def test_every_command_takes_a_config_file_over_the_workspaces(
    project: Path, capsys: pytest.CaptureFixture[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    prompt = project / "ask.md"
    prompt.write_text("# Ask\n\nSummarise the failure.\n")
    (project / "tokenls.toml").write_text("budget = 5\n")
    named = tmp_path_factory.mktemp("mine") / "tokenls.toml"
    named.write_text('encoding = "cl100k_base"\nbudget = 1000\n[files]\nallow_home = true\n')
    assert main(["check", "ask.md"]) == 1  # the workspace's budget of 5
    capsys.readouterr()
    assert main(["--config", str(named), "check", "ask.md"]) == 0
    assert main(["check", "--config", str(named), "--format", "json", "ask.md"]) == 0
    assert json.loads(capsys.readouterr().out)["over_budget"] == 0
    assert main(["count", "--config", str(named), "--json", "ask.md"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["encoding"] == "cl100k_base"
    assert report["total"] == truth(prompt.read_text(), "cl100k_base")
    # trusted as your own: a key a workspace config may not set is taken without a warning
    assert "allow_home" not in err
    (project / "tokenls.toml").write_text("[files]\nallow_home = true\n")
    assert main(["count", "ask.md"]) == 0
    assert "files.allow_home: ignored" in capsys.readouterr().err


def test_a_missing_config_file_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["count", "--config", "nope.toml", "ci/pytest-fail.log"]) == 2
    assert "no such config file: nope.toml" in capsys.readouterr().err


def test_a_broken_config_file_named_on_the_command_line_is_an_error(
    project: Path, capsys: pytest.CaptureFixture[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    named = tmp_path_factory.mktemp("mine") / "tokenls.toml"
    named.write_text("budjet = 5\n")
    (project / "ask.md").write_text("# Ask\n")
    assert main(["--config", str(named), "count", "ask.md"]) == 2
    assert "budjet: unknown key (did you mean 'budget'?)" in capsys.readouterr().err
