"""toktok-rs (``tokenls[fast]``) counts exactly what tiktoken counts, and tokenls only turns
to it where its load pays; tiktoken is the reference throughout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings

from tests.conftest import truth
from tests.strategies import texts
from tokenls.engine import fast
from tokenls.engine.counting import FAST_CHARS, Counter
from tokenls.engine.encodings import ENCODINGS

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    not fast.available("o200k_base"), reason="toktok-rs is not installed (tokenls[fast])"
)


def _fast(encoding: str) -> fast.FastCounter:
    counter = fast.load(encoding)
    assert counter is not None, "toktok-rs is installed but was refused"
    return counter


def _corpus() -> list[str]:
    """Every text file of the repository: the fixtures (real tool logs, LogChunks, prompts,
    tokenizer files), the sources, the docs and the extension."""
    found = []
    for path in sorted(REPO.rglob("*")):
        parts = set(path.relative_to(REPO).parts)
        if not path.is_file() or parts & {".git", ".venv", "node_modules", "__pycache__"}:
            continue
        data = path.read_bytes()
        if b"\0" not in data[:8192] and len(data) < 8 << 20:
            found.append(data.decode("utf-8", "replace"))
    return found


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    texts = _corpus()
    assert len(texts) > 200
    return texts


def test_every_file_of_the_repository_counts_as_tiktoken_counts_it(
    corpus: list[str], encoding: str
) -> None:
    counter = _fast(encoding)
    assert counter.counts(corpus) == [truth(text, encoding) for text in corpus]
    assert [counter.count(text) for text in corpus[:50]] == [
        truth(t, encoding) for t in corpus[:50]
    ]


@settings(max_examples=1500, deadline=None)
@given(texts)
def test_fuzzed_text_counts_as_tiktoken_counts_it(text: str) -> None:
    for encoding in ENCODINGS:
        assert _fast(encoding).count(text) == truth(text, encoding), (encoding, text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "<|endoftext|>",  # special tokens are ordinary text, as in encode_ordinary
        "a<|fim_prefix|>b<|endofprompt|>",
        "a\ud800b",  # a lone surrogate: repaired as tiktoken repairs it
        "\ud83d\ude00 paired halves",
        "x" * 20_000,
        " " * 30_000 + "x",
        "\n" * 10_000,
        "1" * 9_999,
        "🙂" * 5_000,
        "e\u0301" * 8_000,
    ],
)
def test_edge_texts_count_as_tiktoken_counts_them(text: str, encoding: str) -> None:
    counter = _fast(encoding)
    assert counter.count(text) == truth(text, encoding)
    assert counter.counts([text, "ok"]) == [truth(text, encoding), truth("ok", encoding)]


def test_the_counter_turns_to_it_only_for_volume(encoding: str) -> None:
    script = (
        "import sys; from tokenls.engine import fast; from tokenls.engine.counting import "
        "Counter, FAST_CHARS; e = sys.argv[1]; text = 'The quick brown fox, 123 times.\\n' * 64; "
        "a = Counter(e).encode_len(text); small = fast.loaded(e) is not None; "
        "b = Counter(e, expect=lambda: FAST_CHARS).encode_len(text); big = fast.loaded(e) is not None; "
        "print(a, b, small, big)"
    )
    out = subprocess.run([sys.executable, "-c", script, encoding], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    want = truth("The quick brown fox, 123 times.\n" * 64, encoding)
    assert out.stdout.split() == [str(want), str(want), "False", "True"]
    text = "The quick brown fox, 123 times.\n" * 64
    lines = [text] * (FAST_CHARS // len(text) + 1)
    assert Counter(encoding).encode_lens(lines) == [truth(text, encoding)] * len(lines)


def test_a_tokenizer_that_disagrees_on_the_probe_is_refused(
    monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    import toktok

    class OffByOne:
        def __init__(self, real: object) -> None:
            self.real = real

        def count(self, text: str) -> int:
            return self.real.count(text) + 1  # type: ignore[attr-defined]

    real = toktok._encoding(encoding)
    monkeypatch.setattr(toktok, "_encoding", lambda name: OffByOne(real))
    monkeypatch.setattr(fast, "_loaded", {})
    assert fast.load(encoding) is None
    counter = Counter(encoding, expect=lambda: FAST_CHARS)
    text = "still counted by tiktoken"
    assert counter.encode_len(text) == truth(text, encoding)


def test_tokenls_fast_0_keeps_tiktoken(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    body = "Counting a tree big enough to want the fast engine. 42\n" * 20_000
    (tree / "big.txt").write_text(body)
    script = (
        "import sys, tokenls.engine.fast as f; from tokenls.tree.tree_count import count_paths; "
        "r = count_paths([sys.argv[1]], 'o200k_base'); "
        "print(r[0].count.tokens, f.loaded('o200k_base') is not None)"
    )
    for setting, used in (("1", "True"), ("0", "False")):
        env = {**os.environ, "TOKENLS_FAST": setting}
        out = subprocess.run(
            [sys.executable, "-c", script, str(tree)], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == [str(truth(body, "o200k_base")), used]


# Characters Unicode assigned after the tables toktok-rs splits by (an Arabic letter, a
# combining mark, a Latin letter, CJK Extension J): tiktoken's split knows them, toktok-rs's
# does not, and a full scan of every code point found no other kind of disagreement.
_NEWER = ["\u088f", "\u1acf", "\ua7ce", "\U000323b0"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("char", _NEWER)
def test_characters_newer_than_its_tables_count_as_tiktoken_counts_them(
    encoding: str, char: str
) -> None:
    counter = _fast(encoding)
    texts = [f"a{char}b {char}1 {char}\n/:{char}'s", f"x{char}y", "plain text"]
    assert [counter.count(t) for t in texts] == [truth(t, encoding) for t in texts]
    assert counter.counts(texts) == [truth(t, encoding) for t in texts]
