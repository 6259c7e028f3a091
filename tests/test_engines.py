"""Each engine a Counter can be given counts as tiktoken itself does, and says that it ran;
tiktoken's panic becomes a logged estimate, any other error raises."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import truth
from tokenls.engine import fast
from tokenls.engine.counting import Counter
from tokenls.engine.engines import TiktokenEngine

SAMPLES = ["hello world", "don't\r\n  stop", "日本語 😀 " * 30, "def f(x):\n\treturn x**2\n"]


@pytest.mark.parametrize(
    ("choice", "ran"),
    [("tiktoken", "tiktoken"), ("pure", "pure (Python)"), ("fast", "fast (toktok-rs)")],
)
def test_the_chosen_engine_counts_what_tiktoken_counts(
    encoding: str, choice: str, ran: str, caplog: pytest.LogCaptureFixture
) -> None:
    if choice == "fast" and not fast.available(encoding):
        pytest.skip("toktok-rs is not installed")
    with caplog.at_level(logging.DEBUG, logger="tokenls.engine"):
        counter = Counter(encoding, engine=choice)  # type: ignore[arg-type]
        for text in SAMPLES:
            assert counter.encode_len(text) == truth(text, encoding)
        assert counter.encode_lens(SAMPLES) == [truth(t, encoding) for t in SAMPLES]
    assert counter.engines_used == {ran}
    assert f"{encoding}: engine {choice}" in caplog.text


def test_pure_runs_even_after_tiktoken_was_built(encoding: str) -> None:
    Counter(encoding, engine="tiktoken").encode_len("build the encoder first")
    counter = Counter(encoding, engine="pure")
    assert counter.encode_len("plain words") == truth("plain words", encoding)
    assert counter.engines_used == {"pure (Python)"}


def test_an_engine_object_is_used_as_given(encoding: str) -> None:
    engine = TiktokenEngine(encoding)
    counter = Counter(encoding, engine=engine)
    assert counter.engine is engine
    assert counter.count("injected").tokens == truth("injected", encoding)


def test_an_unknown_engine_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown engine 'rust'"):
        Counter("o200k_base", engine="rust")  # type: ignore[arg-type]


class Broken:
    """An engine with a bug: it must surface, not become an estimate."""

    name = "broken"
    def __init__(self) -> None:
        self.used: set[str] = set()

    def count(self, text: str) -> int:
        raise IndexError("a bug in an engine")

    def counts(self, texts: list[str]) -> list[int]:
        raise IndexError("a bug in an engine")


def test_a_bug_in_an_engine_raises_instead_of_estimating() -> None:
    counter = Counter("o200k_base", engine=Broken())
    with pytest.raises(IndexError):
        counter.count("some text")
    with pytest.raises(IndexError):
        counter.count_many(["a", "b"])


def test_tiktokens_panic_becomes_a_logged_estimate(caplog: pytest.LogCaptureFixture) -> None:
    # PyO3 raises panics as pyo3_runtime.PanicException, a BaseException made at run time.
    panic = type("PanicException", (BaseException,), {"__module__": "pyo3_runtime"})

    class Panics(Broken):
        def count(self, text: str) -> int:
            raise panic("regex backtrack limit")

    text = " " * 5000
    with caplog.at_level(logging.WARNING, logger="tokenls.engine"):
        counted = Counter("o200k_base", engine=Panics()).count(text)
    assert not counted.exact and counted.bound == len(text.encode())
    assert "tiktoken panicked" in caplog.text
