"""How much a log line matters, and which lines belong together as one failure.

Levels run from CRITICAL (test failures, assertion errors, tracebacks and stack traces,
compiler errors, panics, build-failure summaries) to VERBOSE (debug, trace, progress bars,
download noise). A critical line opens a *block*: the indented frames of a traceback, the
body of a pytest failure section, the source excerpt under a compiler error, so a failure
is kept or summarised whole, never cut in half.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal


class Level(IntEnum):
    CRITICAL = 0
    HIGH = 1
    MEDIUM = 2
    LOW = 3
    VERBOSE = 4

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Level.CRITICAL: "FAILURE",
    Level.HIGH: "ERROR",
    Level.MEDIUM: "WARN",
    Level.LOW: "INFO",
    Level.VERBOSE: "DEBUG",
}

# Failure patterns that must start the line (tried with ``match``) and ones found anywhere.
_CRITICAL_START = re.compile(
    r"\s*(?:E\s{2,}|>\s{3})|FAIL[:\s]|--- FAIL|\s+FAIL\s|panic:|##\[error\]|::error|"
    r"Error: Process completed with exit code|\s*Caused by:|\s*●\s|\s*✕|"
    r"_{3,} .+ _{3,}$|={3,} (?:FAILURES|ERRORS) ={3,}|={3,} .*\b(?:failed|error)|"
    r"[^\s:]+: (?:fatal )?error:"
)
_CRITICAL_ANY = re.compile(
    r"Traceback \(most recent call last\)|AssertionError|\bFAILED\b|\bBUILD FAIL|\bFATAL\b|"
    r"\bCRITICAL\b|panicked at|Segmentation fault|core dumped|error\[E\d+\]|\berror TS\d+:|"
    r":\d+:\d+: (?:fatal )?error:|npm ERR!|Exception in thread|Tests run:.*(?:Failures|Errors): [1-9]"
)
_HIGH = re.compile(
    r"\bERROR\b|\b[Ee]rror\b|\bERR\b|\b\w+(?:Error|Exception)\b|\bfail(?:ed|ure)?\b|^ERROR:"
)
_MEDIUM = re.compile(r"\bWARN(?:ING)?\b|[Ww]arning\b|\bDEPRECAT|\bdeprecated\b")
_VERBOSE = re.compile(
    r"\bDEBUG\b|\bTRACE\b|\bVERBOSE\b|\d{1,3}(?:\.\d+)?%\s*\||\[[=#>\-\s]{5,}\]|"
    r"\b(?:Downloading|Downloaded|Fetching|Progress|Resolving|Receiving objects|"
    r"Unpacking|Collecting|Using cached)\b|[⠁-⣿]|^\s*\d{1,3}%\s"
)

# Lines that continue the block a critical line opened.
_CONTINUES = re.compile(
    r"^(?:[ \t]+\S|\s*\^|\s*\|\s|\s*\d+\s*\|\s|During handling|The above exception|"
    r"Caused by:|\t?at |\s*\.\.\. \d+ more|E\s|>\s|goroutine \d+|"
    r"[\w./\\-]+\.\w+:\d+:)"
)
_SECTION_HEADER = re.compile(r"^_{3,} .+ _{3,}$|^={3,} .+ ={3,}$|^-{3,} .+ -{3,}$")
_EXCEPTION_LINE = re.compile(r"^[\w.]+(?:Error|Exception|Exit|Interrupt|Warning)\b.*|^[\w.]+: ")
_PYTHON_TRACEBACK = "Traceback (most recent call last)"


# Cheap substring tests first: most lines of a log contain none of these, and skipping the
# alternation-heavy patterns for them is what keeps classification fast. Written out as
# ``or`` chains because a generator over a tuple costs more than the tests themselves.
def _maybe_bad(low: str) -> bool:
    return (
        "err" in low
        or "fail" in low
        or "fatal" in low
        or "critical" in low
        or "panic" in low
        or "traceback" in low
        or "exception" in low
        or "assert" in low
        or "segmentation" in low
        or "core dumped" in low
        or "caused by" in low
        or "tests run" in low
        or "___" in low
        or "===" in low
        or "●" in low
        or "✕" in low
    )


def _maybe_noise(low: str) -> bool:
    return (
        "debug" in low
        or "trace" in low
        or "verbose" in low
        or "%" in low
        or "[=" in low
        or "[#" in low
        or "[-" in low
        or "download" in low
        or "fetch" in low
        or "progress" in low
        or "resolving" in low
        or "receiving" in low
        or "unpacking" in low
        or "collecting" in low
        or "using cached" in low
    )


def classify(line: str) -> Level:
    """The level of one line on its own (blocks are tracked by ``BlockTracker``)."""
    head = line[:400]
    low = head.lower()
    bad = head.startswith(("E ", ">")) or _maybe_bad(low)
    if bad and (_CRITICAL_START.match(head) or _CRITICAL_ANY.search(head)):
        return Level.CRITICAL
    if (not head.isascii() or _maybe_noise(low)) and _VERBOSE.search(head):
        return Level.VERBOSE
    if bad and _HIGH.search(head):
        return Level.HIGH
    if ("warn" in low or "deprecat" in low) and _MEDIUM.search(head):
        return Level.MEDIUM
    return Level.LOW


Step = Literal["start", "continue", "end", "none"]


@dataclass(slots=True)
class BlockTracker:
    """Follows failure blocks line by line: ``start`` opens one, ``continue`` extends it,
    ``end`` is its last line (a traceback's exception line), ``none`` is outside any."""

    _open: bool = False
    _traceback: bool = False
    _section: bool = False

    def feed(self, body: str, level: Level) -> Step:
        if self._open:
            if self._section:
                if not (_SECTION_HEADER.match(body) or body.startswith("===")):
                    return "continue"
            elif self._traceback and body and not body[0].isspace():
                if _EXCEPTION_LINE.match(body):
                    self._open = False
                    return "end"
            elif not body.strip() and self._traceback:
                return "continue"
            if not self._section and body and (_CONTINUES.match(body) or _PYTHON_TRACEBACK in body):
                self._traceback = self._traceback or _PYTHON_TRACEBACK in body
                return "continue"
            self._open = False
        if level != Level.CRITICAL:
            return "none"
        self._open = True
        self._traceback = _PYTHON_TRACEBACK in body
        self._section = bool(_SECTION_HEADER.match(body)) and not body.startswith("=")
        return "start"
