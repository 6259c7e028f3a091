from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import truth
from tests.test_compress import FIXTURES, _noise
from tokenls.cli import main


def _log(tmp_path: Path) -> Path:
    log = tmp_path / "ci.log"
    log.write_text(_noise(5000) + (FIXTURES / "maven.log").read_text() + _noise(500, seed=3))
    return log


def test_json_stats_and_the_input_is_untouched(tmp_path: Path, capsys) -> None:
    log = _log(tmp_path)
    before = log.read_bytes()
    assert (
        main(["compress", str(log), "--budget", "600", "--json", "--no-memory", "--compare"]) == 0
    )
    stats = json.loads(capsys.readouterr().out)
    assert set(stats) >= {
        "input_tokens",
        "output_tokens",
        "budget",
        "profile",
        "kept_lines",
        "dropped_lines",
        "templates",
    }
    assert stats["input_tokens"] == truth(log.read_text(), "o200k_base")
    assert stats["output_tokens"] <= 600 and stats["profile"] == "test_logs"
    naive = stats["naive_head_tail"]
    assert naive["failure_lines_kept"] < naive["failure_lines_total"]
    assert log.read_bytes() == before


def test_output_file_is_written_whole(tmp_path: Path, capsys) -> None:
    log = _log(tmp_path)
    out = tmp_path / "small.log"
    assert main(["compress", str(log), "--budget", "500", "-o", str(out), "--no-memory"]) == 0
    text = out.read_text()
    assert "BUILD FAILURE" in text and truth(text, "o200k_base") <= 500
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_stdin_and_usage_errors(tmp_path: Path) -> None:
    log = _log(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "tokenls", "compress", "-", "--budget", "300", "--no-memory"],
        input=log.read_bytes(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0 and b"BUILD FAILURE" in result.stdout
    assert main(["compress", str(tmp_path / "missing.log")]) == 2
    assert main(["compress", str(log), "--profile", "nonsense"]) == 2
    assert main(["compress", str(log), "--budget", "0"]) == 2


def test_custom_profile_from_config(tmp_path: Path, capsys) -> None:
    log = _log(tmp_path)
    (tmp_path / "tokenls.toml").write_text(
        '[compress.profiles.tight]\nextends = "test_logs"\ncontext_lines = 0\nreserve = 0.5\n'
    )
    assert main(["compress", str(log), "--profile", "tight", "--json", "--no-memory"]) == 0
    assert json.loads(capsys.readouterr().out)["profile"] == "tight"


def test_a_killed_run_leaves_no_partial_output(tmp_path: Path) -> None:
    out = tmp_path / "out.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tokenls", "compress", "-", "-o", str(out), "--no-memory"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    proc.stdin.write(_noise(20_000).encode())  # the log is still streaming in ...
    proc.stdin.flush()
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGKILL)  # ... when the run is killed
    proc.wait()
    proc.stdin.close()
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind either
