"""Compression on logs made by running real tools, and its promises as properties.

Which lines must survive is stated here by hand (what a person reads to understand each
failure), never derived from the compressor's own classification.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import truth
from tokenls.cache.token_cache import TokenCache
from tokenls.compress import ErrorMemory, compress
from tokenls.engine.counting import Counter

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
COUNTER = Counter("o200k_base")

_PASSING_TESTS = textwrap.dedent("""
    import pytest

    @pytest.mark.parametrize("n", range(400))
    def test_square_is_not_negative(n):
        assert n * n >= 0
""")
_ORDERS = textwrap.dedent("""
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
# What a person needs from each failing run, written by hand from reading the tool's output.
MUST_KEEP = {
    "pytest": [
        "AssertionError: tax was not applied as expected",
        "KeyError: 'missing'",
        "FAILED test_orders.py::test_total_includes_tax",
        "FAILED test_orders.py::test_lookup",
    ],
    "unittest": ["IndexError: list index out of range", "AssertionError: 3 != 4", "FAIL: test_sum"],
    "traceback": [
        "Traceback (most recent call last):",
        'crash.py", line 2, in parse',
        "ValueError: invalid literal for int() with base 10: 'x1'",
    ],
    "gcc": ["undeclared (first use in this function)", "return y;"],
}


def _run(cmd: list[str], cwd: Path, *, fails: bool = True) -> str:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=180, check=False)
    assert (result.returncode != 0) == fails, result.stdout + result.stderr
    return result.stdout + result.stderr


def _pytest(cwd: Path, *args: str, fails: bool = True) -> str:
    return _run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd, fails=fails)


@pytest.fixture(scope="module")
def real_logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("real")
    (work / "test_orders.py").write_text(_ORDERS)
    (work / "test_squares.py").write_text(_PASSING_TESTS)
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
        # 400 passing tests listed one per line, then the failures: a typical verbose CI run.
        "pytest": _pytest(work, "-v", "test_squares.py", "test_orders.py"),
        "pytest-colour": _pytest(work, "-v", "--color=yes", "test_squares.py", "test_orders.py"),
        "passing": _pytest(work, "-v", "test_squares.py", fails=False),
        "unittest": _run([sys.executable, "test_unit.py"], work),
        "traceback": _run([sys.executable, "crash.py"], work),
    }
    if shutil.which("gcc"):
        (work / "broken.c").write_text('int main(void) {\n    int x = "text";\n    return y;\n}\n')
        logs["gcc"] = _run(["gcc", "-c", "broken.c", "-o", "broken.o"], work)
    return logs


def _within(text: str, budget: int) -> None:
    assert truth(text, "o200k_base") <= budget


@pytest.mark.parametrize("name", ["pytest", "unittest", "traceback", "gcc"])
def test_the_failure_of_a_real_run_survives_verbatim_in_a_noisy_log(
    real_logs: dict[str, str], name: str
) -> None:
    if name not in real_logs:
        pytest.skip("gcc is not installed")
    log = real_logs["passing"] + real_logs[name]
    budget = 2 * sum(truth(line, "o200k_base") for line in MUST_KEEP[name]) + 500
    assert truth(log, "o200k_base") > 3 * budget
    result = compress([log], budget, COUNTER)
    assert result.output_tokens == truth(result.text, "o200k_base") <= budget
    assert result.input_tokens == truth(log, "o200k_base")
    kept = result.text.splitlines()
    for needle in MUST_KEEP[name]:
        assert any(needle in line for line in kept), needle
    for line in kept:  # every kept line is an input line, unchanged, or a gap marker
        assert line.startswith("… ") or line in log.splitlines()


def test_kept_lines_stay_in_input_order(real_logs: dict[str, str]) -> None:
    log = real_logs["pytest"]
    result = compress([log], 700, COUNTER)
    remaining = iter(log.splitlines())
    for line in result.text.splitlines():
        if not line.startswith("… "):
            assert line in remaining, line  # found later in the input than the previous one


def test_a_traceback_is_kept_whole(real_logs: dict[str, str]) -> None:
    log = real_logs["passing"] + real_logs["traceback"]
    result = compress([log], 600, COUNTER)
    block = log[log.index("Traceback") :].rstrip("\n")
    assert block in result.text


def test_coloured_output_is_read_as_a_person_sees_it(real_logs: dict[str, str]) -> None:
    log = real_logs["pytest-colour"]
    assert "\x1b[" in log
    result = compress([log], 800, COUNTER)
    assert "\x1b" not in result.text
    for needle in MUST_KEEP["pytest"]:
        assert needle in result.text, needle
    coloured = compress([log], 1600, COUNTER, keep_ansi=True)
    assert "\x1b[" in coloured.text
    assert coloured.output_tokens == truth(coloured.text, "o200k_base") <= 1600


def test_a_log_that_fits_comes_back_unchanged(real_logs: dict[str, str]) -> None:
    log = real_logs["unittest"]
    result = compress([log], truth(log, "o200k_base") + 10, COUNTER)
    assert result.text == log and result.unchanged


def test_two_runs_give_identical_bytes_however_the_input_is_chunked(
    real_logs: dict[str, str],
) -> None:
    log = real_logs["pytest"]
    once = compress([log], 600, COUNTER).text
    assert compress([log], 600, COUNTER).text == once
    chunked = [log[i : i + 777] for i in range(0, len(log), 777)]
    assert compress(chunked, 600, COUNTER).text == once


def test_gaps_are_marked_with_what_they_held(real_logs: dict[str, str]) -> None:
    log = real_logs["pytest"]
    result = compress([log], 600, COUNTER)
    markers = [line for line in result.text.splitlines() if line.startswith("… ")]
    assert markers
    omitted = sum(int(m.split()[1].replace(",", "")) for m in markers)
    kept = sum(1 for line in result.text.splitlines() if not line.startswith("… "))
    blank = sum(1 for line in log.splitlines() if not line.strip())
    assert omitted + kept + blank >= len(log.splitlines()) >= omitted + kept


def test_against_a_passing_run_the_new_lines_are_kept(real_logs: dict[str, str]) -> None:
    passing, failing = real_logs["passing"], real_logs["pytest"]
    new = [line for line in failing.splitlines() if line.strip() and line not in passing]
    budget = 2 * truth("\n".join(new), "o200k_base") + 200
    result = compress([failing], budget, COUNTER, baseline=passing.splitlines())
    kept = set(result.text.splitlines())
    missing = [line for line in new if line not in kept and "[" not in line]
    assert not missing, missing[:5]


def test_memory_is_opt_in_and_never_changes_the_text_of_a_line(
    tmp_path: Path, real_logs: dict[str, str]
) -> None:
    log = real_logs["pytest"]
    memory = ErrorMemory(TokenCache(tmp_path / "cache"))
    first = compress([log], 600, COUNTER, memory=memory)
    second = compress([log], 600, COUNTER, memory=memory)
    lines = set(log.splitlines())
    for result in (first, second):
        assert all(line in lines or line.startswith("… ") for line in result.text.splitlines())


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("\x1b[31m[ERROR]\x1b[0m build failed", "[ERROR] build failed"),
        (" 10% [=>    ]\r 55% [===> ]\r100% [=====]", "100% [=====]"),
        ("travis_fold:start:install\r\x1b[0K$ npm ci", "$ npm ci"),
        ("##[group]Run npm test", "##[group]Run npm test"),
        (
            "2025-04-11T19:32:22.4029967Z \x1b[31mError\x1b[0m: x\r\x1b[2K",
            "2025-04-11T19:32:22.4029967Z Error: x",
        ),
    ],
)
def test_lines_are_cleaned_as_a_terminal_shows_them(raw: str, shown: str) -> None:
    result = compress([("filler line\n" * 300) + raw + "\n"], 40, COUNTER)
    assert shown in result.text.splitlines()


@pytest.mark.parametrize(
    "marker",
    [
        "travis_time:end:0a1b2c3d:start=1,finish=2,duration=1\r\x1b[0K",
        "##[endgroup]",
        "section_end:1700000000:build_script\r\x1b[0K",
        "2025-04-11T19:32:22.4029967Z ##[endgroup]",
    ],
)
def test_ci_markers_are_dropped(marker: str) -> None:
    result = compress([f"one\n{marker}\ntwo\n"], 100, COUNTER)
    assert result.text == "one\ntwo\n"


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000), st.integers(min_value=1, max_value=400))
def test_any_bytes_compress_within_budget(data: bytes, budget: int) -> None:
    result = compress([data.decode("utf-8", "replace")], budget, COUNTER)
    _within(result.text, budget)


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
                "\x1b[31mred\x1b[0m\n",
                "travis_fold:end:x\r\x1b[0K\n",
            ]
        ),
        max_size=80,
    ).map("".join),
    st.integers(min_value=1, max_value=300),
)
def test_log_shaped_input_stays_within_budget(text: str, budget: int) -> None:
    result = compress([text], budget, COUNTER)
    assert result.output_tokens == truth(result.text, "o200k_base") <= budget
