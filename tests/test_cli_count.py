from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import truth
from tokenls.cli.main import main

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


# -- honest totals ---------------------------------------------------------------------------


@pytest.fixture
def imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "CLAUDE.md").write_text("Read @b.md first.\n")
    (tmp_path / "b.md").write_text("The rules, once.\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_directory_total_counts_each_text_once(imports: Path, capsys) -> None:
    own = truth("Read @b.md first.\n", "o200k_base")
    b = truth("The rules, once.\n", "o200k_base")
    code, report = _count_json(capsys, ".")
    assert code == 0
    by_name = {f["path"]: f["tokens"] for f in report["files"]}
    assert by_name == {"CLAUDE.md": own + b, "b.md": b}  # each file as the editor shows it
    assert report["total"] == own + b  # not own + 2 * b
    assert main(["count", "--tree", "."]) == 0
    tree = capsys.readouterr().out.splitlines()
    assert tree[0].split() == [str(own + b), "./"]
    # a reference outside the counted files is still counted, once
    code, report = _count_json(capsys, "CLAUDE.md")
    assert report["total"] == own + b


def test_compare_sets_each_text_against_its_own_estimate(imports: Path, capsys) -> None:
    assert main(["count", "--compare", "CLAUDE.md"]) == 0
    captured = capsys.readouterr()
    text = "Read @b.md first.\n"
    row = next(line for line in captured.out.splitlines() if line.endswith("CLAUDE.md"))
    tokens, estimate, error, _path = row.split()
    exact = truth(text, "o200k_base")
    assert (int(tokens), int(estimate)) == (exact, len(text) // 4)
    assert error == f"{(len(text) // 4 - exact) / exact * 100:+.1f}%"
    assert "references are left out" in captured.err


def test_top_lists_the_biggest_files_and_references(tmp_path: Path, capsys) -> None:
    (tmp_path / ".git").mkdir()
    sizes = {"a.md": 5, "b.md": 40, "c.md": 20, "d.md": 1}
    for name, words in sizes.items():
        (tmp_path / name).write_text("word " * words)
    (tmp_path / "AGENTS.md").write_text("@b.md and @c.md\n")
    assert main(["count", "--top", "2", "--no-ignore", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [Path(line.split()[-1]).name for line in lines[:2]] == ["AGENTS.md", "b.md"]
    assert "the 2 biggest of 5 files" in lines[2]
    assert lines[3] == "biggest references:"
    assert lines[4].split()[1].endswith("b.md") and "(from" in lines[4]
    _code, report = _count_json(capsys, "--top", "1", str(tmp_path))
    assert [Path(f["path"]).name for f in report["files"]] == ["AGENTS.md"]
    assert report["files_counted"] == 5 and len(report["top_references"]) == 1


def test_skipped_files_are_summarised_in_text_output(tmp_path: Path, capsys) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01" * 100)
    (tmp_path / "note.txt").write_text("hello world")
    assert main(["count", str(tmp_path), str(tmp_path / "gone.md"), str(tmp_path / "x.md")]) == 2
    err = capsys.readouterr().err
    assert f"1 binary file skipped ({tmp_path.as_posix()}/blob.bin)" in err
    assert "2 paths not counted" in err
    assert main(["count", "--quiet", str(tmp_path)]) == 0
    assert capsys.readouterr().err == ""


def test_json_outputs_carry_a_schema_version(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.txt").write_text("hello")
    _code, report = _count_json(capsys, str(tmp_path))
    assert report["schema_version"] == 1
    assert main(["compress", str(tmp_path / "a.txt"), "--json", "--no-memory"]) == 0
    assert json.loads(capsys.readouterr().out)["schema_version"] == 1


# -- what is walked --------------------------------------------------------------------------


def _git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))  # no global excludes
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("*.log\nbuild/\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".gitignore").write_text("!keep.log\n")
    (tmp_path / "sub" / "keep.log").write_text("kept by a nested negation")
    (tmp_path / "sub" / "drop.log").write_text("ignored")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "out.md").write_text("built output")
    (tmp_path / "run.log").write_text("ignored, unless named")
    return tmp_path


def _names(report: dict) -> set[str]:
    return {f["path"] for f in report["files"]}


def test_named_paths_are_counted_even_when_ignored(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(_git_repo(tmp_path, monkeypatch))
    _code, report = _count_json(capsys, ".")
    assert _names(report) == {".gitignore", "sub/.gitignore", "sub/keep.log"}
    _code, report = _count_json(capsys, "run.log", "build")
    assert _names(report) == {"run.log", "build/out.md"}
    assert report["total"] == truth("ignored, unless named", "o200k_base") + truth(
        "built output", "o200k_base"
    )


def test_no_ignore_counts_everything(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(_git_repo(tmp_path, monkeypatch))
    _code, report = _count_json(capsys, "--no-ignore", ".")
    assert _names(report) == {
        ".gitignore",
        "sub/.gitignore",
        "sub/keep.log",
        "sub/drop.log",
        "build/out.md",
        "run.log",
    }


def test_an_oversized_prompt_is_counted_as_text_and_summarised(
    imports: Path, capsys, monkeypatch
) -> None:
    import tokenls.tree.filecount

    monkeypatch.setattr(tokenls.tree.filecount, "PROMPT_MAX_BYTES", 8)
    code, report = _count_json(capsys, "CLAUDE.md")
    [entry] = report["files"]
    assert code == 0 and entry["oversized"] is True and "references" not in entry
    assert entry["tokens"] == truth("Read @b.md first.\n", "o200k_base")
    assert main(["count", "CLAUDE.md"]) == 0
    assert "1 prompt over" in (err := capsys.readouterr().err)
    assert "MB counted without references (CLAUDE.md)" in err
