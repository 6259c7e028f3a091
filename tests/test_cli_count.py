from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import truth
from tokenls.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _count_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["count", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_json_counts_equal_tiktoken(tmp_path: Path, capsys, encoding: str) -> None:
    text = "# Title\r\n\r\nSome prose, with CRLF line ends.\rand a lone CR\n"
    (tmp_path / "a.md").write_bytes(text.encode())
    (tmp_path / "empty.txt").write_bytes(b"")
    code, report = _count_json(capsys, "--encoding", encoding, str(tmp_path))
    assert code == 0
    assert report["encoding"] == encoding
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    assert by_name["a.md"]["tokens"] == truth(text, encoding)
    assert by_name["a.md"]["exact"] is True
    assert by_name["empty.txt"]["tokens"] == 0
    assert report["total"] == truth(text, encoding)


def test_non_utf8_is_replaced_and_flagged(tmp_path: Path, capsys) -> None:
    (tmp_path / "latin1.txt").write_bytes("café crème\n".encode("latin-1"))
    code, report = _count_json(capsys, str(tmp_path / "latin1.txt"))
    assert code == 0
    [entry] = report["files"]
    assert entry["decode_errors"] is True
    assert entry["tokens"] == truth(
        "café crème\n".encode("latin-1").decode("utf-8", "replace"), "o200k_base"
    )


def test_binary_files_are_skipped(tmp_path: Path, capsys) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "note.txt").write_text("hello world")
    code, report = _count_json(capsys, str(tmp_path))
    assert code == 0
    assert [Path(f["path"]).name for f in report["files"]] == ["note.txt"]
    assert [Path(p).name for p in report["skipped_binary"]] == ["blob.bin"]


def test_unreadable_paths_exit_2_and_the_rest_is_counted(tmp_path: Path, capsys) -> None:
    (tmp_path / "ok.txt").write_text("hello world")
    (tmp_path / "dangling").symlink_to(tmp_path / "missing-target")
    code = main(["count", "--json", str(tmp_path), str(tmp_path / "nope.md")])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert code == 2
    assert [Path(f["path"]).name for f in report["files"]] == ["ok.txt"]
    assert {Path(e["path"]).name for e in report["errors"]} == {"dangling", "nope.md"}
    assert "nope.md" in captured.err


def test_gitignore_is_honoured(tmp_path: Path, capsys) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("build/\n*.log\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "out.md").write_text("ignored")
    (tmp_path / "run.log").write_text("ignored")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".gitignore").write_text("secret.md\n")
    (tmp_path / "sub" / "secret.md").write_text("ignored")
    (tmp_path / "sub" / "kept.md").write_text("kept")
    code, report = _count_json(capsys, str(tmp_path))
    assert code == 0
    names = sorted(Path(f["path"]).name for f in report["files"])
    assert names == [".gitignore", ".gitignore", "kept.md"]


def test_large_file_streams_to_the_exact_count(tmp_path: Path, capsys) -> None:
    source = (Path(os.__file__).read_text() + "\n\n  \n/x\n") * 12  # ~1.5 MB, several chunks
    (tmp_path / "big.py").write_text(source)
    code, report = _count_json(capsys, str(tmp_path / "big.py"))
    assert code == 0
    assert report["files"][0]["tokens"] == truth(source, "o200k_base")


def test_pathological_run_is_marked_inexact_with_a_bound(tmp_path: Path, capsys) -> None:
    (tmp_path / "spaces.txt").write_text("x" + " " * 2_000_000 + "y")
    code, report = _count_json(capsys, str(tmp_path / "spaces.txt"))
    [entry] = report["files"]
    assert code == 0
    assert entry["exact"] is False
    assert entry["tokens"] <= entry["upper_bound"] <= 2_000_002


def test_tree_and_compare_outputs(tmp_path: Path, capsys) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.md").write_text("alpha beta gamma\n")
    (tmp_path / "b.md").write_text("delta\n")
    assert main(["count", "--tree", str(tmp_path)]) == 0
    tree = capsys.readouterr().out.splitlines()
    total = truth("alpha beta gamma\n", "o200k_base") + truth("delta\n", "o200k_base")
    assert tree[0].split()[0] == str(total) and tree[0].endswith(f"{tmp_path.as_posix()}/")
    assert any(line.strip().endswith("/d/") for line in tree)
    assert main(["count", "--compare", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["tokens", "chars/4", "error"]
    assert lines[-1].split()[0] == str(total) and "%" in lines[-1]


def test_module_entry_point_runs_offline() -> None:
    env = {
        **os.environ,
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "TIKTOKEN_CACHE_DIR": "/nonexistent",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tokenls", "count", "--json", str(ROOT / "README.md")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["total"] == truth((ROOT / "README.md").read_text(), "o200k_base")
