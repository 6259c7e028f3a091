from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from tests.conftest import truth
from tokenls.cache.token_cache import TokenCache
from tokenls.engine.counting import Counter
from tokenls.engine.text import split_lines
from tokenls.references import (
    FilePolicy,
    ReferenceRefused,
    Resolver,
    default_syntaxes,
    parse_references,
)
from tokenls.references.files import open_safely, resolve_path


def _refs(text: str, name: str = "CLAUDE.md") -> list[tuple[str, str]]:
    syntaxes = default_syntaxes(name) | {"markdown_link"}
    return [(r.syntax, r.target) for r in parse_references(split_lines(text), syntaxes)]


def test_each_syntax_is_found_with_its_exact_range() -> None:
    text = "Use #file:src/a.py and ${file:b.json}, {{{ ./c.txt }}} then {{ topic }}.\n"
    refs = parse_references(split_lines(text), default_syntaxes("x.prompt"))
    assert [(r.syntax, r.target) for r in refs] == [
        ("hash_file", "src/a.py"),
        ("prompty_file", "b.json"),
        ("continue_file", "./c.txt"),
        ("variable", "topic"),
    ]
    for ref in refs:
        assert text[ref.start : ref.end].startswith(("#file:", "${file:", "{{{", "{{"))


def test_code_is_not_parsed_and_mentions_are_not_imports() -> None:
    text = (
        "Import @docs/rules.md. Mail user@example.com, ping @alice.\n"
        "`@not/imported.md` and ``#file:no.md``\n"
        "```\n@fenced/out.md\n```\n"
        "~~~~\n#file:also/out.md\n~~~~\n"
        "[web](https://example.com) [top](#anchor) [local](./guide.md#part)\n"
    )
    assert _refs(text) == [("at_import", "docs/rules.md"), ("markdown_link", "./guide.md")]


def test_default_syntaxes_follow_the_file_type() -> None:
    assert "at_import" in default_syntaxes("AGENTS.md")
    assert "at_import" not in default_syntaxes("notes.md")
    assert "markdown_link" in default_syntaxes("review.prompt.md")
    assert "file_uri" in default_syntaxes("promptfooconfig.yaml")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.md").write_text("alpha beta gamma\n")
    (tmp_path / "outside.md").write_text("secret outside the workspace\n")
    return root


def _policy(root: Path, **kw) -> FilePolicy:  # type: ignore[no-untyped-def]
    return FilePolicy((root.resolve(),), **kw)


@pytest.mark.parametrize(
    "target, reason",
    [
        ("../outside.md", "outside the workspace"),
        ("docs/../../outside.md", "outside the workspace"),
        ("/etc/passwd", "absolute paths are refused"),
        ("~/.bashrc", "paths under ~ are refused"),
        ("docs/missing.md", "file not found"),
        ("", "empty"),
        ("bad\0name", "malformed"),
    ],
)
def test_hostile_paths_are_refused(workspace: Path, target: str, reason: str) -> None:
    with pytest.raises(ReferenceRefused, match=reason):
        resolve_path(target, workspace, _policy(workspace))


def test_symlinks_out_and_loops_are_refused(workspace: Path, tmp_path: Path) -> None:
    (workspace / "link.md").symlink_to(tmp_path / "outside.md")
    (workspace / "loop1").symlink_to(workspace / "loop2")
    (workspace / "loop2").symlink_to(workspace / "loop1")
    (workspace / "proc").symlink_to("/proc/self/environ")
    policy = _policy(workspace)
    with pytest.raises(ReferenceRefused, match="outside the workspace"):
        resolve_path("link.md", workspace, policy)
    with pytest.raises(ReferenceRefused, match="cannot resolve"):
        resolve_path("loop1", workspace, policy)
    with pytest.raises(ReferenceRefused, match="outside the workspace"):
        resolve_path("proc", workspace, policy)


def test_fifos_devices_and_sockets_are_not_read(workspace: Path) -> None:
    os.mkfifo(workspace / "pipe")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(workspace / "sock"))
    policy = _policy(workspace)
    for name in ("pipe", "sock"):
        with (
            pytest.raises(ReferenceRefused, match="not a regular file"),
            open_safely(resolve_path(name, workspace, policy), policy),
        ):
            pass
    server.close()


def test_a_file_swapped_for_a_symlink_after_the_check_is_refused(
    workspace: Path, tmp_path: Path
) -> None:
    policy = _policy(workspace)
    path = resolve_path("docs/a.md", workspace, policy)
    path.unlink()
    path.symlink_to(tmp_path / "outside.md")  # the race: checked as a file, now a link out
    with pytest.raises(ReferenceRefused, match="cannot open"), open_safely(path, policy):
        pass


def test_size_limit_and_binary_files(workspace: Path) -> None:
    (workspace / "big.txt").write_text("x" * 2000)
    (workspace / "blob.bin").write_bytes(b"\0\1\2" * 10)
    resolver = Resolver(TokenCache(None), _policy(workspace, max_bytes=1000))
    text = "#file:big.txt #file:blob.bin #file:docs/a.md\n"
    refs = parse_references(split_lines(text), {"hash_file"})
    big, blob, ok = resolver.resolve(refs, workspace, Counter("o200k_base"), {})
    assert big.status == "error" and "1,000-byte limit" in big.error
    assert blob.status == "error" and "binary" in blob.error
    assert ok.status == "ok" and ok.tokens == truth("alpha beta gamma\n", "o200k_base")


def test_targets_are_counted_once_and_variables_bind(workspace: Path) -> None:
    resolver = Resolver(TokenCache(None), _policy(workspace))
    text = "#file:docs/a.md #file:./docs/a.md {{ who }} {{ missing }}\n"
    refs = parse_references(split_lines(text), {"hash_file", "variable"})
    first, second, bound, unbound = resolver.resolve(
        refs, workspace, Counter("o200k_base"), {"who": "the on-call engineer"}
    )
    assert first.tokens > 0 and not first.duplicate
    assert second.duplicate
    assert bound.tokens == truth("the on-call engineer", "o200k_base")
    assert unbound.status == "unbound" and "not counted" in unbound.error
    assert [r.counts for r in (first, second, bound, unbound)] == [True, False, True, False]


def test_a_repeated_target_is_marked_duplicate_with_its_former_name_too(workspace: Path) -> None:
    from tokenls.lsp.session import Session

    session = Session()
    session.roots = [workspace]
    uri = (workspace / "p.md").as_uri()
    session.open(uri, "#file:docs/a.md and again #file:docs/a.md\n", 1)
    first, second = session.document_tokens(uri)["references"]
    body = (workspace / "docs" / "a.md").read_text()
    assert (first["duplicate"], first["countedOnce"]) == (False, False)
    assert first["tokens"] == truth(body, "o200k_base")
    assert (second["duplicate"], second["countedOnce"], second["tokens"]) == (True, True, 0)


def test_nested_imports_cycles_and_depth(workspace: Path) -> None:
    (workspace / "a.md").write_text("A imports @b.md\n")
    (workspace / "b.md").write_text("B imports @c.md and @a.md\n")
    (workspace / "c.md").write_text("C is a leaf\n")
    chain = [workspace / f"n{i}.md" for i in range(8)]
    for i, path in enumerate(chain):
        path.write_text(f"level {i} @n{i + 1}.md\n" if i < 7 else "bottom\n")
    resolver = Resolver(TokenCache(None), _policy(workspace))
    refs = parse_references(split_lines("@a.md\n@n0.md\n"), {"at_import"})
    top, deep = resolver.resolve(refs, workspace, Counter("o200k_base"), {})
    expected = sum(
        truth((workspace / n).read_text(), "o200k_base") for n in ("a.md", "b.md", "c.md")
    )
    assert top.tokens == expected
    assert "import cycle: a.md → b.md → a.md" in top.error
    assert len(deep.imports) == 4  # n0 plus 4 nested hops = 5 files
    assert "deeper than 5" in deep.error


def test_counts_come_from_memory_then_disk_after_restart(workspace: Path, tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    refs = parse_references(split_lines("#file:docs/a.md\n"), {"hash_file"})
    first = Resolver(TokenCache(directory), _policy(workspace))
    assert first.resolve(refs, workspace, Counter("o200k_base"), {})[0].source == "fresh"
    assert first.resolve(refs, workspace, Counter("o200k_base"), {})[0].source == "memory"
    first.cache.close()
    restarted = Resolver(TokenCache(directory), _policy(workspace))
    result = restarted.resolve(refs, workspace, Counter("o200k_base"), {})[0]
    assert result.source == "disk" and result.tokens == truth("alpha beta gamma\n", "o200k_base")


def test_corrupt_or_deleted_cache_is_rebuilt(workspace: Path, tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    refs = parse_references(split_lines("#file:docs/a.md\n"), {"hash_file"})
    Resolver(TokenCache(directory), _policy(workspace)).resolve(
        refs, workspace, Counter("o200k_base"), {}
    )
    for db in directory.glob("*.db"):
        db.write_bytes(b"this is not a sqlite database" * 100)
    cache = TokenCache(directory)
    result = Resolver(cache, _policy(workspace)).resolve(
        refs, workspace, Counter("o200k_base"), {}
    )[0]
    assert result.status == "ok" and result.tokens == truth("alpha beta gamma\n", "o200k_base")
    assert cache.stats.rebuilt >= 1 and cache.describe()["disk"] is True
    cache.put("k", 1)
    assert TokenCache(directory).get("k") == (1, "disk")


def test_cache_is_shared_safely_between_threads(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "c")
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                cache.put(f"{n}:{i}", i)
                assert cache.get(f"{n}:{i}")[0] == i
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
