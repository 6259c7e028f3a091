"""The shared budget, for real: four ``tokenls count`` processes against one limited server."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http_fixture import Upstream

PROCESSES = 4
URLS_EACH = 50
LIMIT, WINDOW_S = 40, 1.0  # the upstream allows 40 requests per second


def _workspace(root: Path, upstream: Upstream, store: str) -> list[Path]:
    (root / ".git").mkdir(parents=True)
    rpm = LIMIT * 60 / WINDOW_S
    # Network access and the store are the user's to allow; the workspace shapes the rate.
    Path(os.environ["TOKENLS_CONFIG"]).write_text(
        f'[http]\nallow_hosts = ["{upstream.host}"]\nallow_http = true\n[rate]\nstore = "{store}"\n'
    )
    (root / "tokenls.toml").write_text(
        f'[rate]\ntarget = 0.6\nmin_interval_ms = 5\nwindow_s = {WINDOW_S}\nstore = "{store}"\n'
        f'[rate.limits."{upstream.host}"]\nrequests_per_minute = {rpm}\n'
    )
    prompts = []
    for p in range(PROCESSES):
        prompt = root / f"p{p}.md"
        prompt.write_text(
            "".join(f"- #url:{upstream.url(f'/limited/{p}-{i}')}\n" for i in range(URLS_EACH))
        )
        prompts.append(prompt)
    return prompts


def _run_all(prompts: list[Path], cache: Path) -> list[dict]:
    env = {**os.environ, "TOKENLS_CACHE_DIR": str(cache)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tokenls", "count", "--json", str(p)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=p.parent,
        )
        for p in prompts
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err.decode()
        reports.append(json.loads(out))
    return reports


def _assert_shared_budget_held(upstream: Upstream, reports: list[dict]) -> None:
    assert upstream.violations == 0 and upstream.too_many == 0
    refs = [r for report in reports for r in report["files"][0]["references"]]
    assert len(refs) == PROCESSES * URLS_EACH
    failed = [r for r in refs if not (r["status"] == "ok" and r["tokens"] > 0)]
    assert failed == []


@pytest.mark.e2e
def test_four_processes_share_one_budget_on_disk(tmp_path: Path) -> None:
    with Upstream(limit=LIMIT, window_s=WINDOW_S) as upstream:
        prompts = _workspace(tmp_path / "ws", upstream, "disk")
        started = time.monotonic()
        reports = _run_all(prompts, tmp_path / "cache")
        elapsed = time.monotonic() - started
        _assert_shared_budget_held(upstream, reports)
        # 200 requests at 60% of 40/s cannot take less than about 200 / 24 seconds.
        assert elapsed > (PROCESSES * URLS_EACH) / (LIMIT * 0.6) * 0.8


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (the CI script installs it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.e2e
def test_four_processes_share_one_budget_in_redis(tmp_path: Path, redis_url: str) -> None:
    with Upstream(limit=LIMIT, window_s=WINDOW_S) as upstream:
        prompts = _workspace(tmp_path / "ws", upstream, redis_url)
        reports = _run_all(prompts, tmp_path / "cache")
        _assert_shared_budget_held(upstream, reports)
