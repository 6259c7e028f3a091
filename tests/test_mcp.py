"""``tokenls mcp``: the agent tools in process (``mcp.Client``) and as a real stdio server.

Counts are checked against tiktoken, compressed logs against the lines a person marked in
``tests/fixtures/logs/expected.json``, budget findings against ``tokenls check``'s own JSON,
and the wire format against the MCP spec (newline-delimited JSON-RPC 2.0 on stdio).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import mcp
import pytest

from tests.conftest import truth
from tests.logs import FIXTURES
from tokenls.cli.main import main
from tokenls.mcp.server import build_server

EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
MAVEN = EXPECTED["maven-fail.log"]
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TOOLS = {"count_tokens", "check_budget", "compress_log", "explain_tokens", "read_within_budget"}
RULES = "Always run the tests before you commit. Never push to main directly.\n"
PROMPT = "# Review\n\nFollow #file:rules.md when you review.\n\n## Output\n\nA list of findings.\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "prompts").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "rules.md").write_text(RULES)
    (root / "prompts" / "review.md").write_text(PROMPT.replace("rules.md", "../rules.md"))
    (root / "CLAUDE.md").write_text(PROMPT)
    shutil.copy(FIXTURES / "maven-fail.log", root / "build.log")
    shutil.copy(FIXTURES / "maven-pass.log", root / "pass.log")
    (tmp_path / "secret.md").write_text("a secret outside the workspace\n")
    return root


async def _call(root: Path, tool: str, arguments: dict[str, Any]) -> mcp.types.CallToolResult:
    async with mcp.Client(build_server(root)) as client:
        return await client.call_tool(tool, arguments)


async def _ok(root: Path, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await _call(root, tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def _error(root: Path, tool: str, arguments: dict[str, Any]) -> str:
    result = await _call(root, tool, arguments)
    assert result.is_error
    return result.content[0].text  # type: ignore[union-attr]


def _kept(text: str, lines: list[str]) -> list[str]:
    """The lines of ``lines`` missing from ``text`` (colour codes and edges ignored)."""
    shown = {line.strip() for line in text.splitlines()}
    return [line for line in lines if _ANSI.sub("", line).strip() not in shown]


async def test_every_tool_is_listed_read_only_with_input_and_output_schemas(
    workspace: Path,
) -> None:
    async with mcp.Client(build_server(workspace)) as client:
        listed = (await client.list_tools()).tools
    assert {tool.name for tool in listed} == TOOLS
    for tool in listed:
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert tool.annotations.destructive_hint is False
        assert tool.input_schema["type"] == "object" and tool.input_schema["properties"]
        assert tool.output_schema is not None and tool.output_schema["properties"]
        assert tool.description


async def test_a_counted_prompt_with_a_reference_equals_tiktoken_on_both_texts(
    workspace: Path, encoding: str
) -> None:
    report = await _ok(workspace, "count_tokens", {"paths": ["CLAUDE.md"], "encoding": encoding})
    [entry] = report["files"]
    assert entry["path"] == "CLAUDE.md" and entry["exact"] is True
    assert entry["own_tokens"] == truth(PROMPT, encoding)
    assert entry["tokens"] == truth(PROMPT, encoding) + truth(RULES, encoding)
    assert report["total"] == entry["tokens"] and report["encoding"] == encoding
    [ref] = entry["references"]
    assert ref["target"] == "rules.md" and ref["tokens"] == truth(RULES, encoding)
    assert report["unresolved"] == []


async def test_a_model_picks_its_tokenizer_and_a_directory_counts_each_text_once(
    workspace: Path,
) -> None:
    report = await _ok(workspace, "count_tokens", {"paths": ["."], "model": "gpt-4"})
    assert report["encoding"] == "cl100k_base"  # gpt-4's tokenizer (models.toml)
    files = {f["path"]: f for f in report["files"]}
    assert set(files) == {"CLAUDE.md", "build.log", "pass.log", "prompts/review.md", "rules.md"}
    texts = [PROMPT, PROMPT.replace("rules.md", "../rules.md"), RULES]
    texts += [(FIXTURES / n).read_text() for n in ("maven-fail.log", "maven-pass.log")]
    # rules.md is one of the counted files: the prompts referencing it do not add it again
    assert report["total"] == sum(truth(t, "cl100k_base") for t in texts)


async def test_unresolved_references_are_listed_with_the_reason(workspace: Path) -> None:
    (workspace / "p.md").write_text("#file:missing.md and #file:../secret.md\n")
    report = await _ok(workspace, "count_tokens", {"paths": ["p.md"]})
    reasons = {u["target"]: u["error"] for u in report["unresolved"]}
    assert "file not found" in reasons["missing.md"]
    assert "outside the workspace" in reasons["../secret.md"]
    assert report["files"][0]["tokens"] == truth(
        "#file:missing.md and #file:../secret.md\n", "o200k_base"
    )


async def test_a_claude_model_is_counted_by_anthropics_endpoint_as_the_command_line_does(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.anthropic_standin import CountTokensStandIn, answer_for

    key, model = "sk-ant-test-mcp-5d1e", "claude-sonnet-4-5"
    with CountTokensStandIn(key) as standin:
        monkeypatch.setenv("ANTHROPIC_API_KEY", key)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.base_url)
        report = await _ok(workspace, "count_tokens", {"paths": ["rules.md"], "model": model})
        monkeypatch.chdir(workspace)
        assert main(["count", "--json", "--model", model, "rules.md"]) == 0
    cli = json.loads(capsys.readouterr().out)
    [entry] = report["files"]
    assert report["model"] == model and entry["exact"] is True
    assert entry["tokens"] == answer_for(RULES) == cli["files"][0]["tokens"]


async def test_a_workspace_counting_with_a_tokenizer_file_compresses_with_tiktoken(
    workspace: Path,
) -> None:
    pytest.importorskip("tokenizers")
    (workspace / "tokenls.toml").write_text('encoding = "deepseek-v4"\n')
    budget = MAVEN["budget"]
    result = await _ok(workspace, "compress_log", {"path": "build.log", "budget": budget})
    assert truth(result["text"], "o200k_base") <= budget
    assert _kept(result["text"], MAVEN["must_keep"]) == []
    read = await _ok(workspace, "read_within_budget", {"path": "rules.md", "budget": 100})
    assert read["view"] == "whole" and read["tokens"] == truth(RULES, "o200k_base")


async def test_check_budget_gives_the_findings_of_tokenls_check(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "tokenls.toml").write_text("budget = 30\n")
    report = await _ok(workspace, "check_budget", {"paths": ["."]})
    monkeypatch.chdir(workspace)
    assert main(["check", "--format", "json", "."]) == 1
    cli = json.loads(capsys.readouterr().out)
    assert report == {k: cli[k] for k in ("checked", "over_budget", "without_budget", "findings")}
    over = [f for f in report["findings"] if f["severity"] == "error"]
    assert {f["path"] for f in over} == {"CLAUDE.md", "prompts/review.md"}
    total = truth(PROMPT, "o200k_base") + truth(RULES, "o200k_base")
    claude = next(f for f in over if f["path"] == "CLAUDE.md")
    assert claude["message"].startswith(f"{total:,} / 30 tokens")
    assert {
        "kind": "reference",
        "label": "rules.md",
        "line": 3,
        "tokens": truth(RULES, "o200k_base"),
    } in claude["contributors"]


async def test_a_compressed_real_log_fits_its_budget_and_keeps_its_failure(
    workspace: Path,
) -> None:
    budget = MAVEN["budget"]
    result = await _ok(workspace, "compress_log", {"path": "build.log", "budget": budget})
    assert truth(result["text"], "o200k_base") == result["output_tokens"] <= budget
    assert not _kept(result["text"], MAVEN["must_keep"])
    assert result["input_tokens"] == truth((FIXTURES / "maven-fail.log").read_text(), "o200k_base")
    assert result["dropped_lines"] > 0 and result["unchanged"] is False


async def test_a_log_given_as_text_with_a_passing_baseline_keeps_its_failure(
    workspace: Path,
) -> None:
    text = (FIXTURES / "maven-fail.log").read_text()
    arguments = {"text": text, "budget": 400, "baseline": "pass.log"}
    result = await _ok(workspace, "compress_log", arguments)
    assert truth(result["text"], "o200k_base") <= 400
    assert "expected: <36.29 EUR> but was: <32.69 EUR>" in result["text"]


async def test_explain_tokens_shows_sections_references_and_contributors(
    workspace: Path,
) -> None:
    result = await _ok(workspace, "explain_tokens", {"path": "CLAUDE.md"})
    rules = truth(RULES, "o200k_base")
    assert result["tokens"] == truth(PROMPT, "o200k_base") + rules
    output = "## Output\n\nA list of findings.\n"
    assert result["sections"] == [
        {"heading": "# Review", "level": 1, "line": 1, "tokens": result["tokens"]},
        {"heading": "## Output", "level": 2, "line": 5, "tokens": truth(output, "o200k_base")},
    ]
    assert [r["target"] for r in result["references"]] == ["rules.md"]
    labels = {(c["kind"], c["label"]): c["tokens"] for c in result["contributors"]}
    assert labels[("reference", "rules.md")] == rules
    assert labels[("section", "## Output")] == truth(output, "o200k_base")


async def test_read_within_budget_returns_a_file_that_fits_whole(workspace: Path) -> None:
    result = await _ok(workspace, "read_within_budget", {"path": "rules.md", "budget": 100})
    assert result["view"] == "whole" and result["text"] == RULES
    assert result["tokens"] == result["file_tokens"] == truth(RULES, "o200k_base")
    assert result["left_out"] == "" and result["omitted"] == []


async def test_read_within_budget_compresses_a_log_that_does_not_fit(workspace: Path) -> None:
    result = await _ok(workspace, "read_within_budget", {"path": "build.log", "budget": 800})
    assert result["view"] == "compressed" and "left out" in result["left_out"]
    assert truth(result["text"], "o200k_base") <= 800
    assert not _kept(result["text"], MAVEN["must_keep"])


async def test_read_within_budget_outlines_a_long_document(workspace: Path) -> None:
    chapters = [
        f"## Chapter {n}\n\n" + f"Paragraph {n} goes on and on. " * 60 + "\n\n" for n in range(12)
    ]
    text = "# Handbook\n\n" + "".join(chapters)
    (workspace / "handbook.md").write_text(text)
    result = await _ok(workspace, "read_within_budget", {"path": "handbook.md", "budget": 300})
    assert result["view"] == "outline" and result["file_tokens"] == truth(text, "o200k_base")
    assert truth(result["text"], "o200k_base") == result["tokens"] <= 300
    for n in range(12):
        assert f"## Chapter {n}\n" in result["text"]
    lines = text.splitlines(keepends=True)
    for gap in result["omitted"]:
        left_out = "".join(lines[gap["start_line"] - 1 : gap["end_line"]])
        assert gap["tokens"] == truth(left_out, "o200k_base")
        count = gap["end_line"] - gap["start_line"] + 1
        assert f"[… {count:,} line{'s' if count > 1 else ''} not shown]" in result["text"]


async def test_read_within_budget_keeps_a_prompt_a_prompt_and_compresses_its_pasted_log(
    workspace: Path,
) -> None:
    """A prompt pasting a real log reads as a log to a sniffer; its headings and its
    instructions stay whole, and only the log inside it is compressed, in place."""
    log = (FIXTURES / "pytest-fail.log").read_text()
    head = "# Triage\n\nFind why CI fails. Quote the failing test and the line at fault.\n\n"
    tail = "\n## Answer\n\nOne paragraph per failure; then the fix as a diff.\n"
    text = f"{head}## Log\n\n```\n{log}```\n{tail}"
    (workspace / "triage.md").write_text(text)
    budget = EXPECTED["pytest-fail.log"]["budget"] + truth(head + tail, "o200k_base") + 40
    result = await _ok(workspace, "read_within_budget", {"path": "triage.md", "budget": budget})
    assert result["view"] == "prompt" and result["file_tokens"] == truth(text, "o200k_base")
    assert truth(result["text"], "o200k_base") == result["tokens"] <= budget
    shown = result["text"]
    assert shown.startswith(f"{head}## Log\n\n```\n") and shown.endswith(f"```\n{tail}")
    assert not _kept(shown, EXPECTED["pytest-fail.log"]["must_keep"])
    assert "compressed in place" in result["left_out"] and result["omitted"] == []


async def test_a_file_over_the_size_limit_is_refused_unless_it_is_a_log(workspace: Path) -> None:
    (workspace / "tokenls.toml").write_text("[files]\nmax_bytes = 1000\n")
    (workspace / "big.md").write_text("# Big\n\n" + "words " * 400)
    message = await _error(workspace, "read_within_budget", {"path": "big.md", "budget": 100})
    assert "over the 1,000-byte limit" in message
    assert "over the 1,000-byte limit" in await _error(
        workspace, "explain_tokens", {"path": "big.md"}
    )
    # a log streams through the compressor whatever its size
    result = await _ok(workspace, "read_within_budget", {"path": "build.log", "budget": 800})
    assert result["view"] == "compressed" and truth(result["text"], "o200k_base") <= 800


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("read_within_budget", {"path": "../../etc/passwd", "budget": 100}),
        ("read_within_budget", {"path": "/etc/passwd", "budget": 100}),
        ("explain_tokens", {"path": "../secret.md"}),
        ("count_tokens", {"paths": ["prompts/../../secret.md"]}),
        ("check_budget", {"paths": [".."]}),
        ("compress_log", {"path": "/etc/hostname", "budget": 100}),
        ("compress_log", {"path": "build.log", "budget": 100, "baseline": "../secret.md"}),
    ],
)
async def test_paths_outside_the_workspace_are_tool_errors(
    workspace: Path, tool: str, arguments: dict[str, Any]
) -> None:
    assert "outside the workspace" in await _error(workspace, tool, arguments)


async def test_a_symlink_pointing_out_is_refused_and_skipped_in_walks(workspace: Path) -> None:
    (workspace / "prompts" / "leak.md").symlink_to(workspace.parent / "secret.md")
    message = await _error(
        workspace, "read_within_budget", {"path": "prompts/leak.md", "budget": 50}
    )
    assert "outside the workspace" in message
    report = await _ok(workspace, "count_tokens", {"paths": ["prompts"]})
    assert [f["path"] for f in report["files"]] == ["prompts/review.md"]
    assert report["errors"] == [
        {"path": "prompts/leak.md", "error": "resolves outside the workspace"}
    ]


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("compress_log", {"path": "build.log", "budget": 10}, "below the minimum of 32"),
        ("compress_log", {"budget": 100}, '"path" (a log file'),
        ("compress_log", {"path": "build.log", "text": "x", "budget": 100}, "not both"),
        ("count_tokens", {"paths": ["rules.md"], "model": "no-such-model-xyz"}, "unknown model"),
        ("count_tokens", {"paths": ["rules.md"], "encoding": "p50k_base"}, "not available offline"),
        ("check_budget", {"paths": ["rules.md"], "model": "no-such-model-xyz"}, "unknown model"),
        ("explain_tokens", {"path": "missing.md"}, "file not found"),
        ("explain_tokens", {"path": "prompts"}, "not a file"),
        ("read_within_budget", {"path": "blob.bin", "budget": 100}, "binary file"),
    ],
)
async def test_bad_requests_are_tool_errors_that_say_why(
    workspace: Path, tool: str, arguments: dict[str, Any], message: str
) -> None:
    (workspace / "blob.bin").write_bytes(b"\x00\x01binary")
    assert message in await _error(workspace, tool, arguments)


async def test_a_broken_config_is_a_tool_error_naming_the_key(workspace: Path) -> None:
    (workspace / "tokenls.toml").write_text("budjet = 10\n")
    message = await _error(workspace, "check_budget", {"paths": ["CLAUDE.md"]})
    assert "budjet" in message and "did you mean 'budget'" in message


class _StdioClient:
    """A bare MCP client: newline-delimited JSON-RPC 2.0 over a real process's stdio."""

    def __init__(self, root: Path, cwd: Path) -> None:
        command = [sys.executable, "-m", "tokenls", "mcp", "--root", str(root)]
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.next_id = 0

    def initialize(self) -> dict[str, Any]:
        """The MCP handshake: ``initialize``, then the ``initialized`` notification."""
        result = self.request(
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "tokenls-tests", "version": "1"},
            },
        )
        self.notify("notifications/initialized")
        return result

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, **({"params": params} if params else {})})

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        self._send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        assert self.process.stdout is not None
        while True:
            line = self.process.stdout.readline()
            assert line, f"the server closed its output: {self.stderr()}"
            message = json.loads(line)  # stdout carries nothing but protocol messages
            assert message["jsonrpc"] == "2.0"
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return message["result"]

    def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return self.request("tools/call", {"name": tool, "arguments": arguments})

    def answer_to(self, line: str, msg_id: Any) -> dict[str, Any]:
        """Send ``line`` as it is and return the message answering ``msg_id``."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        while True:
            reply = self.process.stdout.readline()
            assert reply, f"the server closed its output: {self.stderr()}"
            message = json.loads(reply)
            if message.get("id") == msg_id:
                return message

    def close(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()

    def stderr(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.read() if self.process.poll() is not None else ""

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()


@pytest.mark.e2e
def test_a_real_tokenls_mcp_process_serves_every_tool_over_stdio(
    workspace: Path, tmp_path: Path
) -> None:
    client = _StdioClient(workspace, cwd=tmp_path)  # the root comes from --root, not the cwd
    try:
        init = client.initialize()
        assert init["serverInfo"]["name"] == "tokenls" and "tools" in init["capabilities"]
        listed = client.request("tools/list", {})["tools"]
        assert {tool["name"] for tool in listed} == TOOLS
        assert all(tool["annotations"]["readOnlyHint"] for tool in listed)
        assert all(tool["outputSchema"]["type"] == "object" for tool in listed)

        count = client.call("count_tokens", {"paths": ["CLAUDE.md"]})
        assert not count["isError"]
        both = truth(PROMPT, "o200k_base") + truth(RULES, "o200k_base")
        assert count["structuredContent"]["total"] == both
        assert json.loads(count["content"][0]["text"])["total"] == both

        escape = client.call("read_within_budget", {"path": "../../etc/passwd", "budget": 100})
        assert escape["isError"] is True
        assert "outside the workspace" in escape["content"][0]["text"]
        assert "root:" not in json.dumps(escape)

        check = client.call("check_budget", {"paths": ["."]})
        assert check["structuredContent"]["checked"] == 3  # the Markdown files; logs are no prompts
        squeezed = client.call("compress_log", {"path": "build.log", "budget": MAVEN["budget"]})
        text = squeezed["structuredContent"]["text"]
        assert truth(text, "o200k_base") <= MAVEN["budget"] and not _kept(text, MAVEN["must_keep"])
        explained = client.call("explain_tokens", {"path": "prompts/review.md"})
        assert explained["structuredContent"]["references"][0]["target"] == "rules.md"
        read = client.call("read_within_budget", {"path": "rules.md", "budget": 100})
        assert read["structuredContent"]["text"] == RULES
    finally:
        code = client.close()
    assert code == 0


def _bad_name(directory: Path) -> bool:
    """Create a file whose name is not UTF-8; False where the file system refuses one."""
    try:
        (Path(os.fsdecode(os.fsencode(directory) + b"/bad\xff.md"))).write_text("bad name\n")
    except OSError:
        return False
    return True


async def test_a_file_named_in_bytes_that_are_not_utf8_is_one_error_the_rest_still_count(
    workspace: Path,
) -> None:
    if not _bad_name(workspace / "prompts"):
        pytest.skip("this file system only takes UTF-8 names")
    report = await _ok(workspace, "count_tokens", {"paths": ["."]})
    assert {f["path"] for f in report["files"]} >= {"CLAUDE.md", "prompts/review.md"}
    [error] = report["errors"]
    assert error["path"] == "prompts/bad\\xff.md" and "not valid UTF-8" in error["error"]
    assert report["total"] == sum(
        truth((workspace / name).read_text(), "o200k_base")
        for name in ("CLAUDE.md", "prompts/review.md", "rules.md", "build.log", "pass.log")
    )
    checked = await _ok(workspace, "check_budget", {"paths": ["."]})
    assert checked["checked"] == 3 and checked["errors"] == report["errors"]


@pytest.mark.e2e
def test_every_request_over_stdio_is_answered_even_one_the_sdk_cannot_read(
    workspace: Path, tmp_path: Path
) -> None:
    named_badly = _bad_name(workspace)
    client = _StdioClient(workspace, cwd=tmp_path)
    call = '{"jsonrpc": "2.0", "id": %s, "method": "tools/call", "params": %s}'
    try:
        client.initialize()
        # A lone surrogate: valid JSON, but no Unicode text. The SDK used to drop it.
        surrogate = '{"name": "count_tokens", "arguments": {"paths": ["\\ud800"]}}'
        error = client.answer_to(call % (7, surrogate), 7)["error"]
        assert error["code"] == -32602
        assert "params.arguments.paths[0]" in error["message"]
        assert "lone surrogate (\\ud800)" in error["message"]
        # Not JSON at all: a parse error, with a null id (JSON-RPC cannot know the id).
        broken = client.answer_to('{"jsonrpc": "2.0", "id": 8, "method": "tools/call", ', None)
        assert broken["error"]["code"] == -32700 and "not valid JSON" in broken["error"]["message"]
        # JSON of the wrong shape: answered by its id.
        shape = client.answer_to('{"jsonrpc": "2.0", "id": 9, "method": 5}', 9)["error"]
        assert shape["code"] == -32600 and "not a valid JSON-RPC 2.0 request" in shape["message"]
        # A notification is never answered, even an unreadable one; the next request is.
        client.notify("notifications/cancelled", {"requestId": 1, "reason": "\ud800"})
        count = client.call("count_tokens", {"paths": ["."]})
        assert not count["isError"] and count["structuredContent"]["files_counted"] == 5
        if named_badly:
            [error] = count["structuredContent"]["errors"]
            assert error["path"] == "bad\\xff.md" and "not valid UTF-8" in error["error"]
    finally:
        code = client.close()
    assert code == 0


@pytest.mark.e2e
def test_without_the_sdk_tokenls_mcp_says_which_pip_command_installs_it(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\nsys.modules['mcp'] = None  # as if the extra were not installed\n"
    )
    env = {**os.environ, "PYTHONPATH": str(blocker)}
    done = subprocess.run(
        [sys.executable, "-m", "tokenls", "mcp"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "pip install 'tokenls[mcp]'" in done.stderr


def test_the_command_line_does_not_load_the_sdk(tmp_path: Path) -> None:
    code = "import sys, tokenls.cli.main; sys.exit('mcp' in sys.modules or 'pydantic' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=tmp_path, timeout=60).returncode == 0
