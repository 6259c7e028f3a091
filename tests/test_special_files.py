"""A FIFO, device or directory where tokenls expects a file (a tokenizer, a config, a
variables file) is a clear error at once: never a read that waits for a writer for ever."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import truth
from tokenls.config import read_config
from tokenls.engine.tokenizer_files import TokenizerFileError, load_tokenizer
from tokenls.files.regular import FileTooLarge, NotRegularFile, read_regular
from tokenls.lsp.session import Session

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
BOUND_S = 30  # far beyond any answer; a blocked read would never return at all


def _workspace(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    (root / "p.md").write_text("hello world\n")
    os.mkfifo(root / "tok.json")
    os.mkfifo(root / "vars.yaml")
    return root


def _tokenls(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokenls", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=BOUND_S,  # raises (fails the test) if the run blocks
    )


def _within_bound(work: Callable[[], Any], fifo: Path) -> Any:
    """``work()``'s result (or its exception); a failure, not a hung run, when it blocks
    on ``fifo``."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(BOUND_S)
    if thread.is_alive():
        with contextlib.suppress(OSError):  # a writer lets the blocked open return
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(f"blocked on the FIFO {fifo.name}")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def test_read_regular_refuses_fifos_directories_and_devices_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    for path, kind in ((tmp_path / "fifo", "a FIFO"), (tmp_path, "a directory")):
        with pytest.raises(NotRegularFile) as refused:
            _within_bound(lambda p=path: read_regular(p, 1000), tmp_path / "fifo")
        assert refused.value.strerror == f"{kind}, not a regular file"
    if os.path.exists("/dev/zero"):  # endless: a plain read would fill memory
        with pytest.raises(NotRegularFile, match="a device"):
            read_regular("/dev/zero", 1000)
    (tmp_path / "big").write_bytes(b"x" * 1001)
    with pytest.raises(FileTooLarge):
        read_regular(tmp_path / "big", 1000)
    assert read_regular(tmp_path / "big", 1001) == b"x" * 1001


def test_a_fifo_tokenizer_file_is_refused_by_name(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "tok.json")
    with pytest.raises(TokenizerFileError) as refused:
        _within_bound(lambda: load_tokenizer(str(tmp_path / "tok.json")), tmp_path / "tok.json")
    assert str(refused.value) == (
        f"tokenizer file {tmp_path / 'tok.json'}: cannot read (a FIFO, not a regular file)"
    )


def test_a_fifo_tokenizer_file_in_the_config_exits_2(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws")
    (root / "tokenls.toml").write_text('encoding = "tok.json"\n')
    run = _tokenls(root, "count", "p.md")
    assert run.returncode == 2
    assert "tok.json: cannot read (a FIFO, not a regular file)" in run.stderr


def test_a_fifo_tokenizer_file_in_frontmatter_is_not_used_and_the_file_counts(
    tmp_path: Path,
) -> None:
    root = _workspace(tmp_path / "ws")
    text = "---\ntokenls:\n  encoding: tok.json\n---\nhello world\n"
    (root / "p.md").write_text(text)
    run = _tokenls(root, "check", "p.md")
    assert run.returncode == 0, run.stderr
    assert "tok.json: cannot read (a FIFO, not a regular file); not used" in run.stdout
    session = Session()  # the language server's core: one blocked read stops every request
    session.roots = [root]
    uri = (root / "p.md").as_uri()
    session.open(uri, text, 1)
    payload = _within_bound(lambda: session.document_tokens(uri), root / "tok.json")
    assert payload["encoding"] == "o200k_base" and payload["tokens"] == truth(text, "o200k_base")


@pytest.mark.parametrize("name", ["tokenls.toml", "pyproject.toml"])
def test_a_fifo_config_file_is_a_problem_not_a_wait(tmp_path: Path, name: str) -> None:
    root = _workspace(tmp_path / "ws")
    os.mkfifo(root / name)
    run = _tokenls(root, "count", "p.md")
    assert run.returncode == 2
    assert run.stderr == (
        f"tokenls: {root / name}: <file>: cannot read: a FIFO, not a regular file\n"
    )
    found = _within_bound(lambda: read_config(root / name), root / name)
    assert found is not None and found.problem is not None


def test_a_fifo_user_config_is_not_waited_on(tmp_path: Path, user_config: Path) -> None:
    root = _workspace(tmp_path / "ws")
    os.mkfifo(user_config)
    run = _tokenls(root, "count", "p.md")
    assert run.returncode == 0, run.stderr
    assert "p.md" in run.stdout


@pytest.mark.parametrize("where", ["config", "frontmatter"])
def test_a_fifo_variables_file_is_a_finding_and_the_prompt_counts(
    tmp_path: Path, where: str
) -> None:
    root = _workspace(tmp_path / "ws")
    text = "Dear {{ name }}\n"
    if where == "config":
        (root / "tokenls.toml").write_text('variables_file = "vars.yaml"\n')
    else:
        text = "---\ntokenls:\n  variables_file: vars.yaml\n---\n" + text
    (root / "p.md").write_text(text)
    run = _tokenls(root, "check", "p.md")
    assert run.returncode == 0, run.stderr
    assert "variables file: vars.yaml is not a regular file" in run.stdout
