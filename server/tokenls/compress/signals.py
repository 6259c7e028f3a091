"""What one log line says: a failure, a summary, a step boundary, noise, or detail.

The patterns cover the runners (Travis, GitHub Actions, GitLab, Jenkins) and the build and
test tools whose failures people look for (pytest, unittest, Go, cargo, Maven, Gradle, sbt,
npm, Jest, Mocha, RSpec, Minitest, PHPUnit, ExUnit, xUnit, Pester, gcc/clang/javac, tsc,
CMake, make). None of them is needed for a line to be kept; they make it worth more.
"""

from __future__ import annotations

import re

# A step of the CI job ended with a failure: the failing output is just above.
STEP_FAILED = re.compile(
    r'The command ".*" (?:exited with [1-9]\d*|failed)'
    r"|##\[error\]Process completed with exit code [1-9]"
    r"|^##\[error\](?:Bash|Script|PowerShell|Cmd) (?:exited|failed) with (?:exit )?code"
    r"|Error: The command exited with status [1-9]"
    r"|^ERROR: Job failed"
    r"|^ERROR: script returned exit code [1-9]"
    r"|^Build step '.*' marked build as failure"
)
# A command the runner retried after it failed: its quoted text.
RETRIED = re.compile(r'The command (".*") failed\. Retrying')
# A step of the CI job started (Travis echoes each command as ``$ cmd``).
# GitHub Actions opens one with ``##[group]Run``, Azure with ``##[section]Starting:``,
# Buildkite with ``--- :emoji: title``.
STEP_START = re.compile(
    r"^\$ \S|^\[Pipeline\] \{|^Executing \"step_script\"|^##\[group\]Run |^##\[section\]Starting: "
    r"|^(?:---|\+\+\+) :\w"
)
# Lines a runner prints after the job's work is over.
EPILOGUE = re.compile(
    r"^Done\. Your build exited with|^Cleaning up |^Uploading artifacts|^Post job cleanup\."
    r"|^##\[section\]Finishing:"
)

# Failure headers and messages, found anywhere in the line.
_FAILURE = re.compile(
    r"FAIL|(?<![A-Za-z])[Ff]ail(?:ed|ure)\b|ERR|\b[Ee]rror\b|[Ee]rror\[|(?:Error|Exception)(?::|$)"
    r"|\.\w*(?:Error|Exception)\b|Traceback|[Pp]anic"
    r"|Segmentation fault|[Aa]bort|[Ff]atal|Killed|[Aa]ssert|[✖✗✕✘●]|\[-\]|not ok \d|BROKEN|[Cc]rash"
    r"|exit (?:code|status) [1-9]|exited with [1-9]|Error \d|[Ii]llegal|[Uu]nknown (?:option|switch"
    r"|argument|command)|[Uu]nrecognized|[Uu]sage:"
)
# Words that often, not always, mean trouble.
_TROUBLE = re.compile(
    r"[Cc]annot|[Cc]ould not|[Uu]nable to|[Nn]ot found|No such file|[Dd]oes not exist"
    r"|[Pp]ermission denied|command not found|[Uu]ndefined|[Tt]imed? ?out\b|[Ee]xpected"
    r"|[Aa]ctual|[Rr]eceived:|DISCONNECTED|[Dd]isconnected|[Rr]efused|[Dd]enied|[Vv]iolation"
    r"|[Uu]ncaught|[Uu]nhandled|[Uu]nexpected|[Ii]nvalid|[Mm]issing|[Dd]eprecat|Overfull|×"
    r"|[Ss]tack ?trace|[Ii]ncomplete|[Rr]isky|[Ww]rong|[Ff]ailing"
)
# The first line of one failure's report, as each tool prints it.
HEADER = re.compile(
    r"--- FAIL|^FAIL\b|\bFAILED\b|[✕✖✗●]|^\s*\d+\) \S|Traceback|^panic:|\bpanicked at\b"
    r"|^\s*(?:Error|ERROR|error)(?:\[\w+\])?:|\*\*\* FAILED|<<< (?:FAILURE|ERROR)|^not ok\b"
    r"|^\[-\]|^\s*(?:Failure|Error):\s*$|: error:|^E\s{2,}\S|^\S+Error: |^\S+Exception: "
    r"|^---- \S+ stdout ----"
)
# Failure headers that start a line: numbered failures, pytest's E lines, frames' owners.
_FAILURE_START = re.compile(
    r"\s*(?:\d+\) \S|E {2,}\S|>\s{3}\S|- .* \*\*\* FAILED|\[-\] |---- \S+ stdout ----)"
)
# Test and build summaries: short, and they say what failed.
_SUMMARY = re.compile(
    r"^\s*(?:Tests?:|Tests run:|Test Suites:|Ran \d+ tests?|FAILED \(|OK \(|OK, but|FAILURES!"
    r"|ERRORS!|Failures:|Summary|=+ .*\b(?:failed|passed|error)|\d+ (?:examples?|tests?|runs?"
    r"|specs?),|\d+ failures?|BUILD (?:FAILED|FAILURE|SUCCESS)|FAILURE: Build failed"
    r"|\* What went wrong:|Failed (?:tests?|components?|examples?):|npm ERR! code|error: could not"
    r"|make(?:\[\d+\])?: \*\*\*|Process finished|Executed \d+ of \d+)"
)
_WARN = re.compile(r"[Ww]arn(?:ing)?\b|WARN")
# Passing tests, progress and download chatter: cheap to drop.
_PASSING = re.compile(
    r"PASS|\bpassed\b|SUCCESS|\bok\s*$|^ok\b|✓|✔|\b0 (?:failures|errors|failed)\b|\[\+\]"
    r"|SKIPPED|\bskipped\b|PENDING|\bpending\b"
)
_CHATTER = re.compile(
    r"\s*(?:[.*sSFE]{8,}\s*$|\[\s*\d+%\]|\d{1,3}%|(?:Downloading|Downloaded|Download|Fetching"
    r"|Collecting|Requirement already|Installing|Installed|Unpacking|Setting up|Preparing"
    r"|Selecting|Processing|Reading|Building|Using|Resolving|Receiving|Cloning|Get:\d|Hit:\d"
    r"|Ign:\d|Compiling|Linking|Generating|Copying|Creating|Extracting|Checking|Updating"
    r"|Adding|Removing|CC|CXX|LD|INFO|\[INFO\]|DEBUG|\[DEBUG\]|\[info\])\b"
    r"|=== (?:RUN|PAUSE|CONT)\b|[\w .()/-]{2,40}:\s+[\d.,]+\s*[%\w]{0,3}\s*$)"
)
# Stack frames in the runtime, the standard library or third-party code: rarely the cause.
_LIBRARY_FRAME = re.compile(
    r"\s*(?:at\s+)?(?:java\.base/|java\.|javax\.|jdk\.|sun\.|org\.junit|org\.apache\.maven"
    r"|org\.gradle|junit\.|kotlin\.|scala\.|node:internal|internal/|\S*node_modules/|/usr/lib/"
    r"|/usr/local/lib/|\S*site-packages/|\S*/runtime/|testing\.|runtime\.|<frozen |\S*/gems/)"
    r"|\s*File \"[^\"]*(?:site-packages|dist-packages|/lib/python\d)"
    r"|\s*at /rustc/|\s*\d+: (?:core|std|alloc|test|__rustc)::|\s*\d+: <"
)
# Lines that continue the message above them: frames, source excerpts, diffs, indentation.
_DETAIL = re.compile(
    r"\s+\S|\s*at |\s*File \"|\s*from \S|\s*(?:Caused by|Suppressed):|\s*\.\.\. \d+ more"
    r"|[-+@]{1,3}\s|\s*[~^|]+\s*$|\s*\d+\s*\||\s*-->|\s*=\s"
)

FAILURE, SUMMARY, TROUBLE, WARNING, PLAIN, NOISE, BLANK = 6, 5, 4, 3, 2, 1, 0


def kind(line: str) -> int:
    """What a line on its own says, from FAILURE down to NOISE and BLANK."""
    if not line or line.isspace():
        return BLANK
    if _SUMMARY.match(line):
        return SUMMARY
    passing = _PASSING.search(line)
    failure = _FAILURE.search(line) or _FAILURE_START.match(line)
    if failure and not (passing and failure.group(0) in _SOFT):
        return FAILURE
    if not passing and _TROUBLE.search(line):
        return TROUBLE
    if _WARN.search(line):
        return WARNING
    if _PASSING.search(line) or _CHATTER.match(line):
        return NOISE
    return PLAIN


_NUMBER = re.compile(r"\d+")


class KindCache:
    """``kind`` remembered by the line's shape: the patterns above only ever ask whether a
    number is zero, so lines differing in other numbers (timestamps, ids, durations) share
    one answer. Repetitive logs classify at the speed of a dictionary lookup."""

    def __init__(self, size: int = 1 << 16) -> None:
        self._memo: dict[str, int] = {}
        self._size = size

    def __call__(self, line: str) -> int:
        key = _NUMBER.sub(_zero_or_one, line)
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) >= self._size:
                self._memo.clear()
            found = self._memo[key] = kind(line)
        return found


def _zero_or_one(match: re.Match[str]) -> str:
    return "0" if match.group(0).strip("0") == "" else "1"


# Failure words that a passing line may contain ("0 failed", "expected 3 … passed").
_SOFT = frozenset(
    ["failed", "Failed", "failure", "Failure", "Expected", "expected", "Actual", "actual",
     "missing", "Missing", "Incomplete", "incomplete", "Risky", "risky", "timeout", "timed out"]
)  # fmt: skip


def is_passing(line: str) -> bool:
    """A passing or skipped test: it ends the report of the failure above it."""
    return _PASSING.search(line) is not None


def is_library_frame(line: str) -> bool:
    """A frame in code the project does not own (runtime, standard library, dependencies)."""
    return _LIBRARY_FRAME.match(line) is not None


def is_detail(line: str) -> bool:
    """Whether a line reads as part of the message above it (a frame, an excerpt, a diff)."""
    return _DETAIL.match(line) is not None


LEVELS = {FAILURE: "ERROR", SUMMARY: "ERROR", TROUBLE: "WARN", WARNING: "WARN"}


def level(k: int) -> str:
    """The label an omitted line of this kind is counted under in a gap marker."""
    return LEVELS.get(k, "INFO")
