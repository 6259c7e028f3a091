"""``ordinary_count`` equals tiktoken's own ``len(encode_ordinary(text))``, whatever path counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import tiktoken_encoding, truth
from tests.strategies import texts
from tokenls.engine.ordinary import ordinary_count


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_count_is_tiktokens_on_boundary_text(text: str) -> None:
    for name in ("o200k_base", "cl100k_base"):
        assert ordinary_count(tiktoken_encoding(name), text) == truth(text, name)


@settings(max_examples=100, deadline=None)
@given(text=st.text())
def test_count_is_tiktokens_on_any_text_lone_surrogates_included(text: str) -> None:
    assert ordinary_count(tiktoken_encoding("o200k_base"), text) == truth(text, "o200k_base")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "<|endoftext|>",
        "a<|endoftext|>b<|endofprompt|>c<|fim_prefix|>",
        "<|endoftext",
        "\ud83d",  # half an emoji: replaced, as encode_ordinary replaces it
        "x\udfff\ud800y",
        "\r\n" * 1000 + " " * 5000 + "\n\n\n",
    ],
)
def test_special_token_text_and_surrogates_count_as_ordinary_text(text: str, encoding: str) -> None:
    assert ordinary_count(tiktoken_encoding(encoding), text) == truth(text, encoding)


def test_a_source_file_counts_as_tiktoken_counts_it(encoding: str) -> None:
    text = Path(__file__).read_text(encoding="utf-8") * 20
    assert ordinary_count(tiktoken_encoding(encoding), text) == truth(text, encoding)


class _Listed:
    """An encoding with ``encode_ordinary`` only, as a tiktoken without the token buffer."""

    def __init__(self, name: str) -> None:
        self.encode_ordinary = tiktoken_encoding(name).encode_ordinary


class _WrongBuffer:
    """A core encoder whose buffer disagrees with ``encode_ordinary``."""

    def encode_to_tiktoken_buffer(self, text: str, allowed: object) -> bytes:
        return b"\0" * 4 * (len(text) + 1)


class _Disagreeing(_Listed):
    _core_bpe = _WrongBuffer()


@pytest.mark.parametrize("kind", [_Listed, _Disagreeing])
def test_without_a_sound_buffer_encode_ordinary_counts(kind: type[_Listed]) -> None:
    enc = kind("o200k_base")
    text = "The café's naïve test <|endoftext|> passes 🚀\n" * 3
    assert ordinary_count(enc, text) == truth(text, "o200k_base")  # type: ignore[arg-type]
