"""What each agent tool returns: the output schemas an MCP client is shown.

The shapes are the command line's JSON (``count --json``, ``check --format json``,
``compress --json``) so a script and an agent read the same fields. ``typing_extensions``
TypedDicts, because pydantic (which turns them into JSON Schema) refuses ``typing``'s before
Python 3.12; this module is imported for its types only by the core, and at run time only by
the MCP server.
"""

from __future__ import annotations

from typing import Literal, NotRequired

from typing_extensions import TypedDict


class Position(TypedDict):
    line: int  # 0-based, as LSP
    character: int  # Unicode code points


class Range(TypedDict):
    start: Position
    end: Position


class Reference(TypedDict):
    """A reference in a prompt and what it added (``count --json``'s shape)."""

    target: str  # the resolved file (relative to the workspace) or URL, else as written
    kind: str  # file, url or variable
    range: Range
    tokens: int  # 0 when not counted, or counted already at an earlier reference (duplicate)
    status: Literal["ok", "pending", "error"]
    error: str | None
    duplicate: bool
    countedOnce: bool  # ``duplicate``'s former name, kept through schema_version 1
    source: str | None  # memory, disk or fresh


class FileTokens(TypedDict):
    path: str  # relative to the workspace root
    tokens: int  # own text plus references
    exact: bool
    bytes: int
    upper_bound: NotRequired[int]  # when not exact
    decode_errors: NotRequired[bool]
    own_tokens: NotRequired[int]  # prompts (files matching include): their own text only
    references: NotRequired[list[Reference]]
    oversized: NotRequired[bool]
    reason: NotRequired[str]  # why the count is an estimate (a Claude model without a key...)
    encoding: NotRequired[str]  # the tokenizer that counted it
    model: NotRequired[str]  # the model it was counted for, when one applies


class PathError(TypedDict):
    path: str
    error: str


class Unresolved(TypedDict):
    """A reference that added nothing: refused, missing, unbound or still fetching."""

    path: str  # the prompt it is in
    target: str
    status: str
    error: str | None


class CountResult(TypedDict):
    encoding: str  # the tokenizer of every file; when they differ, the default one
    encodings: NotRequired[list[str]]  # when files were counted with different tokenizers
    model: NotRequired[str]  # the model every file was counted for
    total: int  # every text once: each file's own text, then each reference once
    exact: bool
    files_counted: int
    files: list[FileTokens]
    unresolved: list[Unresolved]
    errors: NotRequired[list[PathError]]
    skipped_binary: NotRequired[list[str]]


class Contributor(TypedDict):
    kind: Literal["section", "reference"]
    label: str  # "## Examples", or the referenced file or URL
    line: int  # 1-based
    tokens: int


class CheckFinding(TypedDict):
    """One ``tokenls check`` finding: 1-based lines and columns, end exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: Literal["error", "warning", "info"]
    code: str  # budget, reference, unbound-variable, frontmatter
    message: str  # an estimated total is marked ≈
    exact: NotRequired[bool]  # budget findings: false when the total is an estimate
    reason: NotRequired[str]  # why it is an estimate
    contributors: NotRequired[list[Contributor]]  # a prompt over budget: what to cut


class CheckResult(TypedDict):
    checked: int
    over_budget: int
    without_budget: int  # prompts no budget applies to (none configured): not checked
    findings: list[CheckFinding]
    errors: NotRequired[list[PathError]]  # files a walk found outside the workspace


class CompressReport(TypedDict):
    text: str
    input_tokens: int
    output_tokens: int
    budget: int
    profile: str
    profile_auto: bool
    input_lines: int
    kept_lines: int
    dropped_lines: int
    failures: int  # distinct: failing_tests + errors
    failing_tests: int
    errors: int  # tests that crashed, compile and link errors
    failure_lines: int  # lines that read as a failure
    unchanged: bool  # the log fitted as it was
    notes: list[str]


class Section(TypedDict):
    heading: str  # "## Examples"
    level: int
    line: int  # 1-based
    tokens: int  # its text, nested sections and the references inside it


class ExplainResult(TypedDict):
    path: str
    encoding: str
    tokens: int
    own_tokens: int
    exact: bool
    budget: int | None
    budget_source: str | None
    level: Literal["ok", "information", "warning", "error"]
    sections: list[Section]
    references: list[Reference]
    contributors: list[Contributor]  # the biggest sections and references, biggest first
    model: NotRequired[str]  # the prompt's model (the call's, frontmatter or config)
    reason: NotRequired[str]  # why the total is an estimate
    why: str  # which encoding, model and budget apply, and where each came from


class Omitted(TypedDict):
    start_line: int  # 1-based, inclusive
    end_line: int
    tokens: int


class ReadResult(TypedDict):
    path: str
    view: Literal["whole", "compressed", "outline", "prompt"]
    text: str
    tokens: int  # of text, at most the budget
    budget: int
    file_tokens: int  # of the whole file
    left_out: str  # what the view leaves out, in a sentence ("" for the whole file)
    omitted: list[Omitted]  # outline view: the line ranges left out
