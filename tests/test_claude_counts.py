"""Claude prompts counted through a loopback stand-in of Anthropic's count-tokens endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.anthropic_standin import CountTokensStandIn, answer_for
from tests.conftest import truth
from tokenls.cli.main import main

KEY = "sk-ant-test-3f9c1e0b7d2a4c58a1e6b9d0f2c4e6a8"
MODEL = "claude-sonnet-4-5"
FILES = 30
PROCESSES = 3
# The stand-in rejects requests closer than 100 ms; tokenls is configured to space them
# 150 ms apart (its default), the margin covering how late a request leaves after its slot.
STANDIN_SPACING_S = 0.1
SPACING_MS = 150


def _prompts(root: Path) -> dict[str, str]:
    texts = {}
    for i in range(FILES):
        text = f"# Prompt {i}\n\nReview change {i} with care: {'word ' * (i * 7)}\n"
        (root / f"p{i:02}.md").write_text(text)
        texts[f"p{i:02}.md"] = text
    return texts


def _run(root: Path, env: dict[str, str], processes: int = 1) -> list[dict]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tokenls", "count", "--json", "--model", MODEL, str(root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=root,
        )
        for _ in range(processes)
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err.decode()
        assert KEY not in err.decode()
        reports.append(json.loads(out))
    return reports


def _files_holding(directory: Path, secret: str) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


@pytest.mark.e2e
def test_three_processes_count_each_text_once_within_the_spacing(
    tmp_path: Path, user_config: Path, private_cache_dir: Path
) -> None:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    texts = _prompts(root)
    user_config.write_text(f"[rate]\nmin_interval_ms = {SPACING_MS}\n")
    with CountTokensStandIn(KEY, spacing_s=STANDIN_SPACING_S) as standin:
        env = {**os.environ, "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": standin.base_url}
        reports = _run(root, env, PROCESSES)
        assert standin.rejections == 0
        assert standin.requests == FILES  # each distinct text once, across the processes
        for report in reports:
            assert report["model"] == MODEL and report["exact"] is True
            counts = {Path(f["path"]).name: f for f in report["files"]}
            assert len(counts) == FILES
            for name, text in texts.items():
                assert counts[name]["tokens"] == answer_for(text)
                assert counts[name]["exact"] is True and "reason" not in counts[name]
        assert all(h["anthropic-version"] == "2023-06-01" for h in standin.seen_headers)

        again = _run(root, env)
        assert standin.requests == FILES  # unchanged files send nothing
        assert again[0]["total"] == reports[0]["total"]

    assert _files_holding(private_cache_dir, KEY) == []
    assert _files_holding(root, KEY) == []


def test_without_a_key_counts_are_marked_estimates_and_nothing_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "# Plan\n\nSummarise the incident for the on-call engineer.\n"
    (tmp_path / "a.md").write_text(text)
    with CountTokensStandIn(KEY) as standin:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.base_url)
        assert main(["count", "--json", "--model", MODEL, str(tmp_path / "a.md")]) == 0
        assert standin.requests == 0
    entry = json.loads(capsys.readouterr().out)["files"][0]
    assert entry["exact"] is False
    assert "no ANTHROPIC_API_KEY set" in entry["reason"] and "×" in entry["reason"]
    assert entry["tokens"] == round(truth(text, "o200k_base") * 1.3)


def _count_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, standin, capsys) -> dict:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.base_url)
    assert main(["count", "--json", "--model", MODEL, str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert KEY not in out.out and KEY not in out.err
    return json.loads(out.out)


@pytest.mark.parametrize(
    ("status", "reason"),
    [(401, "HTTP 401: the API key in ANTHROPIC_API_KEY was refused"), (529, "overloaded")],
)
def test_a_refused_key_or_an_overloaded_api_gives_estimates_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, status: int, reason: str
) -> None:
    for i in range(3):
        (tmp_path / f"p{i}.md").write_text(f"prompt number {i}\n")
    key = KEY if status != 401 else "sk-other"
    overloaded = [(529, {"retry-after": "0"})] * 20 if status == 529 else None
    with CountTokensStandIn(key, script=overloaded) as standin:
        report = _count_one(tmp_path, monkeypatch, standin, capsys)
        sent = standin.requests
    assert all(f["exact"] is False and reason in f["reason"] for f in report["files"])
    # A refused key is not tried again for every file; an overloaded API is retried a
    # bounded number of times per text (4 attempts), never without end.
    assert sent == (1 if status == 401 else 4 * 3)


def test_retry_after_is_honoured_then_the_exact_count_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    text = "one prompt\n"
    (tmp_path / "a.md").write_text(text)
    with CountTokensStandIn(KEY, script=[(429, {"retry-after": "1"})]) as standin:
        started = time.monotonic()
        report = _count_one(tmp_path, monkeypatch, standin, capsys)
        elapsed = time.monotonic() - started
        assert standin.requests == 2
    assert report["files"][0]["tokens"] == answer_for(text) and report["exact"] is True
    assert elapsed >= 1.0


def test_a_trickling_endpoint_cannot_hold_a_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "tokenls.toml").write_text("[http]\ntimeout_s = 1\n")
    text = "a prompt whose answer never quite arrives\n"
    (tmp_path / "a.md").write_text(text)
    # Each byte comes in well under the timeout, so only a deadline for the whole
    # exchange ends it: the answer (about 20 bytes) would take 10 s.
    with CountTokensStandIn(KEY, trickle_s=0.5) as standin:
        started = time.monotonic()
        report = _count_one(tmp_path, monkeypatch, standin, capsys)
        elapsed = time.monotonic() - started
    [entry] = [f for f in report["files"] if f["path"].endswith("a.md")]
    assert entry["exact"] is False and "timed out" in entry["reason"]
    assert entry["tokens"] == round(truth(text, "o200k_base") * 1.3)
    assert elapsed < 6


def test_a_retry_after_beyond_the_wait_limit_gives_estimates_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    for i in range(2):
        (tmp_path / f"p{i}.md").write_text(f"prompt number {i}\n")
    with CountTokensStandIn(KEY, script=[(429, {"retry-after": "86400"})]) as standin:
        started = time.monotonic()
        report = _count_one(tmp_path, monkeypatch, standin, capsys)
        elapsed = time.monotonic() - started
        sent = standin.requests
    # The first text is refused for a day; the second is not even sent: the shared backoff
    # already says no request may go out within the wait limit.
    assert sent == 1
    reasons = sorted(f["reason"] for f in report["files"])
    assert all(f["exact"] is False for f in report["files"])
    assert "HTTP 429: rate limited after 1 attempts" in reasons[0]
    assert reasons[1].startswith("estimate (rate limited (backoff limit)")
    assert elapsed < 10


def test_the_rate_tracker_learns_the_anthropic_request_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tokenls.cache.token_cache import TokenCache
    from tokenls.config import Settings
    from tokenls.providers.anthropic import CountTokensApi
    from tokenls.references.url_sources import tracker_for

    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    with CountTokensStandIn(KEY, requests_limit=50) as standin:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.base_url)
        api = CountTokensApi(tracker_for(Settings(), TokenCache(tmp_path / "c")))
        stored: list[int] = []
        answer = api.count(MODEL, "hello", "d1", lambda: None, stored.append)
    assert answer.tokens == answer_for("hello") == stored[0]
    assert api.tracker.status(api.rate_key).requests_limit == 50


def test_a_repository_config_cannot_choose_the_endpoint(tmp_path: Path) -> None:
    """The endpoint is read from the environment only: no config key names it."""
    (tmp_path / "tokenls.toml").write_text('[anthropic]\nbase_url = "http://evil.example"\n')
    (tmp_path / "a.md").write_text("x\n")
    assert main(["count", str(tmp_path / "a.md")]) == 2


def test_plain_files_are_counted_through_the_endpoint_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    code = "def add(a, b):\n    return a + b\n"
    (tmp_path / "add.py").write_text(code)
    (tmp_path / "notes.md").write_text("notes\n")
    with CountTokensStandIn(KEY) as standin:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.base_url)
        argv = ["count", "--json", "--no-references", "--model", MODEL, str(tmp_path)]
        assert main(argv) == 0
        assert sorted(standin.answered) == sorted([code, "notes\n"])
    counts = {
        Path(f["path"]).name: f["tokens"] for f in json.loads(capsys.readouterr().out)["files"]
    }
    assert counts == {"add.py": answer_for(code), "notes.md": answer_for("notes\n")}
