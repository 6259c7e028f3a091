"""A tool's argument errors are one plain sentence: the argument, what it takes, what came.

In process through ``mcp.Client`` (as the SDK's clients call tools) and over a real
``tokenls mcp`` process's stdio.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mcp
import pytest

from tests.test_mcp import _StdioClient
from tokenls.mcp.server import build_server

PATHS = "a list of one or more strings (files or directories, relative to the workspace root)"
BUDGET = "a whole number (tokens; at least 32)"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "build.log").write_text("step 1\nERROR: it broke\n")
    (tmp_path / "p.md").write_text("# Prompt\n\nSay hello.\n")
    return tmp_path


async def _message(root: Path, tool: str, arguments: dict[str, Any]) -> str:
    async with mcp.Client(build_server(root)) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    [content] = result.content
    return content.text  # type: ignore[union-attr]


def _plain(message: str) -> None:
    """One sentence: no validator vocabulary, documentation link or stack."""
    assert "\n" not in message and message.endswith(".")
    for noise in ("pydantic", "http", "validation error", "type=", "input_value", "Traceback"):
        assert noise not in message, message


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        (
            "compress_log",
            {"budget": 100},
            'compress_log: give argument "path" (a log file, relative to the workspace root) '
            'or "text" (the log itself); neither was given.',
        ),
        (
            "compress_log",
            {"path": "build.log", "text": "x", "budget": 100},
            'compress_log: give argument "path" (a log file, relative to the workspace root) '
            'or "text" (the log itself); not both.',
        ),
        (
            "compress_log",
            {"path": "build.log", "budget": "many"},
            f'compress_log: argument "budget" must be {BUDGET}, not the string "many".',
        ),
        (
            "compress_log",
            {"path": "build.log"},
            f'compress_log: argument "budget" is required: {BUDGET}.',
        ),
        (
            "compress_log",
            {"text": 42, "budget": 100},
            'compress_log: argument "text" must be a string (the log itself, instead of path), '
            "not the number 42.",
        ),
        (
            "read_within_budget",
            {"path": "p.md", "budget": 1.5},
            f'read_within_budget: argument "budget" must be {BUDGET}, not the number 1.5.',
        ),
        (
            "read_within_budget",
            {"path": "p.md", "budget": -3},
            f'read_within_budget: argument "budget" must be {BUDGET}, not the number -3.',
        ),
        (
            "count_tokens",
            {"paths": "p.md"},
            f'count_tokens: argument "paths" must be {PATHS}, not the string "p.md".',
        ),
        (
            "count_tokens",
            {"paths": []},
            f'count_tokens: argument "paths" must be {PATHS}, not an empty list.',
        ),
        ("count_tokens", {}, f'count_tokens: argument "paths" is required: {PATHS}.'),
        (
            "check_budget",
            {"paths": ["p.md", 7, None]},
            'check_budget: argument "paths[1]" must be a string (files or directories, relative '
            "to the workspace root), not the number 7 (and 1 more argument error).",
        ),
        (
            "explain_tokens",
            {"path": ["p.md"]},
            'explain_tokens: argument "path" must be a string (a file, relative to the workspace '
            "root), not a list of 1 item.",
        ),
    ],
)
async def test_argument_errors_are_one_plain_sentence(
    root: Path, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    message = await _message(root, tool, arguments)
    assert message == expected
    _plain(message)


async def test_a_long_text_of_the_wrong_type_is_described_not_echoed(root: Path) -> None:
    message = await _message(root, "read_within_budget", {"path": "p.md", "budget": "ten " * 125})
    assert message == (
        'read_within_budget: argument "budget" must be a whole number (tokens; at least 32), '
        "not a string of 500 characters."
    )


@pytest.mark.e2e
def test_argument_errors_over_a_real_stdio_process(root: Path, tmp_path: Path) -> None:
    client = _StdioClient(root, cwd=tmp_path)
    try:
        client.initialize()
        neither = client.call("compress_log", {"budget": 100})
        wrong = client.call("count_tokens", {"paths": "p.md"})
        fine = client.call("count_tokens", {"paths": ["p.md"]})  # the server keeps serving
    finally:
        code = client.close()
        stderr = client.stderr()
    assert neither["isError"] and wrong["isError"] and not fine["isError"]
    [neither_text] = [c["text"] for c in neither["content"]]
    [wrong_text] = [c["text"] for c in wrong["content"]]
    assert "neither was given" in neither_text and "not both" not in neither_text
    assert wrong_text == f'count_tokens: argument "paths" must be {PATHS}, not the string "p.md".'
    _plain(neither_text)
    _plain(wrong_text)
    assert code == 0 and "Traceback" not in stderr
