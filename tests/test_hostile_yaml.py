"""YAML from a repository (frontmatter, variables files) cannot exhaust memory, the stack
or the parser: aliases are refused before anything expands, nesting is bounded, and a
value Python cannot hold is a problem, not a crash. The document still counts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import truth
from tokenls.cli.main import main
from tokenls.document.outline import read_frontmatter
from tokenls.document.yaml_data import MAX_DEPTH, YamlRefused, load_yaml
from tokenls.engine.text import split_lines


def _billion_laughs() -> str:
    """Nine levels of nine aliases: 9**9 (387 million) strings once expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, current in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{current}: &{current} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


BOMB = _billion_laughs()


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    assert len(BOMB.encode()) < 512
    started = time.process_time()
    with pytest.raises(YamlRefused) as refused:
        load_yaml(BOMB)
    assert refused.value.reason == "YAML aliases are not supported"
    assert refused.value.line == 1  # the first alias, on the line of "b:"
    assert time.process_time() - started < 5  # expanding would take minutes, then fail


def test_plain_yaml_and_unused_anchors_still_load() -> None:
    assert load_yaml("a: &x [1, 2]\nb: {c: d}\n") == {"a": [1, 2], "b": {"c": "d"}}
    assert load_yaml('{"json": ["is", "yaml", 1.5]}') == {"json": ["is", "yaml", 1.5]}


def test_a_merge_key_is_an_alias_too() -> None:
    with pytest.raises(YamlRefused, match="aliases are not supported"):
        load_yaml("base: &b {x: 1}\nchild:\n  <<: *b\n")


def test_nesting_deeper_than_the_limit_is_refused_not_a_stack_overflow() -> None:
    assert load_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    for deep in ("[" * 5000, "a:\n" + "".join(f"{' ' * i}b{i}:\n" for i in range(1, 200))):
        with pytest.raises(YamlRefused, match="nested deeper than"):
            load_yaml(deep)


@pytest.mark.parametrize(
    "text", ["a: " + "1" * 5000, "a: 2001-13-45", "a: 2001-02-30", "key: [unclosed"]
)
def test_values_python_cannot_hold_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(YamlRefused) as refused:
        load_yaml(text)
    assert refused.value.reason  # a ValueError or a parser error, as one kind of refusal


def test_a_frontmatter_bomb_is_a_problem_and_the_body_still_reads() -> None:
    text = f"---\n{BOMB}---\n# Title\n\nbody\n"
    frontmatter = read_frontmatter(split_lines(text))
    assert frontmatter.error == "invalid YAML frontmatter (line 3): YAML aliases are not supported"
    assert frontmatter.end == BOMB.count("\n") + 2 and frontmatter.data == {}


def _workspace(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    (root / "vars.yaml").write_text(BOMB)
    (root / "bomb.md").write_text(f"---\n{BOMB}---\n# Title\n\nHello, counted anyway.\n")
    (root / "vars.md").write_text("---\ntokenls:\n  variables_file: vars.yaml\n---\nHi {{ a }}\n")
    return root


def test_both_bombs_are_findings_and_the_documents_still_count(tmp_path: Path, capfd) -> None:
    root = _workspace(tmp_path / "ws")
    (root / "tokenls.toml").write_text('variables_file = "vars.yaml"\n')
    prompts = [str(root / "bomb.md"), str(root / "vars.md")]
    assert main(["count", "--json", *prompts]) == 0
    files = {Path(f["path"]).name: f for f in json.loads(capfd.readouterr().out)["files"]}
    assert files["bomb.md"]["tokens"] == truth((root / "bomb.md").read_text(), "o200k_base")
    assert files["vars.md"]["tokens"] == truth((root / "vars.md").read_text(), "o200k_base")
    assert main(["check", *prompts]) == 0
    shown = "".join(capfd.readouterr())
    assert "bomb.md:1:1: warning: invalid YAML frontmatter (line 3): YAML aliases" in shown
    assert "variables file: vars.yaml (line 2): YAML aliases are not supported" in shown
