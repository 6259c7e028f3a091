"""Settings: validation that names file, key and value; precedence; the CLI's exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import truth
from tokenls.cli.main import main
from tokenls.config import Thresholds, editor_layer, file_layer, order, read_config, resolve
from tokenls.config.loading import Layer, key_line
from tokenls.workspace.budget import Budget, budget_finding

BROKEN = {
    "malformed TOML": ("tokenls.toml", b"budget = [unclosed\n", "<file>", "not valid TOML"),
    "wrong type": ("tokenls.toml", b'budget = "lots"\n', "budget", "positive whole number"),
    "typo'd key": ("tokenls.toml", b"budjet = 500\n", "budjet", "did you mean 'budget'"),
    "non-UTF-8 file": ("tokenls.toml", b"budget = 5 # caf\xe9\n", "<file>", "not valid UTF-8"),
    "broken [tool.tokenls]": (
        "pyproject.toml",
        b'[tool]\ntokenls = "yes"\n',
        "tool.tokenls",
        "expected a table",
    ),
    "wrong type in [tool.tokenls]": (
        "pyproject.toml",
        b'[tool.tokenls]\nencoding = "gpt2"\n',
        "encoding",
        "o200k_base, cl100k_base",
    ),
    "bad nested key": (
        "tokenls.toml",
        b"[thresholds]\nwarnin = 0.7\n",
        "thresholds.warnin",
        "did you mean 'warning'",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
@pytest.mark.parametrize("command", ["check", "count", "compress"])
def test_each_class_of_broken_config_exits_2_with_one_line(
    case: str, command: str, tmp_path: Path, capsys
) -> None:
    name, data, key, reason = BROKEN[case]
    (tmp_path / ".git").mkdir()
    (tmp_path / name).write_bytes(data)
    prompt = tmp_path / "p.md"
    prompt.write_text("hello\n")
    args = {"check": [str(tmp_path)], "count": [str(prompt)], "compress": [str(prompt)]}
    assert main([command, *args[command]]) == 2
    err = capsys.readouterr().err
    [line] = err.splitlines()
    assert line.startswith(f"tokenls: {tmp_path / name}: {key}: "), line
    assert reason in line
    assert "Traceback" not in err


def test_problems_name_the_value_and_the_line_of_the_key(tmp_path: Path) -> None:
    path = tmp_path / "tokenls.toml"
    path.write_text('budget = 800\n\n[http]\ntimeout_s = "soon"\n')
    [problem] = file_layer(read_config(path)).problems
    assert problem.key == "http.timeout_s" and problem.line == 3
    assert "'soon'" in problem.reason and "positive number" in problem.reason


def test_key_line_finds_dotted_inline_and_quoted_keys() -> None:
    text = 'a = 1\nthresholds = { target = 0.5 }\n[http.headers."api.x"]\nX-Y = "v"\n'
    assert key_line(text, "thresholds.target") == 1
    assert key_line(text, 'http.headers."api.x".X-Y') == 3
    assert key_line(text, "missing") is None


def _layer(source: str, **values: object) -> Layer:
    return Layer(source, values)


def test_precedence_defaults_user_workspace_editor_and_the_preference_switch() -> None:
    user = _layer("user", encoding="cl100k_base", budget=100, debounce_ms=10)
    workspace = _layer("ws", budget=200, inlay_hints="total")
    editor, preference = editor_layer({"tokenls": {"budget": 300}})
    assert preference == "editorFirst"
    first = resolve(order(user, workspace, editor, "editorFirst")).settings
    assert (first.encoding, first.budget, first.inlay_hints, first.debounce_ms) == (
        "cl100k_base",
        300,
        "total",
        10,
    )
    files_first = resolve(order(user, workspace, editor, "filesystemFirst")).settings
    assert files_first.budget == 200
    only = resolve(order(user, workspace, editor, "editorOnly")).settings
    assert (only.budget, only.encoding, only.inlay_hints) == (300, "o200k_base", "all")


def test_editor_settings_are_validated_with_camel_case_keys() -> None:
    layer, preference = editor_layer(
        {"inlayHints": "sections", "debounceMs": -1, "configurationPreference": "mine", "x": 1}
    )
    assert dict(layer.values) == {"inlay_hints": "sections"}
    assert {p.key for p in layer.problems} == {"debounceMs", "configurationPreference", "x"}
    assert preference == "editorFirst"


def test_budget_message_with_an_error_threshold_below_one_is_never_negative() -> None:
    text = "word " * 90
    tokens = truth(text, "o200k_base")
    finding = budget_finding(tokens, Budget(tokens + 10, "tokenls.toml"), Thresholds(0.5, 0.6, 0.9))
    assert "-" not in finding.message and "10 under the budget" in finding.message
    over = budget_finding(tokens + 5, Budget(tokens, "x"), Thresholds())
    assert "over budget by 5" in over.message


def test_check_uses_the_workspace_cache_dir(tmp_path: Path, capsys) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "tokenls.toml").write_text('cache_dir = ".cache/tokenls"\n')
    (tmp_path / "notes.md").write_text("some notes\n")
    (tmp_path / "p.md").write_text("Read #file:notes.md\n")
    assert main(["check", str(tmp_path)]) == 0
    assert any((tmp_path / ".cache" / "tokenls").iterdir())
