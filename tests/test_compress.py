"""Compression on real logs made by running real tools, plus fixtures and properties."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import truth
from tokenls.cache import TokenCache
from tokenls.compress import ErrorMemory, compress
from tokenls.compress.classify import Level, classify
from tokenls.engine.counting import Counter

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
COUNTER = Counter("o200k_base")


def _noise(n: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    return "".join(
        f"2026-11-23T12:{i // 60 % 60:02d}:{i % 60:02d}Z {rng.choice(['INFO', 'INFO', 'DEBUG'])} "
        f"worker-{rng.randrange(8)} request id={rng.getrandbits(48):x} took {rng.randrange(900)}ms\n"
        for i in range(n)
    )


def _run(cmd: list[str], cwd: Path) -> str:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0, "the tool was expected to fail"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def real_logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("real")
    (work / "test_orders.py").write_text(
        textwrap.dedent("""
        def total(items, tax):
            return sum(items) * (1 + tax)

        def test_total_includes_tax():
            assert round(total([50, 50], 0.08), 2) == 100.0, "tax was not applied as expected"

        def test_empty_order():
            assert total([], 0.08) == 0

        def test_lookup():
            orders = {"a": 1}
            assert orders["missing"] == 1
    """)
    )
    (work / "test_unit.py").write_text(
        textwrap.dedent("""
        import unittest

        class Orders(unittest.TestCase):
            def test_refund(self):
                self.assertEqual([1, 2, 3][5], 3)

            def test_sum(self):
                self.assertEqual(sum([1, 2]), 4)

        if __name__ == "__main__":
            unittest.main()
    """)
    )
    (work / "crash.py").write_text(
        "def parse(x):\n    return int(x)\n\ndef main():\n    parse('x1')\n\nmain()\n"
    )
    logs = {
        "pytest": _run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_orders.py"], work
        ),
        "unittest": _run([sys.executable, "test_unit.py"], work),
        "traceback": _run([sys.executable, "crash.py"], work),
    }
    if shutil.which("gcc"):
        (work / "broken.c").write_text('int main(void) {\n    int x = "text";\n    return y;\n}\n')
        logs["gcc"] = _run(["gcc", "-c", "broken.c", "-o", "broken.o"], work)
    return logs


def _failure_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if classify(line) == Level.CRITICAL]


@pytest.mark.parametrize("name", ["pytest", "unittest", "traceback", "gcc"])
def test_every_failure_line_of_a_real_log_survives_verbatim(
    real_logs: dict[str, str], name: str
) -> None:
    if name not in real_logs:
        pytest.skip("gcc is not installed")
    log = real_logs[name]
    noisy = _noise(3000) + log + _noise(3000, seed=2)
    budget = truth(log, "o200k_base") + 200
    result = compress([noisy], budget, COUNTER)
    assert result.output_tokens == truth(result.text, "o200k_base") <= budget
    failures = _failure_lines(log)
    assert failures, "the real log should contain failure lines"
    for line in failures:
        assert line in result.text.splitlines() or any(
            line in out for out in result.text.splitlines()
        )
    assert result.input_tokens == truth(noisy, "o200k_base")
    assert result.input_tokens / result.output_tokens > 20  # the noise is what went


def test_tracebacks_are_kept_as_whole_blocks(real_logs: dict[str, str]) -> None:
    log = real_logs["traceback"]
    result = compress([_noise(2000) + log], 400, COUNTER)
    start = log.index("Traceback")
    block = log[start:].rstrip("\n")
    assert block in result.text


@pytest.mark.parametrize(
    "name, must_keep",
    [
        (
            "maven.log",
            ["expected: <108.00> but was: <100.00>", "BUILD FAILURE", "Tests run: 11, Failures: 1"],
        ),
        (
            "npm-jest.log",
            [
                "● Cart › shows the total with tax",
                'Expected: "$108.00"',
                "npm ERR! code ELIFECYCLE",
            ],
        ),
        (
            "go-test.log",
            [
                "--- FAIL: TestTotalWithTax (0.00s)",
                "panic: runtime error: index out of range [3] with length 3",
            ],
        ),
        ("github-actions.log", ["error TS2322", "##[error]Process completed with exit code 2."]),
    ],
)
def test_fixture_logs_keep_their_failures(name: str, must_keep: list[str]) -> None:
    log = (FIXTURES / name).read_text()
    result = compress([_noise(4000) + log], 500, COUNTER)
    assert result.output_tokens <= 500
    for needle in must_keep:
        assert needle in result.text, needle


def test_profiles_are_detected_and_can_be_forced() -> None:
    assert compress([(FIXTURES / "go-test.log").read_text()], 500, COUNTER).profile == "test_logs"
    assert compress(["ERROR db timeout\n" + _noise(100)], 500, COUNTER).profile == "error_logs"
    assert compress([_noise(100)], 500, COUNTER).profile == "info_logs"
    forced = compress([_noise(100)], 500, COUNTER, profile="error_logs")
    assert forced.profile == "error_logs" and not forced.profile_auto


def test_repeats_collapse_with_counts_and_gaps_are_marked() -> None:
    log = "connection reset by peer\n" * 500 + _noise(1000) + "FATAL disk full\n"
    result = compress([log], 200, COUNTER)
    assert "connection reset by peer [×500]" in result.text
    assert "FATAL disk full" in result.text
    assert "lines omitted:" in result.text or "similar]" in result.text


def test_when_failures_alone_overflow_first_and_last_are_kept_and_it_says_so() -> None:
    failures = "".join(
        f'Traceback (most recent call last):\n  File "job.py", line {i}, in run\n    step{i}()\nRuntimeError: step {i} failed\n'
        for i in range(200)
    )
    result = compress([failures], 300, COUNTER)
    assert result.overflow and result.output_tokens <= 300
    assert "failures alone exceed" in result.text
    assert "RuntimeError: step 0 failed" in result.text
    assert "RuntimeError: step 199 failed" in result.text


def test_output_is_deterministic_without_memory(real_logs: dict[str, str]) -> None:
    log = _noise(500) + real_logs["pytest"]
    assert compress([log], 300, COUNTER).text == compress([log], 300, COUNTER).text
    chunked = [log[i : i + 777] for i in range(0, len(log), 777)]
    assert compress(chunked, 300, COUNTER).text == compress([log], 300, COUNTER).text


def test_errors_are_marked_new_then_seen_in_earlier_logs(tmp_path: Path) -> None:
    memory = ErrorMemory(TokenCache(tmp_path / "cache"))
    log = _noise(50) + "ERROR payment gateway timeout after 30s\n"
    first = compress([log], 300, COUNTER, memory=memory)
    second = compress([log.replace("30s", "31s")], 300, COUNTER, memory=memory)
    assert "timeout after 30s [new]" in first.text
    assert "timeout after 31s [seen in 1 earlier log]" in second.text


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000), st.integers(min_value=1, max_value=400))
def test_any_bytes_compress_within_budget(data: bytes, budget: int) -> None:
    text = data.decode("utf-8", "replace")
    result = compress([text], budget, COUNTER)
    assert truth(result.text, "o200k_base") <= budget


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "INFO ok\n",
                "DEBUG x=1\n",
                "ERROR failed to connect\n",
                "Traceback (most recent call last):\n",
                '  File "a.py", line 1, in f\n',
                "ValueError: bad\n",
                "\n",
                "WARN slow\n",
                "FAILED t::x - E\n",
                "E   assert 1 == 2\n",
                "\r\n",
                "é😀 text\r",
            ]
        ),
        max_size=80,
    ).map("".join),
    st.integers(min_value=1, max_value=300),
)
def test_log_shaped_input_stays_within_budget(text: str, budget: int) -> None:
    result = compress([text], budget, COUNTER)
    assert result.output_tokens == truth(result.text, "o200k_base") <= budget
