"""How many distinct failures a log reports: failing tests and errors, not failure lines.

A failed test is printed many times over (its progress mark, its header, its traceback, the
short summary), so counting lines says "68 failures" for 8 failing tests. This reads each
tool's own way of naming one failure — pytest's ``FAILED path::test``, unittest's
``FAIL: name (...)``, Go's ``--- FAIL: Name``, libtest's ``test name ... FAILED``, Jest's
``● title``, surefire's ``<<< FAILURE!``, a compiler's ``file:line:col: error:`` — and counts
each name once, as the tool's own summary does (``2 failed``, ``Failures: 1, Errors: 0``,
``Found 2 errors``). A tool's "errors" (a test that crashed rather than failed an assertion,
a compile error) are errors; its failed tests are failing tests.

The log streams through ``Tally.feed`` a chunk at a time; memory is the names seen, at most
``MAX_NAMES`` of each kind (past that, a failure is only counted).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tokenls.compress import signals
from tokenls.compress.normalize import clean_line

if TYPE_CHECKING:
    from tokenls.compress.engine import CompressResult

MAX_NAMES = 100_000

# One failed test, as each runner names it: (pattern, group holding the name, is an error).
_TESTS: list[tuple[re.Pattern[str], bool]] = [
    # pytest: the short summary (``-ra``) and the verbose progress line.
    (re.compile(r"^(?:FAILED|SUBFAILED\((?P<sub>[^)]*)\)) (?P<name>\S+::\S+?)(?: - .*)?$"), False),
    (re.compile(r"^(?P<name>\S+::\S+?) FAILED\b"), False),
    (re.compile(r"^ERROR (?P<name>\S+::\S+?)(?: - .*)?$"), True),
    (re.compile(r"^(?P<name>\S+::\S+?) ERROR\b"), True),
    # unittest (and xmlrunner's timed variant).
    (re.compile(r"^FAIL(?: \[[\d.]+m?s\])?: (?P<name>\w+ \([\w.]+\)(?: \(.*\))?)$"), False),
    (re.compile(r"^ERROR(?: \[[\d.]+m?s\])?: (?P<name>\w+ \([\w.]+\)(?: \(.*\))?)$"), True),
    # libtest (cargo test) and nextest.
    (re.compile(r"^test (?P<name>\S.*?) \.\.\. FAILED$"), False),
    (re.compile(r"^\s*FAIL \[\s*[\d.]+m?s\] (?P<name>.+)$"), False),
    # Jest; a suite that could not run is an error.
    (re.compile(r"^\s*● (?P<name>(?!Console\b|Test suite failed to run).+)$"), False),
    # Vitest's failed-test list.
    (re.compile(r"^ ?FAIL {1,2}(?P<name>\S.* > .+?)(?: \d+ ?m?s)?$"), False),
    # surefire, a test method (the class line says "Tests run:"), old and new formats.
    (re.compile(r"^(?!(?:\[ERROR\] )?Tests run:)(?:\[ERROR\] )?(?P<name>\S.*?)\s+(?:--\s+)?Time elapsed:.*<<< FAILURE!"), False),
    (re.compile(r"^(?!(?:\[ERROR\] )?Tests run:)(?:\[ERROR\] )?(?P<name>\S.*?)\s+(?:--\s+)?Time elapsed:.*<<< ERROR!"), True),
    # TAP, ctest, RSpec.
    (re.compile(r"^not ok \d+(?: -)? (?P<name>(?!.*# (?:TODO|SKIP)).*)$"), False),
    (re.compile(r"^\s*\d+/\d+ Test\s+#\d+: (?P<name>\S+) \.*\*\*\*(?:Failed|Exception)"), False),
    (re.compile(r"^rspec (?P<name>\./\S+:\d+) #"), False),
]  # fmt: skip
_GO_FAIL = re.compile(r"^\s*--- FAIL: (?P<name>\S+)")
# Errors that are not tests: compilers, type checkers, linkers.
_ERRORS = [
    re.compile(r"^(?P<name>\S+?:\d+:(?:\d+:)? (?:fatal )?error: .*)$"),  # gcc, clang, javac
    re.compile(r"^\[ERROR\] (?P<name>\S+\.(?:java|kt|scala):\[\d+,\d+\] .*)$"),  # Maven
    re.compile(r"^(?P<name>\S+?(?:\(\d+,\d+\): |:\d+:\d+ - )error TS\d+: .*)$"),  # tsc
    re.compile(r"^(?P<name>\S+?\(\d+,\d+\): error CS\d+: .*?)(?: \[.*\])?$"),  # dotnet
    re.compile(r"^(?P<name>\.{0,2}/?[\w./-]+\.go:\d+:\d+: .*)$"),  # go build, go vet
    re.compile(r"undefined reference to [`'](?P<name>[^`']+)'"),  # ld
    re.compile(r"^\S*ld(?:\.\w+)?: (?P<name>cannot find .*)$"),
]
_RUST_ERROR = re.compile(r"^error(?:\[E\d{4}\])?: (?!aborting due to|could not compile|(?:doc)?test failed|\d+ targets? failed)(?P<name>.*)$")  # fmt: skip
_RUST_WHERE = re.compile(r"^\s*--> (?P<where>\S+)")


@dataclass(frozen=True, slots=True)
class Failures:
    """What a log reports as failed."""

    tests: int  # distinct failing tests
    errors: int  # distinct errors: tests that crashed, compile and link errors
    lines: int  # lines that read as a failure (what a person would scan through)

    @property
    def distinct(self) -> int:
        return self.tests + self.errors

    def describe(self) -> str:
        """``8 failing tests, 2 errors``; ``68 failure lines`` when no tool named one."""
        parts = []
        if self.tests:
            parts.append(f"{self.tests:,} failing test{'' if self.tests == 1 else 's'}")
        if self.errors:
            parts.append(f"{self.errors:,} error{'' if self.errors == 1 else 's'}")
        if parts:
            return ", ".join(parts)
        if self.lines:
            return f"{self.lines:,} failure line{'' if self.lines == 1 else 's'}"
        return "no failures"


class Tally:
    """Counts a log's distinct failures as its chunks stream past."""

    def __init__(self) -> None:
        self._carry = ""
        self._tests: set[str] = set()
        self._errors: set[str] = set()
        self._go: set[str] = set()
        self._extra_tests = 0
        self._extra_errors = 0
        self._lines = 0
        self._rust: str | None = None  # a Rust error waiting for its ``-->`` location
        self._kind = signals.KindCache()

    def feed(self, chunk: str) -> None:
        parts = (self._carry + chunk).split("\n")
        self._carry = parts.pop()
        for part in parts:
            self._line(part)

    def tap(self, chunks: Iterable[str]) -> Iterator[str]:
        """``chunks`` unchanged, each one counted on its way through."""
        for chunk in chunks:
            self.feed(chunk)
            yield chunk

    def result(self) -> Failures:
        if self._carry:
            self._line(self._carry)
            self._carry = ""
        self._flush_rust(None)
        # A Go test whose subtests failed fails too: only the leaves are failures.
        leaves = {n for n in self._go if not any(o.startswith(n + "/") for o in self._go)}
        tests = len(self._tests | {"go:" + n for n in leaves}) + self._extra_tests
        return Failures(tests, len(self._errors) + self._extra_errors, self._lines)

    def _line(self, raw: str) -> None:
        cleaned = clean_line(raw[:-1] if raw.endswith("\r") else raw)
        if cleaned is None:
            return
        text = cleaned.text.rstrip()
        if not text:
            return
        if self._kind(text) == signals.FAILURE:
            self._lines += 1
        if self._rust is not None:
            where = _RUST_WHERE.match(text)
            self._flush_rust(where.group("where") if where else None)
            if where:
                return
        if not _maybe_failure(text):
            return
        if (go := _GO_FAIL.match(text)) is not None:
            if len(self._go) < MAX_NAMES:
                self._go.add(go.group("name"))
            return
        for pattern, error in _TESTS:
            if (found := pattern.search(text)) is not None:
                sub = found.groupdict().get("sub")
                name = found.group("name").strip()
                self._add(f"{name}[{sub}]" if sub else name, error)
                return
        if (rust := _RUST_ERROR.match(text)) is not None:
            self._rust = rust.group("name")
            return
        for pattern in _ERRORS:
            if (found := pattern.search(text)) is not None:
                self._add(found.group("name").strip(), True)
                return

    def _add(self, name: str, error: bool) -> None:
        names = self._errors if error else self._tests
        if len(names) < MAX_NAMES:
            names.add(name)
        elif name not in names:
            if error:
                self._extra_errors += 1
            else:
                self._extra_tests += 1

    def _flush_rust(self, where: str | None) -> None:
        if self._rust is not None:
            self._add(f"{self._rust} at {where}" if where else self._rust, True)
            self._rust = None


_PREFILTER = re.compile(r"FAIL|ERROR|error|●|not ok|\*\*\*|rspec |<<<|undefined reference|\.go:|ld")


def _maybe_failure(text: str) -> bool:
    return _PREFILTER.search(text) is not None


def count_failures(text: str) -> Failures:
    """The distinct failures of a whole log held as one string."""
    tally = Tally()
    tally.feed(text)
    return tally.result()


def stats_of(result: CompressResult, failures: Failures) -> dict[str, Any]:
    """A compression's statistics (``compress --json``, the MCP tool), ``failures`` counting
    distinct failures (``failing_tests`` + ``errors``) and ``failure_lines`` the lines."""
    stats = result.stats()
    stats["failures"] = failures.distinct
    stats["failing_tests"] = failures.tests
    stats["errors"] = failures.errors
    stats["failure_lines"] = failures.lines
    return stats
