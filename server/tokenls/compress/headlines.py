"""The line that says what failed, for each failure in a log, and the line or two it needs.

A person reading a failed job looks for one line per failure first (the panic, the
exception, the compiler error, the failing test's title), then its message, then the
detail. ``find`` returns each failure's headline and its companions (the message line of a
Rust panic, the source and caret under a compiler error, a Jest test's Expected/Received,
a Go test's ``_test.go:NN:`` message, the first ``Caused by:`` of a JVM exception and the
first frame in the project's code below it, an RSpec example's ``Failure/Error:`` with its
expected and got, the ``Error:`` under a Playwright ``✘``), so that
selection can keep every failure's headline before any failure's detail.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# One alternative per tool; the group name says which companions to look for. Marks that
# start a line are tried at its start only, the rest anywhere in it: one pass of each.
_AT_START = {
    "rust_error": r"error(?:\[E\d{4}\])?: (?!aborting due to|could not compile|test failed"
    r"|Recipe|process didn't exit|\d+ targets? failed)",
    "py_e": r"E {2,}(?:[\w.]*(?:Error|Exception|Exit|Interrupt|Failed|Failure|Warning)\b|assert\b)",
    "py_failed": r"(?:FAILED|ERROR) \S+::\S",
    "unittest": r"(?:FAIL|ERROR)(?: \[[\d.]+m?s\])?: \w+ \(",
    "cc": r"\S+?:\d+:(?:\d+:)? (?:fatal )?error: |\S+\.java:\d+: error: |\[ERROR\] \S+\.\w+:\[\d+",
    "ld_line": r"collect2: error: |\S*ld(?:\.\w+)?: (?:error|cannot find)",
    "go_fail": r"\s*--- FAIL: ",
    "panic": r"panic: ",
    "jest": r"\s*● (?!Console\b)",
    "cross": r"\s*[×✕✘✗] ",
    "vitest": r" ?FAIL {1,2}\S.* > ",
    "nextest": r"\s*FAIL \[\s*[\d.]+m?s\] ",
    "jvm": r"(?:Exception in thread \"[^\"]*\" )?(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*"
    r"(?:Exception|Error|Failure)\b(?::|$)",
    "maven": r"\[ERROR\] {3}\S+[.:]\w+:\d+ ",
    "gradle": r"\* What went wrong:",
    "build": r"\[(?:ERROR|INFO)\] BUILD FAILURE|BUILD FAILED|FAILURE: Build failed",
    "gradle_task": r"> Task \S+ FAILED",
    "ts_line": r"error TS\d+:",
    "eslint": r"\s+\d+:\d+\s+error\s",
    "annotation": r"##\[error\](?!Process completed with exit code)|##vso\[task\.logissue type=error",
    "rspec": r"\s*Failure/Error: ",
    "rspec_rerun": r"rspec \./\S+:\d+ # ",
    "tap": r"not ok \d+",
    "phpt": r"FAIL .* \[\S+\.phpt\]",
    "phpunit": r"\d+\) [\w\\]+::\w+",
    "numbered": r"\s+\d+\) \S",
    "pester": r"\s*\[-\] ",
    "minitest": r"(?:Failure|Error):\s*$",
    "r_check": r"Running the tests in .* failed\.",
    "exception": r"[A-Z]\w*(?:Error|Exception): \S",
}
_ANYWHERE = {
    "rust_panic": r"\bpanicked at\b",
    "ld": r"undefined reference to ",
    "ts": r"\(\d+,\d+\): error TS\d+:|:\d+:\d+ - error TS\d+:",
    "cs": r": error CS\d+:",
    "surefire": r"<<< (?:FAILURE|ERROR)!",
    "ctest": r"\*\*\*(?:Failed|Exception)",
    "scalatest": r"\*\*\* FAILED \*\*\*",
    "testthat": r"── \d+\. (?:Failure|Error)",
}
# Lines that report an exception or a crash, not which check failed: a log may print many
# that are no failure at all (a server logging what it caught while tests pass).
_WEAK = frozenset({"jvm", "panic", "traceback", "exception"})
# Lines whose names and numbers are data (a host, a value), not which check failed: two of
# them alike but for those are one failure seen twice (see ``family``).
_MESSAGES = frozenset({"py_e", "traceback", "jvm", "panic", "rspec", "exception"})
_START = re.compile("|".join(f"(?P<{k}>{p})" for k, p in _AT_START.items()))
_INSIDE = re.compile("|".join(f"(?P<{k}>{p})" for k, p in _ANYWHERE.items()))
# Cheap first look: a line with none of these characters or words is no headline.
_PREFILTER = re.compile(
    r"rror|RROR|FAIL|Fail|failed\.|xception|panic|E  |●|[×✕✘✗]|<<<|\* What|not ok|\[-\]|──"
    r"|\d\) |undefined reference|collect2|: cannot find|rspec \./"
)
_TRACEBACK = "Traceback (most recent call last):"
_EXCEPTION = re.compile(r"[A-Za-z_][\w.]*(?::\s|:?$)")  # the line ending a traceback
_CARET = re.compile(r"^[\s|]*\^[~^]*\s*$|^\s*\d*\s*\|\s*\^")
_GO_MESSAGE = re.compile(r"^\s+\S+_test\.go:\d+: ")
_EXPECTED = re.compile(r"^\s*(?:[-+] )?(?:Expected|Received)\b")
_ERROR_LINE = re.compile(r"^\s*(?:\w+\.)*\w*Error\b")
_PESTER = re.compile(r"^\s*(?:Expected|Actual)\b")
_RSPEC_DETAIL = re.compile(r"^\s*(?:expected|got)\b")
_PLAYWRIGHT_ERROR = re.compile(r"^\s*(?:\w+)?Error: ")
_NUMBERED = re.compile(r"^\s*\d+\) \S")
_CROSS = re.compile(r"^\s*[×✕✘✗] ")
_FRAME = re.compile(r"^\s+at \S")
_RUNTIME_FRAME = re.compile(
    r"^\s+at (?:java\.base/|java\.|javax\.|jdk\.|sun\.|kotlin\.|scala\.|org\.junit\.|junit\."
    r"|org\.apache\.maven\.|org\.gradle\.)"
)
_RSPEC_ERROR = re.compile(r"^\s+[A-Z]\w*(?:::\w+)*(?:Error|Exception):\s*$")
_LOOK = 40  # lines a companion is looked for in
_WIDTH = 400  # characters a headline's marks are looked for in (a compiler's command line is long)


@dataclass(frozen=True, slots=True)
class Headline:
    head: int  # index of the line that says what failed
    companions: tuple[int, ...]  # the lines it needs next, most needed first
    strong: bool = True  # a test runner's or compiler's own failure line
    message: bool = False  # says what went wrong, not which test or which source line
    joined: bool = False  # its first companion completes it (a Rust panic's message)


def find(texts: Sequence[str]) -> list[Headline]:
    """Every failure's headline in ``texts`` (lines as a person sees them), in order."""
    found: list[Headline] = []
    taken: set[int] = set()
    in_traceback = False
    in_e_block = False
    n = len(texts)
    for i, text in enumerate(texts):
        if (
            in_traceback
            and text
            and not text[0].isspace()
            and not text.startswith((_TRACEBACK, "During handling", "The above exception"))
        ):
            in_traceback = False
            if i not in taken and _EXCEPTION.match(text):
                found.append(Headline(i, (), strong=False))
                taken.add(i)
            continue
        if text.startswith(_TRACEBACK) or text.endswith(_TRACEBACK):
            in_traceback = True
            continue
        starts_e = text.startswith("E ")
        if not starts_e:
            in_e_block = False
        if not _PREFILTER.search(text, 0, _WIDTH):
            continue
        match = _START.match(text, 0, _WIDTH) or _INSIDE.search(text, 0, _WIDTH)
        if match is None or i in taken:
            continue
        rule = match.lastgroup or ""
        if rule == "py_e":
            if in_e_block:
                continue
            in_e_block = True
        companions = tuple(c for c in _companions(rule, texts, i, n) if c not in taken)
        if rule == "numbered" and not companions:  # a numbered list, not an RSpec example
            continue
        joined = rule == "rust_panic" and bool(companions)
        found.append(Headline(i, companions, rule not in _WEAK, rule in _MESSAGES, joined))
        taken.add(i)
        taken.update(companions)
    return found


_NAMES = re.compile(
    r"'[^']*'|\"[^\"]*\"|`[^`]*`|\[[^\]]*\]|\([^)]*\)|(?<![\w.])/[\w.@/-]*|0x[0-9a-fA-F]+|\d+"
)


def family(text: str) -> str:
    """A message headline with its quoted names, paths, brackets and numbers masked: messages
    that differ in these only (one host refusing many requests, one check failing for many
    values) share a family."""
    return _NAMES.sub("_", text.strip())[:80]


def _companions(rule: str, texts: Sequence[str], i: int, n: int) -> list[int]:
    if rule == "rust_panic" and texts[i].rstrip().endswith(":"):
        return _next_text(texts, i, n)[:1]
    if rule in ("rust_error", "gradle", "surefire", "scalatest"):
        return _next_text(texts, i, n)[:1]
    if rule == "unittest":
        return _exception_below(texts, i, n)
    if rule in ("minitest", "phpunit"):
        below = []
        for j in range(i + 1, min(i + 6, n)):
            if _NUMBERED.match(texts[j]):  # the next failure's title
                break
            if texts[j].strip():
                below.append(j)
        return below[:2]
    if rule == "pester":
        return _first_each(texts, i, n, _PESTER, ("Expected", "Actual"))
    if rule == "cc":
        for j in range(i + 1, min(i + 4, n)):
            if _CARET.match(texts[j]):
                return list(range(i + 1, j + 1))
        return []
    if rule == "go_fail":
        return _go_message(texts, i, n)
    if rule == "jest":
        return _first_each(texts, i, n, _EXPECTED, ("Expected", "Received"))
    if rule == "vitest":
        return [j for j in range(i + 1, min(i + 6, n)) if _ERROR_LINE.match(texts[j])][:1]
    if rule == "jvm":
        return _jvm_companions(texts, i, n)
    if rule == "rspec":
        return [j for j in range(i + 1, min(i + 6, n)) if _RSPEC_DETAIL.match(texts[j])][:2]
    if rule == "numbered":
        return _rspec_example(texts, i, n)
    if rule == "cross":
        for j in range(i + 1, min(i + 12, n)):
            if _PLAYWRIGHT_ERROR.match(texts[j]):
                return [j]
            if _CROSS.match(texts[j]):
                break
    return []


def _jvm_companions(texts: Sequence[str], i: int, n: int) -> list[int]:
    """A JVM exception's first ``Caused by:`` and, below the deepest of the two, the first
    frame in the project's own code (where the failure happened)."""
    first = cause = None
    for j in range(i + 1, min(i + 200, n)):
        text = texts[j]
        if not text.strip() or not (text[0].isspace() or text.startswith("Caused by:")):
            break
        if cause is None and text.startswith("Caused by:"):
            cause = j
        elif _FRAME.match(text) and not _RUNTIME_FRAME.match(text):
            if cause is not None:
                return [cause, j]
            if first is None:
                first = j
    if cause is not None:
        return [cause]
    return [first] if first is not None else []


def _rspec_example(texts: Sequence[str], i: int, n: int) -> list[int]:
    """An RSpec example's ``Failure/Error:`` line and its expected/got (or the exception
    under it): a numbered line is an example's title only when one follows."""
    for j in range(i + 1, min(i + 3, n)):
        if texts[j].lstrip().startswith("Failure/Error:"):
            for k in range(j + 1, min(j + 8, n)):
                if _RSPEC_ERROR.match(texts[k]):  # the exception's class, then its message
                    return [j, k, *_next_text(texts, k, n)]
            detail = [k for k in range(j + 1, min(j + 8, n)) if _RSPEC_DETAIL.match(texts[k])]
            return [j, *detail[:2]]
    return []


def _exception_below(texts: Sequence[str], i: int, n: int) -> list[int]:
    """The exception line ending the traceback under a unittest failure's title."""
    inside = False
    for j in range(i + 1, min(i + 200, n)):
        text = texts[j]
        if text.startswith(_TRACEBACK):
            inside = True
        elif inside and text and not text[0].isspace():
            return [j] if _EXCEPTION.match(text) else []
        elif text.startswith(("FAIL", "ERROR", "=====")):
            break
    return []


def _next_text(texts: Sequence[str], i: int, n: int) -> list[int]:
    for j in range(i + 1, min(i + 3, n)):
        if texts[j].strip():
            return [j]
    return []


def _go_message(texts: Sequence[str], i: int, n: int) -> list[int]:
    """A Go test's first message: streamed above ``--- FAIL`` with -v, below it without."""
    name = texts[i].split("--- FAIL: ", 1)[1].split(" ", 1)[0]
    start = None
    for j in range(i - 1, max(i - _LOOK, -1), -1):
        if texts[j].startswith("=== RUN") and texts[j].split()[-1] == name:
            start = j
            break
    if start is not None:
        for j in range(start + 1, i):
            if _GO_MESSAGE.match(texts[j]):
                return [j]
    for j in range(i + 1, min(i + 6, n)):
        if _GO_MESSAGE.match(texts[j]):
            return [j]
        if texts[j].lstrip().startswith(("--- ", "=== ")):
            break
    return []


def _first_each(
    texts: Sequence[str], i: int, n: int, pattern: re.Pattern[str], words: tuple[str, ...]
) -> list[int]:
    out: dict[str, int] = {}
    for j in range(i + 1, min(i + _LOOK, n)):
        text = texts[j]
        if text.lstrip().startswith("●"):
            break
        if pattern.match(text):
            word = next((w for w in words if w in text), "")
            out.setdefault(word, j)
            if len(out) == len(words):
                break
    return sorted(out.values())
