"""File names are untrusted input: every output format writes any name, and none lets a
name drive the terminal, forge a line or a workflow command, or break the document."""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import truth
from tests.test_cli_io import _on_a_terminal
from tokenls.output.escaping import quote_name, workflow_data, workflow_property

TOKENLS = [sys.executable, "-m", "tokenls"]
HOSTILE = {
    "escape": "a\x1b[31mred.md",
    "bell": "ding\x07.md",
    "newline": "new\nline.md",
    "return": "car\rriage.md",
    "injection": "x\n::error file=evil.md::pwned.md",
    "override": "rlo\u202egnp.md",
    "not utf-8": os.fsdecode(b"bad\xff.md"),
    "quote": 'say "hi".md',
    "runner syntax": "50%,of:all%0A.md",
    "plain": "café notes.md",
}
# Bytes a terminal acts on: C0 controls but the line feed, DEL, and U+202E in UTF-8.
_CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xe2\x80\xae")


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A folder of prompts with hostile names, each over its budget of 5 tokens."""
    (tmp_path / "tokenls.toml").write_text("budget = 5\n")
    for index, name in enumerate(HOSTILE.values()):
        (tmp_path / name).write_text(f"prompt number {index} is well over five tokens\n")
    return tmp_path


def _run(cwd: Path, *args: str, strict: bool = False) -> subprocess.CompletedProcess[bytes]:
    """tokenls in a real process; ``strict``: standard output refuses what is not UTF-8,
    as it does under a UTF-8 locale other than C.UTF-8."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PYTHONIOENCODING")}
    if strict:
        env["PYTHONIOENCODING"] = "utf-8:strict"
    return subprocess.run([*TOKENLS, *args], cwd=cwd, capture_output=True, env=env, timeout=120)


def _unquoted(shown: str) -> bytes:
    """The bytes a git-quoted name stands for (``shown`` itself when not quoted)."""
    if not shown.startswith('"'):
        return os.fsencode(shown)
    return codecs.escape_decode(shown[1:-1].encode())[0]


# -- the terminal ----------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_names_are_quoted_as_git_quotes_them(tmp_path: Path) -> None:
    """git is the oracle: with ``core.quotePath`` on it quotes every byte over 0x7f, so it
    is asked for names whose only non-ASCII characters are unsafe; with it off, for the
    names that must stay as they are."""
    unsafe = ["a\x1b[1m", "tab\there", "del\x7f", 'q"uote', "back\\slash", "c1\u009b", "bidi\u202e"]
    unsafe += ["new\nline", "bell\x07", "vt\x0b", os.fsdecode(b"bad\xff")]
    safe = ["plain.md", "café", "日本語.md", "with space", "emoji 👍"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name in [*unsafe, *safe]:
        (tmp_path / name).write_text("x\n")

    def listed(quote_path: str) -> set[str]:
        out = subprocess.run(
            ["git", "-c", f"core.quotePath={quote_path}", "ls-files", "-o"],
            cwd=tmp_path,
            capture_output=True,
            check=True,
        ).stdout
        return set(os.fsdecode(out).splitlines())

    assert {quote_name(name) for name in unsafe} <= listed("true")
    assert {quote_name(name) for name in safe} == set(safe) <= listed("false")
    assert all(quote_name(n) != n and _unquoted(quote_name(n)) == os.fsencode(n) for n in unsafe)


@pytest.mark.parametrize(
    "args",
    [
        ["count", "."],
        ["count", "--tree", "."],
        ["count", "--compare", "."],
        ["count", "--top", "20", "."],
        ["check", "."],
    ],
)
def test_text_output_shows_every_name_quoted_and_no_control_character(
    hostile: Path, args: list[str]
) -> None:
    result = _run(hostile, *args, strict=True)
    assert result.returncode == (1 if args[0] == "check" else 0), result.stderr
    for stream in (result.stdout, result.stderr):
        assert _CONTROL.search(stream) is None, stream
        stream.decode("utf-8")  # valid UTF-8, whatever the names held
    lines = result.stdout.decode().splitlines()
    for name in HOSTILE.values():
        assert len([line for line in lines if quote_name(name) in line]) == 1, name
        assert _unquoted(quote_name(name)) == os.fsencode(name)
    assert quote_name(HOSTILE["plain"]) == HOSTILE["plain"]  # nothing to hide: as it is
    if args == ["count", "."]:  # one line per file and the total: no name forged a line
        assert len(lines) == len(HOSTILE) + 2


def test_errors_and_notes_quote_names(tmp_path: Path) -> None:
    (tmp_path / "bin\x1b]0;title\x07.md").write_bytes(b"\0binary")
    (tmp_path / "ok.md").write_text("fine\n")
    count = _run(tmp_path, "count", ".")
    assert count.returncode == 0
    assert 'binary file skipped ("bin\\033]0;title\\a.md")' in count.stderr.decode()
    missing = _run(tmp_path, "check", "gone\x1b[2J.md")
    assert missing.returncode == 2
    assert missing.stderr.decode() == 'tokenls: "gone\\033[2J.md": no such file or directory\n'
    compress = _run(tmp_path, "compress", "bin\x1b]0;title\x07.md")
    assert compress.returncode == 2 and _CONTROL.search(compress.stderr) is None
    assert compress.stderr.decode().startswith('tokenls: "bin\\033]0;title\\a.md": binary input')


# -- JSON ------------------------------------------------------------------------------------


def test_json_keeps_names_exact_and_marks_those_not_utf8(hostile: Path) -> None:
    count = _run(hostile, "count", "--json", ".", strict=True)
    check = _run(hostile, "check", "--format", "json", ".", strict=True)
    assert count.returncode == 0 and check.returncode == 1, count.stderr + check.stderr
    files = json.loads(count.stdout.decode("utf-8"))["files"]
    findings = json.loads(check.stdout.decode("utf-8"))["findings"]
    for entries in (files, findings):
        exact = {e["path"] for e in entries if not e.get("path_quoted")}
        assert {n for n in HOSTILE.values() if n != HOSTILE["not utf-8"]} <= exact
        [quoted] = [e for e in entries if e.get("path_quoted")]
        assert quoted["path"] == '"bad\\377.md"' and _unquoted(quoted["path"]) == b"bad\xff.md"
    tokens = {e["path"]: e["tokens"] for e in files}
    assert tokens[HOSTILE["escape"]] == truth(
        (hostile / HOSTILE["escape"]).read_text(), "o200k_base"
    )


def test_json_errors_name_a_missing_path_that_is_not_utf8(tmp_path: Path) -> None:
    result = _run(tmp_path, "count", "--json", os.fsdecode(b"gone\xfe.md"), strict=True)
    assert result.returncode == 2
    [error] = json.loads(result.stdout.decode("utf-8"))["errors"]
    assert error == {
        "path": '"gone\\376.md"',
        "path_quoted": True,
        "error": "no such file or directory",
    }


# -- GitHub workflow commands ----------------------------------------------------------------

_UNESCAPE_DATA = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_UNESCAPE_PROPERTY = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))


def _runner_parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the Actions runner parses one (``ActionCommand.TryParseV2``)."""
    assert line.startswith("::")
    end = line.index("::", 2)
    name, _, listed = line[2:end].partition(" ")
    properties = {}
    for pair in listed.strip().split(","):
        key, value = pair.split("=", 1)
        for escaped, token in _UNESCAPE_PROPERTY:
            value = value.replace(escaped, token)
        properties[key] = value
    data = line[end + 2 :]
    for escaped, token in _UNESCAPE_DATA:
        data = data.replace(escaped, token)
    return name, properties, data


def test_github_annotations_are_one_command_per_finding_and_round_trip(hostile: Path) -> None:
    result = _run(hostile, "check", "--format", "github", ".", strict=True)
    findings = json.loads(_run(hostile, "check", "--format", "json", ".").stdout)["findings"]
    assert result.returncode == 1
    assert b"\r" not in result.stdout  # the runner splits lines on CR too
    lines = result.stdout.decode("utf-8").split("\n")
    assert lines.pop() == "" and len(lines) == len(findings) == len(HOSTILE)
    parsed = [_runner_parse(line) for line in lines]
    assert {name for name, _, _ in parsed} == {"error"}
    files = {properties["file"] for _, properties, _ in parsed}
    expected = {n for n in HOSTILE.values() if n != HOSTILE["not utf-8"]} | {'"bad\\377.md"'}
    assert files == expected
    assert all("over budget" in data and p["title"] == "tokenls budget" for _, p, data in parsed)


@pytest.mark.parametrize("text", ["%0A", "a%25b", "x\r\ny", "50%,of:all", "::error::", ""])
def test_workflow_escapes_round_trip_through_the_runner(text: str) -> None:
    _, properties, data = _runner_parse(
        f"::error file={workflow_property(text)}::{workflow_data(text)}"
    )
    assert data == text
    if text:  # the runner drops an empty property
        assert properties["file"] == text


def test_colour_output_on_a_terminal_quotes_names_too(hostile: Path) -> None:
    """The coloured path (rich, on a terminal) shows the same quoted names."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["TERM"] = "xterm-256color"
    shown = _on_a_terminal(["count", "."], env, hostile)
    assert b"\x1b[" in shown  # coloured: rich's own sequences
    assert b'"a\\033[31mred.md"' in shown and b"a\x1b[31mred" not in shown
    assert b"\x07" not in shown and b"\xe2\x80\xae" not in shown
