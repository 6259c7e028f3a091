"""The command line as a Unix tool: standard input and output, pipes, errors, exit codes,
and output files with the mode a plain ``>`` redirect would give."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import truth
from tests.logs import failing_build
from tokenls.cli.main import main

TOKENLS = [sys.executable, "-m", "tokenls"]


def _run(*args: str, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run(
        [*TOKENLS, *args], input=stdin, capture_output=True, timeout=120, cwd=cwd, env=env
    )


def _log(tmp_path: Path) -> Path:
    log = tmp_path / "ci.log"
    log.write_text(failing_build(3000))
    return log


# -- standard input and output ---------------------------------------------------------


def test_count_reads_standard_input() -> None:
    text = "Standard input, counted like any file.\r\nwith CRLF\n"
    expected = {
        "path": "-",
        "tokens": truth(text, "o200k_base"),
        "exact": True,
        "bytes": len(text),
        "encoding": "o200k_base",
    }
    for args in (["-"], []):  # with no PATH, piped standard input is read (as wc reads it)
        result = _run("count", "--json", *args, stdin=text.encode())
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["files"] == [expected]
        assert report["total"] == truth(text, "o200k_base")


def test_stdin_filename_counts_standard_input_as_that_prompt(tmp_path: Path) -> None:
    (tmp_path / "rules.md").write_text("Always write tests first.\n")
    text = "Read @rules.md before anything.\n"
    result = _run(
        "count", "--json", "--stdin-filename", "CLAUDE.md", "-", stdin=text.encode(), cwd=tmp_path
    )
    [entry] = json.loads(result.stdout)["files"]
    assert entry["path"] == "CLAUDE.md"
    assert entry["own_tokens"] == truth(text, "o200k_base")
    assert entry["tokens"] == truth(text, "o200k_base") + truth(
        "Always write tests first.\n", "o200k_base"
    )


def test_check_reads_standard_input(tmp_path: Path) -> None:
    (tmp_path / "tokenls.toml").write_text("budget = 10\n")
    text = "many words in this prompt " * 10
    result = _run("check", "--format", "json", "-", stdin=text.encode(), cwd=tmp_path)
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["path"] == "-" and finding["code"] == "budget"


def test_compress_output_dash_is_standard_output(tmp_path: Path) -> None:
    log = _log(tmp_path)
    result = _run("compress", str(log), "--budget", "400", "--no-memory", "-o", "-", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert b"BUILD FAILURE" in result.stdout
    assert not (tmp_path / "-").exists()
    assert truth(result.stdout.decode(), "o200k_base") <= 400


def test_compress_reads_standard_input_to_an_output_file(tmp_path: Path) -> None:
    log = _log(tmp_path)
    out = tmp_path / "short.log"
    result = _run(
        "compress", "-", "--budget", "400", "--no-memory", "-o", str(out), stdin=log.read_bytes()
    )
    assert result.returncode == 0, result.stderr
    assert "BUILD FAILURE" in out.read_text() and result.stdout == b""


# -- quiet pipes ---------------------------------------------------------------------------


def _piped_to_head(
    args: list[str], cwd: Path, stdin: Path | None = None
) -> tuple[int, bytes, bytes]:
    """``tokenls ARGS | head -1`` through a real pipe; the exit code is tokenls's own."""
    read_end, write_end = os.pipe()
    head = subprocess.Popen(["head", "-1"], stdin=read_end, stdout=subprocess.PIPE)
    with open(stdin or os.devnull, "rb") as source:
        tokenls = subprocess.Popen(
            [*TOKENLS, *args], stdin=source, stdout=write_end, stderr=subprocess.PIPE, cwd=cwd
        )
    os.close(read_end)
    os.close(write_end)  # only the two processes hold the pipe now
    out, _ = head.communicate(timeout=120)
    _, err = tokenls.communicate(timeout=120)
    return tokenls.returncode, out, err


def test_a_closed_pipe_ends_count_quietly(tmp_path: Path) -> None:
    for index in range(6000):  # more output than a pipe holds
        (tmp_path / f"file{index:04}.txt").write_text(f"file number {index}\n")
    code, out, err = _piped_to_head(["count", "--tree", "."], tmp_path)
    assert code == 0
    assert out.decode().endswith("./\n")
    assert b"Traceback" not in err and b"BrokenPipe" not in err
    assert err == b""


def test_a_closed_pipe_ends_compress_quietly(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    log.write_text("\n".join(f"INFO line {i} with a payload {i * 7919}" for i in range(60000)))
    code, out, err = _piped_to_head(
        ["compress", "-", "--budget", "1000000", "--no-memory", "-q"], tmp_path, log
    )
    assert code == 0
    assert out.startswith(b"INFO line 0")
    assert err == b""


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--format", "json", "."],
        ["check", "--format", "sarif", "."],
        ["check", "--format", "github", "."],
        ["count", "--json", "."],
    ],
)
def test_a_closed_pipe_ends_every_format_quietly(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "tokenls.toml").write_text("budget = 3\n")
    for index in range(400):  # findings enough to fill a pipe
        (tmp_path / f"prompt{index:03}.md").write_text(f"prompt {index} over a tiny budget\n")
    code, out, err = _piped_to_head(args, tmp_path)
    assert code == (0 if args[0] == "count" else 1)
    assert out and err == b""


# -- a full disk -----------------------------------------------------------------------------

_FULL = "/dev/full"


@pytest.mark.skipif(not os.path.exists(_FULL), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [
        ["count", "."],
        ["count", "--json", "."],
        ["count", "--tree", "."],
        ["check", "."],
        ["check", "--format", "json", "."],
        ["check", "--format", "sarif", "."],
        ["check", "--format", "github", "."],
        ["compress", "ci.log", "--no-memory"],
        ["compress", "ci.log", "--no-memory", "--json", "-o", os.devnull],
    ],
)
def test_a_full_standard_output_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    _log(tmp_path)
    (tmp_path / "tokenls.toml").write_text("budget = 3\n")
    (tmp_path / "p.md").write_text("a prompt over its budget of three tokens\n")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    with open(_FULL, "wb") as full:
        result = subprocess.run(
            [*TOKENLS, *args],
            stdout=full,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )
    assert result.returncode == 2
    assert result.stderr.decode().splitlines()[-1:] == [
        "tokenls: cannot write to standard output: No space left on device"
    ]
    assert b"Traceback" not in result.stderr and b"Exception ignored" not in result.stderr


@pytest.mark.skipif(not os.path.exists(_FULL), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [
        ["check", "-o", _FULL, "."],
        ["check", "--format", "sarif", "-o", _FULL, "."],
        ["compress", "ci.log", "--no-memory", "-o", _FULL],
    ],
)
def test_a_full_output_file_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    _log(tmp_path)
    (tmp_path / "tokenls.toml").write_text("budget = 3\n")
    (tmp_path / "p.md").write_text("a prompt over its budget of three tokens\n")
    result = _run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().splitlines() == [
        f"tokenls: {_FULL}: cannot write: No space left on device"
    ]


# -- errors are one line, exit 2 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["count", "--jobs", "0", "."], "--jobs: must be at least 1"),
        (["count", "--top", "-3", "."], "--top: must be at least 1"),
        (["compress", "LOG", "--budget", "1"], "--budget 1 is below the minimum"),
        (["compress", "LOG", "-o", "missing/dir/out.log"], "missing/dir/out.log: cannot write"),
        (["compress", "LOG", "-o", "/proc/version"], "/proc/version: cannot write"),
        (["compress", "LOG", "-o", "."], ".: cannot write: is a directory"),
        (["compress", "BIN"], "binary input"),
        (["compress", "nope.log"], "nope.log: cannot read"),
        (["check", "nope.md"], "nope.md: no such file or directory"),
        (["count", "--frobnicate", "."], "unrecognized arguments: --frobnicate"),
    ],
)
def test_expected_failures_are_one_line_and_exit_2(tmp_path: Path, args, says) -> None:
    (tmp_path / "ci.log").write_text("ERROR boom\nINFO fine\n")
    (tmp_path / "blob.bin").write_bytes(b"\x7fELF\x00\x00\x01" * 50)
    args = [{"LOG": "ci.log", "BIN": "blob.bin"}.get(a, a) for a in args]
    result = _run(*args, cwd=tmp_path)
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 2
    assert len(lines) == 1 and lines[0].startswith("tokenls: ") and says in lines[0], lines
    assert result.stdout == b""
    if args[0] == "compress" and "-o" in args:
        assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--format", "json", "/nope"],
        ["count", "--json", "--jobs", "0", "."],
        ["compress", "--json", "LOG", "--budget", "1"],
        ["check", "--format=json", "--no-such-option"],
    ],
)
def test_json_errors_are_json(tmp_path: Path, args) -> None:
    (tmp_path / "ci.log").write_text("ERROR boom\n")
    result = _run(*[("ci.log" if a == "LOG" else a) for a in args], cwd=tmp_path)
    assert result.returncode == 2
    document = json.loads(result.stdout)
    assert document["schema_version"] == 1
    [error] = document["errors"]
    assert error["error"] and error["error"] in result.stderr.decode()


def test_count_reports_every_unreadable_path_and_counts_the_rest(tmp_path: Path, capsys) -> None:
    (tmp_path / "ok.txt").write_text("hello world")
    code = main(["count", str(tmp_path / "ok.txt"), str(tmp_path / "a.md"), str(tmp_path / "b.md")])
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert [line for line in err if line.endswith("no such file or directory")] == [
        f"tokenls: {tmp_path / 'a.md'}: no such file or directory",
        f"tokenls: {tmp_path / 'b.md'}: no such file or directory",
    ]


# -- output files: atomic, with a redirect's mode ---------------------------------------------


def _compress_to(log: Path, out: Path) -> None:
    assert main(["compress", str(log), "--budget", "300", "--no-memory", "-q", "-o", str(out)]) == 0


def test_an_existing_output_keeps_its_mode(tmp_path: Path) -> None:
    log = _log(tmp_path)
    out = tmp_path / "out.log"
    out.write_text("old")
    out.chmod(0o644)
    _compress_to(log, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert "BUILD FAILURE" in out.read_text()
    out.chmod(0o600)
    _compress_to(log, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_output_gets_the_mode_a_redirect_gives(tmp_path: Path, umask: int) -> None:
    log = _log(tmp_path)
    out = tmp_path / "new.log"
    redirected = tmp_path / "redirected.log"
    old = os.umask(umask)
    try:
        _compress_to(log, out)
        subprocess.run(["sh", "-c", f"echo x > '{redirected}'"], check=True)  # the oracle
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == stat.S_IMODE(redirected.stat().st_mode)


def test_output_through_a_symlink_writes_the_target(tmp_path: Path) -> None:
    log = _log(tmp_path)
    target = tmp_path / "real.log"
    target.write_text("old")
    link = tmp_path / "link.log"
    link.symlink_to(target)
    _compress_to(log, link)
    assert link.is_symlink() and "BUILD FAILURE" in target.read_text()


def test_output_to_a_device_writes_in_place(tmp_path: Path) -> None:
    log = _log(tmp_path)
    assert (
        main(["compress", str(log), "--budget", "300", "--no-memory", "-q", "-o", os.devnull]) == 0
    )
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_check_writes_its_report_to_an_output_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "tokenls.toml").write_text("budget = 5\n")
    (tmp_path / "p.md").write_text("a prompt that is well over five tokens long\n")
    out = tmp_path / "report.sarif"
    assert main(["check", "--format", "sarif", "-o", str(out), str(tmp_path / "p.md")]) == 1
    assert capsys.readouterr().out == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"


# -- colour ----------------------------------------------------------------------------------


def _on_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> bytes:
    """Run tokenls with its standard output on a pseudo-terminal, as a person sees it."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [*TOKENLS, *args], stdout=follower, stderr=subprocess.DEVNULL, cwd=cwd, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks)


def test_colour_on_a_terminal_only_and_never_with_no_color(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("hello world\n")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["TERM"] = "xterm-256color"
    coloured = _on_a_terminal(["count", "a.md"], env, tmp_path)
    assert b"\x1b[" in coloured and b"a.md" in coloured
    assert b"\x1b[" not in _on_a_terminal(["count", "--no-color", "a.md"], env, tmp_path)
    assert b"\x1b[" not in _on_a_terminal(["count", "a.md"], {**env, "NO_COLOR": "1"}, tmp_path)
    piped = _run("count", "a.md", cwd=tmp_path)
    assert b"\x1b[" not in piped.stdout and b"a.md" in piped.stdout
