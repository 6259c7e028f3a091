"""The start-up helper counts exactly what tiktoken counts, and a helper that is gone or
stuck never costs a count: the caller is told to count by itself, within a bounded wait."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.conftest import truth
from tokenls.engine import count_helper
from tokenls.engine.count_helper import CountHelper
from tokenls.engine.counting import Counter
from tokenls.engine.encodings import ENCODINGS

TEXTS = [
    "hello world",
    "",
    "<|endoftext|> is ordinary text here",
    "a\ud800b",  # a lone surrogate: tiktoken repairs it, the helper must too
    "日本語 😀 don't\r\n  stop",
    "def f(x):\n    return x ** 2\n" * 500,
]


@pytest.fixture
def helper():
    started = CountHelper.start("o200k_base")
    assert started is not None
    yield started
    started.close()


def test_counts_equal_tiktokens_in_both_encodings(helper: CountHelper) -> None:
    for encoding in ENCODINGS:
        assert helper.counts(encoding, TEXTS) == [truth(t, encoding) for t in TEXTS]
    assert helper.served.is_set()


def test_an_unknown_encoding_is_never_sent(helper: CountHelper) -> None:
    assert helper.counts("gpt2", ["x"]) is None
    assert not helper.closed


def test_a_dead_helper_leaves_counting_to_the_caller(
    helper: CountHelper, monkeypatch: pytest.MonkeyPatch
) -> None:
    helper._process.kill()
    helper._process.wait()
    assert helper.counts("o200k_base", ["hello"]) is None
    assert helper.closed
    monkeypatch.setattr(count_helper, "_current", helper)
    text = "still counted, by tiktoken this time"
    assert (
        Counter("o200k_base", pure_chars=0).encode_lens([text, text])
        == [truth(text, "o200k_base")] * 2
    )


def test_a_stuck_helper_is_given_up_within_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    # A process that never reads its input: a big request fills the pipe and blocks.
    stuck = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    helper = CountHelper(stuck)
    monkeypatch.setattr(count_helper, "ANSWER_TIMEOUT_S", 0.5)
    started = time.monotonic()
    assert helper.counts("o200k_base", ["x" * 4_000_000]) is None
    assert time.monotonic() - started < 3
    assert helper.closed and stuck.poll() is not None


def test_the_server_side_module_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(count_helper, "_current", None)
    assert not count_helper.active()
    assert count_helper.counts("o200k_base", ["x"]) is None
    count_helper.start("o200k_base")
    try:
        assert count_helper.active()
        assert count_helper.counts("cl100k_base", ["hello world"]) == [
            truth("hello world", "cl100k_base")
        ]
        started = time.monotonic()
        count_helper.wait_idle(0.2, 5)  # served once, then quiet for 0.2 s
        assert 0.15 < time.monotonic() - started < 2
    finally:
        count_helper.stop()
    assert not count_helper.active()
