"""``tokenls mcp``: the agent tools served over the Model Context Protocol on stdio.

Wiring only: each tool validates its arguments (the SDK, from the signatures below), calls
one ``AgentTools`` method and returns its result, whose TypedDict is the tool's output
schema. Every tool only reads; a refusal or failure is a tool error (``isError``) with one
clear sentence, never a dead server. Standard output carries the protocol alone: logging
and config warnings go to standard error. Needs the optional ``mcp`` SDK
(``pip install 'tokenls[mcp]'``), imported only by this module.

Every request is answered. The SDK drops a line it cannot read — broken JSON, a string
holding a lone surrogate (``"\\ud800"``, valid JSON but no Unicode text), a message of
the wrong shape — and its client would wait forever; here each line is checked first,
and one that is a request gets a JSON-RPC error saying what was wrong.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
from collections.abc import AsyncIterable, AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any, BinaryIO, TypeVar

import anyio
import mcp_types
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.shared.message import SessionMessage
from mcp.types import ToolAnnotations
from pydantic import Field, ValidationError

from tokenls import __version__
from tokenls.config import ConfigError
from tokenls.mcp.agent import AgentTools, ToolFailure, results
from tokenls.mcp.agent.paths import is_text, printable
from tokenls.mcp.arguments import ArgumentProblem, argument_sentence

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
Encoding = Annotated[
    str | None,
    Field(
        description="tokenizer for every file: o200k_base or cl100k_base (over the file's "
        "frontmatter and the workspace config); default: the file's own choice"
    ),
]
Model = Annotated[
    str | None,
    Field(
        description="the model to count for, e.g. gpt-4 (its tokenizer unless `encoding`, "
        "and its context window as the budget unless the frontmatter sets one); claude-… "
        "models count through Anthropic's API when ANTHROPIC_API_KEY is set, else are "
        "estimated (`reason` says why)"
    ),
]

T = TypeVar("T")
log = logging.getLogger("tokenls.mcp")


class AnsweringServer(MCPServer):
    """The SDK's server, whose stdio transport answers every request (see the module), and
    whose argument errors are one plain sentence (``tokenls.mcp.arguments``)."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ArgumentProblem):
                raise ToolError(f"{name}: {cause}") from None
            if isinstance(cause, ValidationError) and not isinstance(exc, UnexpectedToolError):
                errors = cause.errors(include_url=False)
                schema = self._tool_input_schema(name)
                raise ToolError(argument_sentence(name, errors, schema)) from None
            raise

    async def run_stdio_async(self) -> None:
        from mcp.server.stdio import stdio_server

        lines = CheckedLines(_text_lines(_private_stdin()))
        async with stdio_server(stdin=lines) as (read_stream, write_stream):  # type: ignore[arg-type]
            lines.answer_with(write_stream)
            server = self._lowlevel_server  # the SDK runs it so too (MCPServer.run_stdio_async)
            await server.run(read_stream, write_stream, server.create_initialization_options())


class CheckedLines:
    """Standard input's lines for the SDK: each one it can read. A request it could not is
    answered here with a JSON-RPC error (through the SDK's own writer, so answers never
    interleave); anything else it could not read is logged."""

    def __init__(self, lines: AsyncIterable[str]) -> None:
        self._lines = lines
        self._answers: Any = None
        self._ready = anyio.Event()

    def answer_with(self, write_stream: Any) -> None:
        self._answers = write_stream
        self._ready.set()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._checked()

    async def _checked(self) -> AsyncIterator[str]:
        async for line in self._lines:
            if not line.strip():
                continue
            try:
                mcp_types.jsonrpc_message_adapter.validate_json(line, by_name=False)
            except ValidationError as exc:
                error = unreadable(line, exc)
                if error is not None:
                    await self._ready.wait()
                    await self._answers.send(SessionMessage(error))
                continue
            yield line


def unreadable(line: str, exc: ValidationError) -> mcp_types.JSONRPCError | None:
    """The answer to a line the SDK cannot read: an error for a request (by its id when it
    has a usable one, else null, as JSON-RPC says), None for anything else (logged)."""
    try:
        message = json.loads(line)
    except (ValueError, RecursionError) as bad:
        why = f"{bad.msg} at character {bad.pos}" if isinstance(bad, json.JSONDecodeError) else ""
        return _error(None, mcp_types.PARSE_ERROR, f"not valid JSON: {why or 'nested too deeply'}")
    if not isinstance(message, dict) or "method" not in message:
        log.warning("ignoring a message that is not JSON-RPC 2.0: %s", _first_error(exc))
        return None
    if "id" not in message:  # a notification: never answered
        log.warning(
            "ignoring an unreadable %s notification: %s", _method(message), _first_error(exc)
        )
        return None
    msg_id = message["id"]
    usable = isinstance(msg_id, int) and not isinstance(msg_id, bool)
    usable = usable or (isinstance(msg_id, str) and is_text(msg_id))
    answer_to = msg_id if usable else None
    found = _lone_surrogate(message)
    if found is not None:
        where, surrogate = found
        return _error(
            answer_to,
            mcp_types.INVALID_PARAMS,
            f"{where} is not valid text: it holds a lone surrogate ({surrogate}), half of a "
            "UTF-16 pair, which no Unicode text can hold; send the string as valid Unicode",
        )
    return _error(
        answer_to,
        mcp_types.INVALID_REQUEST,
        f"not a valid JSON-RPC 2.0 request ({_method(message)}): {_first_error(exc)}",
    )


def _lone_surrogate(message: dict[str, Any]) -> tuple[str, str] | None:
    """Where a message holds a lone surrogate (``params.arguments.paths[0]``), and which."""
    stack: list[tuple[str, Any]] = [("", message)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str) and not is_text(value):
            return where or "the message", _first_surrogate(value)
        if isinstance(value, dict):
            for key, item in reversed(value.items()):
                if not is_text(key):
                    return f"a key of {where or 'the message'}", _first_surrogate(key)
                name = key if key.isidentifier() else json.dumps(key)
                stack.append((f"{where}.{name}" if where else name, item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in reversed(list(enumerate(value))))
    return None


def _first_surrogate(text: str) -> str:
    return next(f"\\u{ord(c):04x}" for c in text if 0xD800 <= ord(c) <= 0xDFFF)


def _method(message: dict[str, Any]) -> str:
    method = message.get("method")
    return printable(method)[:80] if isinstance(method, str) else "a method that is no string"


def _first_error(exc: ValidationError) -> str:
    """The first thing pydantic found wrong, in one line, safe to send back."""
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:
        return "unreadable"
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return printable(f"{where}: {first['msg']}" if where else str(first["msg"]))[:200]


def _error(msg_id: int | str | None, code: int, message: str) -> mcp_types.JSONRPCError:
    return mcp_types.JSONRPCError(
        jsonrpc="2.0", id=msg_id, error=mcp_types.ErrorData(code=code, message=message)
    )


def _private_stdin() -> BinaryIO:
    """Standard input moved to a descriptor of its own, with descriptor 0 on the null
    device: a child process (git) must not read the protocol (the SDK's own transport
    does the same)."""
    try:
        import fcntl

        private = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
    except (ImportError, OSError):  # no fcntl (Windows), or no standard input to move
        return sys.stdin.buffer
    return os.fdopen(private, "rb")


async def _text_lines(stream: BinaryIO) -> AsyncIterator[str]:
    """The stream's lines as text; bytes that are not UTF-8 become U+FFFD, as in the SDK."""
    wrapped = anyio.wrap_file(io.TextIOWrapper(stream, encoding="utf-8", errors="replace"))
    async for line in wrapped:
        yield line


def build_server(root: Path) -> MCPServer:
    """An MCP server whose tools read files under ``root`` only."""
    tools = AgentTools(root)
    server = AnsweringServer(
        "tokenls", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )
    _add_counting_tools(server, tools)
    _add_compress_log(server, tools)
    _add_file_tools(server, tools)
    return server


def _add_counting_tools(server: MCPServer, tools: AgentTools) -> None:
    """count_tokens and check_budget: what files and directories cost."""

    @server.tool(annotations=_read_only("Count tokens", network=True))
    def count_tokens(
        paths: Paths, encoding: Encoding = None, model: Model = None
    ) -> results.CountResult:
        """Exact token counts of files and directories (walked with git's ignore rules): per
        file its own text and its total with what it references (#file:, @imports, links),
        whether the count is exact, and the references that could not be resolved."""
        return _answer(lambda: tools.count_tokens(paths, encoding, model))

    @server.tool(annotations=_read_only("Check token budgets", network=True))
    def check_budget(
        paths: Paths, encoding: Encoding = None, model: Model = None
    ) -> results.CheckResult:
        """The findings of `tokenls check`: prompts over (or near) their token budget, with
        the biggest contributors of each one over it, and references that were refused."""
        return _answer(lambda: tools.check_budget(paths, encoding, model))


def _add_compress_log(server: MCPServer, tools: AgentTools) -> None:
    """compress_log: a log, from a file or given whole, shrunk to a budget."""

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
    ) -> results.CompressReport:
        """Compress a CI or application log to at most `budget` tokens, keeping every failure
        (test failures, tracebacks, compiler errors) verbatim with context; each gap becomes
        one line saying what was left out. Give `path` or `text`."""
        if (path is None) == (text is None):
            given = "not both" if path is not None else "neither was given"
            raise ArgumentProblem(
                f'give argument "path" (a log file, relative to the workspace root) or "text" '
                f"(the log itself); {given}."
            )
        return _answer(lambda: tools.compress_log(budget, path, text, baseline))


def _add_file_tools(server: MCPServer, tools: AgentTools) -> None:
    """explain_tokens and read_within_budget: one file, explained or read within a budget."""

    @server.tool(annotations=_read_only("Explain a prompt's tokens", network=True))
    def explain_tokens(
        path: FilePath, encoding: Encoding = None, model: Model = None
    ) -> results.ExplainResult:
        """Where a prompt's tokens go: its total against its budget, each Markdown section,
        each reference, and the biggest contributors (what to cut first)."""
        return _answer(lambda: tools.explain_tokens(path, encoding, model))

    @server.tool(annotations=_read_only("Read a file within a budget", network=False))
    def read_within_budget(path: FilePath, budget: Budget) -> results.ReadResult:
        """A file's text in at most `budget` tokens: the whole file if it fits, else a
        compressed view of a log (failures kept) or an outline (headings, then text from
        the top) with each gap marked; `left_out` and `omitted` say what is missing."""
        return _answer(lambda: tools.read_within_budget(path, budget))


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
    error saying why. Text that JSON cannot carry (a file name's stray bytes) is escaped."""
    try:
        return _sendable(call())
    except ToolFailure as exc:
        raise ToolError(printable(str(exc))) from None
    except ConfigError as exc:  # as tokenls check: a broken config is an error, not defaults
        raise ToolError(printable("; ".join(str(p) for p in exc.problems))) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise ToolError(printable(f"{where}{exc.strerror or exc}")) from None


def _sendable(value: Any) -> Any:
    """``value`` with every string UTF-8 can encode: a result holding one lone surrogate
    would otherwise fail as a whole when it is written out."""
    if isinstance(value, str):
        return value if is_text(value) else printable(value)
    if isinstance(value, dict):
        return {_sendable(k): _sendable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sendable(item) for item in value]
    return value
