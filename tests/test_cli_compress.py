"""``tokenls compress`` on real captured logs: the lines a person needs survive, within budget."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import truth
from tests.logs import FIXTURES, MAVEN_FAILURE, failing_build, passing_output
from tokenls.cli.main import main

EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
LABELLED = json.loads((FIXTURES / "logchunks" / "labels.json").read_text())
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _log(tmp_path: Path) -> Path:
    log = tmp_path / "ci.log"
    log.write_text(failing_build(5000))
    return log


def _compress(tmp_path: Path, log: Path, budget: int, *extra: str) -> str:
    out = tmp_path / "out.log"
    assert main(["compress", str(log), "--budget", str(budget), "-q", "-o", str(out), *extra]) == 0
    return out.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_lines_a_person_needs_survive_in_each_real_tool_log(tmp_path: Path, name: str) -> None:
    """``expected.json`` lists, by hand, the lines a person reads to understand each failure."""
    spec = EXPECTED[name]
    text = _compress(tmp_path, FIXTURES / name, spec["budget"])
    assert truth(text, "o200k_base") <= spec["budget"]
    kept = {line.strip() for line in text.splitlines()}
    missing = [line for line in spec["must_keep"] if _ANSI.sub("", line).strip() not in kept]
    assert not missing


@pytest.mark.parametrize("entry", LABELLED, ids=lambda e: e["log"].split("/")[1])
def test_the_labelled_failure_of_a_real_ci_log_survives(tmp_path: Path, entry: dict) -> None:
    """LogChunks labels (a person marked the lines that explain each build's failure), at the
    budget of twice the labelled chunk plus 500 tokens."""
    budget = 2 * truth(entry["chunk"], "o200k_base") + 500
    text = _compress(tmp_path, FIXTURES / "logchunks" / entry["log"], budget)
    assert truth(text, "o200k_base") <= budget
    shown = "\n".join(" ".join(line.split()) for line in text.splitlines())
    wanted = [" ".join(_ANSI.sub("", line).split()) for line in entry["chunk"].splitlines()]
    missing = [line for line in wanted if line and line not in shown]
    assert not missing


def _template(line: str) -> str:
    """A line with its numbers masked: a timing or an id does not make a line new."""
    return re.sub(r"\d+", "0", _ANSI.sub("", line).strip())


@pytest.mark.parametrize("tool", ["pytest", "go", "jest", "maven"])
def test_against_a_passing_run_the_lines_new_in_the_failing_run_are_kept(
    tmp_path: Path, tool: str
) -> None:
    failing = (FIXTURES / f"{tool}-fail.log").read_text()
    passing = {_template(line) for line in (FIXTURES / f"{tool}-pass.log").read_text().splitlines()}
    new = {
        _ANSI.sub("", line).strip()
        for line in failing.splitlines()
        if line.strip() and _template(line) not in passing
    }
    budget = 2 * truth("\n".join(sorted(new)), "o200k_base") + 300
    baseline = str(FIXTURES / f"{tool}-pass.log")
    text = _compress(tmp_path, FIXTURES / f"{tool}-fail.log", budget, "--baseline", baseline)
    kept = {line.strip() for line in text.splitlines()}
    assert sorted(new - kept) == []


def test_json_stats_and_the_input_is_untouched(tmp_path: Path, capsys) -> None:
    log = _log(tmp_path)
    before = log.read_bytes()
    assert main(["compress", str(log), "--budget", "600", "--json", "--compare"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert set(stats) >= {
        "input_tokens", "output_tokens", "budget", "profile", "kept_lines", "dropped_lines",
    }  # fmt: skip
    assert stats["input_tokens"] == truth(log.read_text(), "o200k_base")
    assert stats["output_tokens"] <= 600 and stats["profile"] == "default"
    naive = stats["naive_head_tail"]
    assert naive["output_tokens"] <= 600
    assert log.read_bytes() == before


def test_output_file_is_written_whole_and_twice_the_same(tmp_path: Path) -> None:
    log = _log(tmp_path)
    first = _compress(tmp_path, log, 500)
    assert "BUILD FAILURE" in first and MAVEN_FAILURE in first
    assert truth(first, "o200k_base") <= 500
    assert _compress(tmp_path, log, 500) == first  # byte-identical reruns
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_memory_when_asked_changes_no_kept_line(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = set(log.read_text().splitlines()) | {
        _ANSI.sub("", line) for line in log.read_text().splitlines()
    }
    for _ in range(2):
        text = _compress(tmp_path, log, 500, "--memory")
        assert all(line in lines or line.startswith("… ") for line in text.splitlines())


def test_stdin_and_usage_errors(tmp_path: Path) -> None:
    log = _log(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "tokenls", "compress", "-", "--budget", "300"],
        input=log.read_bytes(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0 and b"BUILD FAILURE" in result.stdout
    assert main(["compress", str(tmp_path / "missing.log")]) == 2
    assert main(["compress", str(log), "--profile", "nonsense"]) == 2
    assert main(["compress", str(log), "--budget", "0"]) == 2
    assert main(["compress", str(log), "--baseline", str(tmp_path / "missing.log")]) == 2


def test_custom_profile_from_config(tmp_path: Path, capsys) -> None:
    log = _log(tmp_path)
    (tmp_path / "tokenls.toml").write_text(
        "[compress.profiles.late]\nreserve = 0.8\n"
        '[compress.profiles.tight]\nextends = "late"\nreserve = 0.2\n'
    )
    assert main(["compress", str(log), "--profile", "tight", "--json", "--budget", "600"]) == 0
    assert json.loads(capsys.readouterr().out)["profile"] == "tight"
    texts = {}
    for name in ("late", "tight"):
        out = tmp_path / f"{name}.log"
        args = ["--profile", name, "--budget", "600", "-q", "-o", str(out)]
        assert main(["compress", str(log), *args]) == 0
        texts[name] = out.read_text()
    assert texts["late"] != texts["tight"]  # the reserve is the one setting, and it tells


def test_the_retired_built_in_profile_names_say_what_to_do(tmp_path: Path, capsys) -> None:
    log = _log(tmp_path)
    assert main(["compress", str(log), "--profile", "test_logs"]) == 2
    err = capsys.readouterr().err
    assert "profile 'test_logs' is no longer built in" in err
    assert "define [compress.profiles.test_logs]" in err


def test_a_killed_run_leaves_no_partial_output(tmp_path: Path) -> None:
    out = tmp_path / "out.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tokenls", "compress", "-", "-o", str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    proc.stdin.write(passing_output(20_000).encode())  # the log is still streaming in ...
    proc.stdin.flush()
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGKILL)  # ... when the run is killed
    proc.wait()
    proc.stdin.close()
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind either
