"""``tokenls mcp``: the agent tools served over the Model Context Protocol on stdio.

Wiring only: each tool validates its arguments (the SDK, from the signatures below), calls
one ``AgentTools`` method and returns its result, whose TypedDict is the tool's output
schema. Every tool only reads; a refusal or failure is a tool error (``isError``) with one
clear sentence, never a dead server. Standard output carries the protocol alone: logging
and config warnings go to standard error. Needs the optional ``mcp`` SDK
(``pip install 'tokenls[mcp]'``), imported only by this module.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from tokenls import __version__
from tokenls.agent import AgentTools, ToolFailure, results
from tokenls.config import ConfigError

INSTRUCTIONS = """\
Exact token counts (tiktoken) for the files of this workspace, before you read them.
Call read_within_budget instead of reading a large file or log whole: it returns the file
if it fits, else a compressed log (failures kept verbatim) or an outline that fits.
count_tokens and explain_tokens say what prompts cost, references included; check_budget
gives the budget findings of `tokenls check`; compress_log shrinks a log to a budget.
Paths are relative to the workspace root; nothing outside it is read."""

Paths = Annotated[
    list[str],
    Field(description="files or directories, relative to the workspace root", min_length=1),
]
FilePath = Annotated[str, Field(description="a file, relative to the workspace root")]
Budget = Annotated[int, Field(description="tokens; at least 32", ge=1)]

T = TypeVar("T")


def build_server(root: Path) -> MCPServer:
    """An MCP server whose tools read files under ``root`` only."""
    tools = AgentTools(root)
    server = MCPServer(
        "tokenls", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )

    @server.tool(annotations=_read_only("Count tokens", network=True))
    def count_tokens(
        paths: Paths,
        encoding: Annotated[
            Literal["o200k_base", "cl100k_base"] | None,
            Field(description="tokenizer; default: the model's, else the workspace config's"),
        ] = None,
        model: Annotated[
            str | None,
            Field(
                description="count for this model, e.g. gpt-4o (its tokenizer); claude-… "
                "models count through Anthropic's API when ANTHROPIC_API_KEY is set, else "
                "are estimated (`reason` says why)"
            ),
        ] = None,
    ) -> results.CountResult:
        """Exact token counts of files and directories (walked with git's ignore rules): per
        file its own text and its total with what it references (#file:, @imports, links),
        whether the count is exact, and the references that could not be resolved."""
        return _answer(lambda: tools.count_tokens(paths, encoding, model))

    @server.tool(annotations=_read_only("Check token budgets", network=True))
    def check_budget(paths: Paths) -> results.CheckResult:
        """The findings of `tokenls check`: prompts over (or near) their token budget, with
        the biggest contributors of each one over it, and references that were refused."""
        return _answer(lambda: tools.check_budget(paths))

    @server.tool(annotations=_read_only("Compress a log", network=False))
    def compress_log(
        budget: Budget,
        path: Annotated[
            str | None, Field(description="a log file, relative to the workspace root")
        ] = None,
        text: Annotated[str | None, Field(description="the log itself, instead of path")] = None,
        baseline: Annotated[
            str | None,
            Field(description="a passing run's log (a file): lines it also has go first"),
        ] = None,
    ) -> results.CompressResult:
        """Compress a CI or application log to at most `budget` tokens, keeping every failure
        (test failures, tracebacks, compiler errors) verbatim with context; each gap becomes
        one line saying what was left out. Give `path` or `text`."""
        return _answer(lambda: tools.compress_log(budget, path, text, baseline))

    @server.tool(annotations=_read_only("Explain a prompt's tokens", network=True))
    def explain_tokens(path: FilePath) -> results.ExplainResult:
        """Where a prompt's tokens go: its total against its budget, each Markdown section,
        each reference, and the biggest contributors (what to cut first)."""
        return _answer(lambda: tools.explain_tokens(path))

    @server.tool(annotations=_read_only("Read a file within a budget", network=False))
    def read_within_budget(path: FilePath, budget: Budget) -> results.ReadResult:
        """A file's text in at most `budget` tokens: the whole file if it fits, else a
        compressed view of a log (failures kept) or an outline (headings, then text from
        the top) with each gap marked; `left_out` and `omitted` say what is missing."""
        return _answer(lambda: tools.read_within_budget(path, budget))

    return server


def serve(root: Path) -> int:
    """Serve on stdin/stdout until the client closes the connection."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="tokenls mcp: %(levelname)s %(message)s"
    )
    build_server(root).run("stdio")
    return 0


def _read_only(title: str, *, network: bool) -> ToolAnnotations:
    """Every tool only reads; ``network``: it may fetch allowlisted URL references."""
    return ToolAnnotations(
        title=title,
        read_only_hint=True,
        destructive_hint=False,
        idempotent_hint=True,
        open_world_hint=network,
    )


def _answer(call: Callable[[], T]) -> T:
    """The tool's result; a refusal, a broken config or an unreadable file becomes a tool
    error saying why."""
    try:
        return call()
    except ToolFailure as exc:
        raise ToolError(str(exc)) from None
    except ConfigError as exc:  # as tokenls check: a broken config is an error, not defaults
        raise ToolError("; ".join(str(problem) for problem in exc.problems)) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise ToolError(f"{where}{exc.strerror or exc}") from None
