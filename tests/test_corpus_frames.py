"""The corpus's runner framings follow each runner's documented format and keep tool output
verbatim; the corpus fixtures' labels are lines of their logs."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench" / "corpus"))
from frame import FRAMINGS, Step, frame_plain, strip_ansi

CORPUS = Path(__file__).parent / "fixtures" / "logs" / "corpus"
LABELS = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
STEPS = [
    Step("pip install -e .", "Successfully installed shop-0.1\n", 0),
    Step("pytest -v\necho done", "tests/test_a.py::test_sum FAILED\nE       assert 1999 == 2000\n", 1),
    Step("never runs", "nothing\n", 0),
]
# Documented prefixes: ISO 8601 with seven fractional digits (GitHub, Azure), the Buildkite
# agent's ANSI timestamp; GitLab and Jenkins print tool lines bare.
PREFIX = {
    "github-actions": re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z "),
    "azure-pipelines": re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z "),
    "buildkite": re.compile(r"^\x1b_bk;t=\d{13}\x07"),
    "gitlab": re.compile(r"^"),
    "jenkins": re.compile(r"^"),
}


@pytest.mark.parametrize("framing", sorted(FRAMINGS))
def test_tool_lines_stay_verbatim_and_the_failing_step_is_found(framing: str) -> None:
    text, start = FRAMINGS[framing](STEPS, seed="x")
    lines = text.split("\n")
    bare = [PREFIX[framing].sub("", line, count=1) for line in lines]
    for tool_line in ("Successfully installed shop-0.1", "tests/test_a.py::test_sum FAILED",
                      "E       assert 1999 == 2000"):  # fmt: skip
        assert tool_line in bare
    assert bare.index("E       assert 1999 == 2000") > start
    assert "nothing" not in bare  # steps after a failure do not run
    assert "Successfully installed shop-0.1" not in bare[start:]


def test_the_same_seed_frames_the_same_log() -> None:
    for framer in FRAMINGS.values():
        assert framer(STEPS, seed="a") == framer(STEPS, seed="a")
    assert FRAMINGS["github-actions"](STEPS, "a") != FRAMINGS["github-actions"](STEPS, "b")


def test_gitlab_sections_use_the_documented_markers() -> None:
    text, _ = FRAMINGS["gitlab"](STEPS, seed="x")
    starts = re.findall(r"\x1b\[0Ksection_start:(\d+):(\w+)\r\x1b\[0K", text)
    ends = re.findall(r"\x1b\[0Ksection_end:(\d+):(\w+)\r\x1b\[0K", text)
    assert [n for _, n in starts] == [n for _, n in ends]
    assert "step_script" in [n for _, n in starts]
    assert all(int(a) <= int(b) for (a, _), (b, _) in zip(starts, ends, strict=True))
    assert "ERROR: Job failed: exit code 1" in strip_ansi(text)


def test_azure_buildkite_and_jenkins_mark_the_failure_their_way() -> None:
    azure = strip_ansi(FRAMINGS["azure-pipelines"](STEPS, "x")[0])
    assert re.search(r"Z ##\[section\]Starting: pytest -v\n", azure)
    assert re.search(r"Z ##\[error\]Bash exited with code '1'\.\n", azure)
    assert "##vso[task.prependpath]" in azure
    buildkite = strip_ansi(FRAMINGS["buildkite"](STEPS, "x")[0]).split("\n")
    i = buildkite.index("E       assert 1999 == 2000")
    assert buildkite[i + 1 : i + 3] == ["^^^ +++", "🚨 Error: The command exited with status 1"]
    jenkins = FRAMINGS["jenkins"](STEPS, "x")[0].split("\n")
    assert "+ pytest -v" in jenkins and jenkins[-3:] == ["ERROR: script returned exit code 1", "Finished: FAILURE", ""]
    assert 'Stage "Test" skipped due to earlier failure(s)' in jenkins


def test_a_plain_log_is_the_shell_transcript() -> None:
    text, start = frame_plain(STEPS)
    assert text.split("\n")[start] == "$ pytest -v"
    assert text.endswith("E       assert 1999 == 2000\nexit status 1\n")


@pytest.mark.parametrize("name", sorted(LABELS))
def test_every_fixture_label_is_a_line_of_its_log(name: str) -> None:
    entry = LABELS[name]
    lines = {strip_ansi(line) for line in (CORPUS / entry["log"]).read_text(encoding="utf-8").split("\n")}
    assert entry["lines"] and all(label in lines for label in entry["lines"])


def test_the_fixtures_cover_every_ecosystem_and_framing() -> None:
    ecosystems = {e["ecosystem"] for e in LABELS.values()}
    framings = {e["framed"] or "plain" for e in LABELS.values()}
    assert ecosystems >= {"python", "javascript", "typescript", "rust", "go", "c", "java", "php", "ruby"}
    assert framings == {"plain", *FRAMINGS}
    assert sum((CORPUS / e["log"]).stat().st_size for e in LABELS.values()) < 3_000_000
