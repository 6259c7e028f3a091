"""Real CI output for tests that need a long log: passing runs of real tools, then a real
failing Maven build (all captured by tests/fixtures/logs/regenerate.sh)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
_PASSING = ["pytest-pass.log", "go-pass.log", "jest-pass.log", "cargo-pass.log", "maven-pass.log"]
MAVEN_FAILURE = "expected: <36.29 EUR> but was: <32.69 EUR>"  # read from maven-fail.log


def passing_output(lines: int) -> str:
    """At least ``lines`` lines of real passing runs, suite after suite as a long CI job has."""
    runs = [(FIXTURES / name).read_text(encoding="utf-8") for name in _PASSING]
    out: list[str] = []
    total = 0
    while total < lines:
        for run in runs:
            out.append(run)
            total += run.count("\n")
    return "".join(out)


def failing_build(lines: int) -> str:
    """A long job whose last step fails: passing output, then the failing Maven build."""
    failing = (FIXTURES / "maven-fail.log").read_text(encoding="utf-8")
    return passing_output(lines) + failing.rstrip("\n") + "\n"  # Maven ends without one


# The lines a person needs from cmake-fail.log (a real CMake + g++ build), read by hand: each
# error, the line of the project's own code behind the template error, the source lines the
# other two point at, and make's verdict.
CMAKE_MUST_KEEP = [
    "/usr/include/c++/12/bits/stl_algo.h:1938:50: error: no match for ‘operator-’ (operand "
    "types are ‘std::_List_iterator<shelf::Item>’ and ‘std::_List_iterator<shelf::Item>’)",
    "/tmp/tokenls-fixtures/cmake/src/inventory.cpp:37:14:   required from here",
    "/tmp/tokenls-fixtures/cmake/src/report.cpp:17:21: error: too many arguments to function "
    "‘std::string shelf::money(long int)’",
    "17 |             << money(item.value_cents(), item.quantity) << '\\n';",
    "/tmp/tokenls-fixtures/cmake/src/report.cpp:20:61: error: no match for ‘operator<<’ "
    "(operand types are ‘std::basic_ostream<char>’ and ‘std::optional<shelf::Item>’)",
    '20 |     if (auto low = inventory.find("LOW")) out << "restock " << low << \'\\n\';',
    "gmake: *** [Makefile:101: all] Error 2",
]
