"""One prompt, every surface, every way of naming a model or an encoding: the same numbers.

Each way — a frontmatter ``model:`` or ``tokenls.encoding``, a config ``model`` or
``encoding``, ``--model``, ``--encoding``, and where they meet — is set up in a workspace;
``tokenls count``/``check``, the MCP tools and the real language server (over stdio:
``tokenls/documentTokens``, hover, diagnostics) then count the same prompt. Every figure is
checked against tiktoken itself (``truth``) and the surfaces against each other. The
language server has no command line options: where a way has an editor-settings twin
(``model``/``encoding`` in the settings) it is driven with that, else it is left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mcp
import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.conftest import truth
from tests.e2e.lsp_helpers import SERVER, document_tokens, open_document, until
from tokenls.cli.main import main
from tokenls.mcp.server import build_server

RULES = "Always run the tests before you commit; never push to main directly. 東京 😀\n"
_PARAGRAPH = (
    "Review the change for correctness first: naïve caching, 東京 timezone bugs, and emoji "
    "😀 in names. def total(xs): return sum(x * 2 for x in xs)  # keep it short\n"
)
# About 10,000 tokens in either encoding: over gpt-4's 8,192-token window in both.
BODY = "# Task\n\nRead #file:rules.md before you start.\n\n" + "".join(
    f"{i}. {_PARAGRAPH}" for i in range(230)
)
CLAUDE_RATIO = 1.3


@dataclass(frozen=True)
class Way:
    """A way of naming the model or encoding, and what every surface must then use."""

    name: str
    encoding: str  # the tokenizer every surface counts with
    budget: int | None  # the budget in force, None when none is configured
    frontmatter: str = ""  # YAML lines of the prompt's frontmatter
    config: str = ""  # tokenls.toml
    options: tuple[str, ...] = ()  # count and check options
    arguments: dict[str, str] = field(default_factory=dict)  # the MCP tools'
    editor: dict[str, Any] | None = None  # the editor's twin of the way; None: it has none
    estimate: bool = False  # a Claude model without a key: o200k_base × 1.30
    named_alike: bool = True  # the budget's source reads the same on every surface
    plain: str = ""  # the tokenizer of a file without frontmatter, when not ``encoding``


WAYS = [
    Way("default", "o200k_base", None, editor={}),
    Way(
        "frontmatter model",
        "cl100k_base",
        8192,
        frontmatter="model: gpt-4",
        editor={},
        plain="o200k_base",
    ),
    Way(
        "frontmatter encoding",
        "cl100k_base",
        12000,
        frontmatter="tokenls:\n  encoding: cl100k_base\n  budget: 12000",
        editor={},
        plain="o200k_base",
    ),
    Way("config model", "cl100k_base", 8192, config='model = "gpt-4"\n', editor={}),
    Way(
        "config encoding",
        "cl100k_base",
        9000,
        config='encoding = "cl100k_base"\nbudget = 9000\n',
        editor={},
    ),
    Way(
        "--model",
        "cl100k_base",
        8192,
        options=("--model", "gpt-4"),
        arguments={"model": "gpt-4"},
        editor={"model": "gpt-4"},
        named_alike=False,
    ),
    Way(
        "--encoding",
        "cl100k_base",
        9000,
        config="budget = 9000\n",
        options=("--encoding", "cl100k_base"),
        arguments={"encoding": "cl100k_base"},
        editor={"encoding": "cl100k_base"},
    ),
    Way(
        "frontmatter model over config model",
        "o200k_base",
        128000,
        frontmatter="model: gpt-4o",
        config='model = "gpt-4"\n',
        editor={},
        plain="cl100k_base",
    ),
    Way(
        "--model over frontmatter model",
        "cl100k_base",
        8192,
        frontmatter="model: gpt-4o",
        options=("--model", "gpt-4"),
        arguments={"model": "gpt-4"},
    ),
    Way(
        "frontmatter encoding over --model's tokenizer",
        "o200k_base",
        8192,
        frontmatter="tokenls:\n  encoding: o200k_base",
        options=("--model", "gpt-4"),
        arguments={"model": "gpt-4"},
        plain="cl100k_base",
    ),
    Way(
        "--encoding over config model",
        "o200k_base",
        8192,
        config='model = "gpt-4"\n',
        options=("--encoding", "o200k_base"),
        arguments={"encoding": "o200k_base"},
    ),
    Way(
        "--model window over config budget",
        "cl100k_base",
        8192,
        config="budget = 100000\n",
        options=("--model", "gpt-4"),
        arguments={"model": "gpt-4"},
    ),
    Way(
        "claude estimate",
        "o200k_base",
        5000,
        frontmatter="tokenls:\n  budget: 5000",
        options=("--model", "claude-sonnet-4-5"),
        arguments={"model": "claude-sonnet-4-5"},
        editor={"model": "claude-sonnet-4-5"},
        estimate=True,
    ),
]
IDS = [way.name for way in WAYS]


def _workspace(root: Path, way: Way) -> str:
    """The workspace of a way; returns the prompt's text."""
    root.mkdir(parents=True, exist_ok=True)
    (root / ".git").mkdir(exist_ok=True)
    if way.config:
        (root / "tokenls.toml").write_text(way.config)
    (root / "rules.md").write_text(RULES)
    text = f"---\n{way.frontmatter}\n---\n{BODY}" if way.frontmatter else BODY
    (root / "p.md").write_text(text)
    return text


@dataclass(frozen=True)
class Expected:
    own: int
    reference: int  # rules.md as the prompt's tokenizer counts it
    rules_alone: int  # rules.md counted on its own (no frontmatter: the folder's choice)
    encoding: str
    rules_encoding: str
    exact: bool

    @property
    def total(self) -> int:
        """The prompt's total: its own text and the reference."""
        return self.own + self.reference

    @property
    def both(self) -> int:
        """The prompt and rules.md counted together: each text once, where "the same text"
        means counted alike (the same tokenizer)."""
        alike = self.rules_encoding == self.encoding
        return self.total if alike else self.total + self.rules_alone

    @property
    def label(self) -> str:
        return f"{'' if self.exact else '≈'}{self.total:,} tok"


def _expected(text: str, way: Way) -> Expected:
    """tiktoken's counts, scaled each on its own for an estimate (a reference is what the
    file it names counts alone)."""
    alone = way.plain or way.encoding
    own, rules = truth(text, way.encoding), truth(RULES, way.encoding)
    rules_alone = truth(RULES, alone)
    if way.estimate:
        own, rules = round(own * CLAUDE_RATIO), round(rules * CLAUDE_RATIO)
        rules_alone = round(rules_alone * CLAUDE_RATIO)
    return Expected(own, rules, rules_alone, way.encoding, alone, not way.estimate)


def _numbers(message: str) -> str:
    """A budget message without its source: ``10,593 / 8,192 tokens (129%): over ...``."""
    return message.rsplit(" (", 1)[0]


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(list(args))
    return code, json.loads(capsys.readouterr().out)


async def _tool(root: Path, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    async with mcp.Client(build_server(root)) as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


@dataclass
class Seen:
    """What the command line and the MCP tools said about the prompt."""

    budget_message: str | None
    severity: str | None
    exit_code: int


async def _command_line_and_tools(
    root: Path, text: str, way: Way, capsys: pytest.CaptureFixture[str]
) -> Seen:
    expected = _expected(text, way)

    # tokenls count: the prompt, and rules.md on its own (its row equals the reference).
    code, report = _cli(capsys, "count", "--json", *way.options, "p.md", "rules.md")
    assert code == 0
    files = {f["path"]: f for f in report["files"]}
    prompt, rules = files["p.md"], files["rules.md"]
    assert prompt["encoding"] == way.encoding
    assert rules["encoding"] == expected.rules_encoding
    assert prompt["own_tokens"] == expected.own
    assert prompt["tokens"] == expected.total and prompt["exact"] is expected.exact
    [ref] = prompt["references"]
    assert ref["tokens"] == expected.reference and rules["tokens"] == expected.rules_alone
    if expected.rules_encoding == way.encoding:  # a reference is what the file counts alone
        assert ref["tokens"] == rules["tokens"]
    assert report["total"] == expected.both  # rules.md counted alike is counted once
    assert report["total"] >= max(f["tokens"] for f in report["files"])
    # Without its references the prompt is still counted as its frontmatter says.
    code, own = _cli(capsys, "count", "--json", "--no-references", *way.options, "p.md")
    [alone] = own["files"]
    assert (alone["tokens"], alone["encoding"]) == (expected.own, way.encoding)

    # tokenls check --format json.
    code, checked = _cli(capsys, "check", "--format", "json", *way.options, "p.md")
    budget = [f for f in checked["findings"] if f["code"] == "budget"]
    assert checked["without_budget"] == (way.budget is None)
    message = budget[0]["message"] if budget else None
    severity = budget[0]["severity"] if budget else None
    if way.budget is None:
        assert not budget and code == 0
    elif expected.total / way.budget >= 0.6:
        mark = "" if expected.exact else "≈"
        assert message is not None
        assert message.startswith(f"{mark}{expected.total:,} / {way.budget:,} tokens")
        assert budget[0]["exact"] is expected.exact
        assert code == (1 if expected.total > way.budget else 0)
    else:
        assert not budget and code == 0

    # The MCP tools, with the way's arguments.
    counted = await _tool(root, "count_tokens", {"paths": ["p.md", "rules.md"], **way.arguments})
    assert [(f["path"], f["tokens"], f["encoding"]) for f in counted["files"]] == [
        (f["path"], f["tokens"], f["encoding"]) for f in report["files"]
    ]
    assert counted["total"] == report["total"]
    tool_check = await _tool(root, "check_budget", {"paths": ["p.md"], **way.arguments})
    assert tool_check["findings"] == checked["findings"]
    explained = await _tool(root, "explain_tokens", {"path": "p.md", **way.arguments})
    assert explained["tokens"] == expected.total and explained["encoding"] == way.encoding
    assert explained["budget"] == way.budget
    return Seen(message, severity, code)


@pytest.mark.parametrize("way", WAYS, ids=IDS)
async def test_the_command_line_and_the_mcp_tools_agree_with_tiktoken(
    way: Way, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    root = tmp_path / "ws"
    text = _workspace(root, way)
    monkeypatch.chdir(root)
    await _command_line_and_tools(root, text, way, capsys)


EDITOR_WAYS = [way for way in WAYS if way.editor is not None]


@pytest_lsp.fixture(
    params=EDITOR_WAYS,
    ids=[way.name for way in EDITOR_WAYS],
    config=ClientServerConfig(server_command=SERVER),
)
async def editor(request: pytest.FixtureRequest, lsp_client: LanguageClient, tmp_path: Path):
    way: Way = request.param
    root = tmp_path / "ws"
    lsp_client.way, lsp_client.root = way, root  # type: ignore[attr-defined]
    lsp_client.text = _workspace(root, way)  # type: ignore[attr-defined]

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(_params: types.RegistrationParams) -> None:
        return None

    params = types.InitializeParams(
        capabilities=client_capabilities("neovim"),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        initialization_options={"debounceMs": 0, **(way.editor or {})},
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


@pytest.mark.e2e
async def test_the_language_server_agrees_with_the_command_line_and_tiktoken(
    editor: LanguageClient, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    way: Way = editor.way  # type: ignore[attr-defined]
    root: Path = editor.root  # type: ignore[attr-defined]
    text: str = editor.text  # type: ignore[attr-defined]
    expected = _expected(text, way)
    uri = (root / "p.md").as_uri()
    open_document(editor, uri, text)

    payload = await document_tokens(editor, uri)
    assert payload["encoding"] == way.encoding
    assert payload["ownTokens"] == expected.own and payload["tokens"] == expected.total
    assert payload["exact"] is expected.exact and payload["budget"] == way.budget
    assert f"encoding {way.encoding} (" in payload["why"]
    [ref] = payload["references"]
    assert ref["tokens"] == expected.reference

    heading = text.splitlines().index("# Task")
    hover = await editor.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(heading, 2))
    )
    assert hover is not None
    shown = hover.contents.value  # type: ignore[union-attr]
    assert f"of the document ({expected.label})" in shown
    if way.budget is not None:
        assert f"{way.budget:,}-token budget" in shown

    await until(lambda: uri in editor.diagnostics)
    budget = [d for d in editor.diagnostics[uri] if d.code == "budget"]

    monkeypatch.chdir(root)
    seen = await _command_line_and_tools(root, text, way, capsys)
    if seen.budget_message is None:
        assert budget == []
    else:
        [diagnostic] = budget
        if way.named_alike:
            assert diagnostic.message == seen.budget_message
        else:
            assert _numbers(diagnostic.message) == _numbers(seen.budget_message)
        severity = {1: "error", 2: "warning", 3: "info"}[int(diagnostic.severity or 0)]
        assert severity == seen.severity


def test_check_model_gpt_4_fails_a_prompt_past_its_context_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    (tmp_path / ".git").mkdir()
    text = BODY * 2  # over 20,000 tokens
    total = truth(text, "cl100k_base") + 2 * truth(RULES, "cl100k_base")
    assert truth(text, "cl100k_base") >= 20_000
    (tmp_path / "rules.md").write_text(RULES)
    (tmp_path / "big.md").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--model", "gpt-4", "big.md"]) == 1
    out, err = capsys.readouterr()
    first = out.splitlines()[0]
    assert first.startswith("big.md:")
    rules_once = total - truth(RULES, "cl100k_base")  # the second reference counts once
    assert (
        f"error: {rules_once:,} / 8,192 tokens" in first
        and "(context window of gpt-4, --model)" in first
    )
    assert "1 over budget" in err
    # Without a model, no budget applies: said so, not "all within budget".
    assert main(["check", "big.md"]) == 0
    err = capsys.readouterr().err
    assert "no budget configured" in err and "all within budget" not in err
