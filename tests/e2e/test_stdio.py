"""The server's stdio loop: standard input as a pipe (read by asyncio) or as a file, and
input that is not LSP at all ends the server instead of hanging it."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

SERVE = [sys.executable, "-m", "tokenls", "serve"]


def _frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _session(root: Path) -> bytes:
    return b"".join(
        _frame(m)
        for m in (
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": root.as_uri(), "capabilities": {}},
            },
            {"jsonrpc": "2.0", "method": "initialized", "params": {}},
            {"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None},
            {"jsonrpc": "2.0", "method": "exit", "params": None},
        )
    )


def _answers(stdout: bytes) -> dict[object, dict[str, object]]:
    found = {}
    for chunk in stdout.split(b"Content-Length: ")[1:]:
        body = chunk.split(b"\r\n\r\n", 1)[1]
        message = json.loads(body)
        if "id" in message:
            found[message["id"]] = message
    return found


def test_a_pipe_session_answers_and_exits_cleanly(tmp_path: Path) -> None:
    out = subprocess.run(SERVE, input=_session(tmp_path), capture_output=True, timeout=60)
    answers = _answers(out.stdout)
    assert answers[1]["result"]["serverInfo"]["name"] == "tokenls"  # type: ignore[index]
    assert answers[2]["result"] is None
    assert out.returncode == 0


def test_standard_input_from_a_file_is_served_too(tmp_path: Path) -> None:
    messages = tmp_path / "messages.bin"
    messages.write_bytes(_session(tmp_path))
    with messages.open("rb") as stdin:
        out = subprocess.run(SERVE, stdin=stdin, capture_output=True, timeout=60)
    assert set(_answers(out.stdout)) == {1, 2}
    assert out.returncode == 0


def test_input_that_is_not_lsp_ends_the_server(tmp_path: Path) -> None:
    # A "header" of 3 MB with no line break, then the end of input: no hang, no answer.
    out = subprocess.run(SERVE, input=b"x" * (3 << 20), capture_output=True, timeout=60)
    assert _answers(out.stdout) == {}
    assert out.returncode == 1 and b"longer than" in out.stderr


def test_a_client_gone_mid_message_ends_the_server(tmp_path: Path) -> None:
    cut = _session(tmp_path)[:-30]  # ends inside the last body
    out = subprocess.run(SERVE, input=cut, capture_output=True, timeout=60)
    assert set(_answers(out.stdout)) == {1, 2}


def _initialize(root: Path) -> bytes:
    return _frame(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": root.as_uri(), "capabilities": {}},
        }
    )


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        (b"Content-Type: application/vscode-jsonrpc\r\n\r\n{}", "without a Content-Length"),
        (b"Content-Length: twelve\r\n\r\n{}", "not a byte count"),
        (b"Content-Length: -2\r\n\r\n{}", "not a byte count"),
        (b"hello there\r\n\r\n", "without a colon"),
        (b"x" * (2 << 20), "longer than"),
    ],
)
def test_a_broken_frame_ends_the_server_with_a_reason_for_the_client_to_restart_it(
    tmp_path: Path, broken: bytes, reason: str
) -> None:
    # Standard input stays open: before, the server stayed up, answering nothing ever again.
    later = _frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
    process = subprocess.Popen(
        SERVE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdin is not None and process.stdout and process.stderr
    try:
        with contextlib.suppress(BrokenPipeError):  # it may stop reading mid-line
            process.stdin.write(_initialize(tmp_path) + broken + later)
            process.stdin.flush()
        code = process.wait(timeout=60)  # its input still open
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 1
    assert set(_answers(process.stdout.read())) == {1}  # answered before, never after
    stderr = process.stderr.read().decode()
    assert reason in stderr and "starts the server again" in stderr


def test_stray_blank_lines_and_any_header_case_keep_the_framing(tmp_path: Path) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None}).encode()
    lower = b"\r\ncontent-length: %d\r\ncontent-type: application/json\r\n\r\n" % len(body)
    exit_ = _frame({"jsonrpc": "2.0", "method": "exit", "params": None})
    out = subprocess.run(
        SERVE, input=_initialize(tmp_path) + lower + body + exit_, capture_output=True, timeout=60
    )
    assert set(_answers(out.stdout)) == {1, 2}
    assert out.returncode == 0
