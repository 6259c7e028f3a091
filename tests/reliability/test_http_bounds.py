"""Every wait is bounded: trickling servers, ``Retry-After: inf``, resets years away and 429
bursts cannot hold a run, and the shared tracker keeps no wait longer than its cap."""

from __future__ import annotations

import asyncio
import json
import math
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http_fixture import Upstream
from tokenls.cache.token_cache import TokenCache
from tokenls.config import HttpSettings, RateSettings, Settings
from tokenls.ratelimit import Limits, RateConfig
from tokenls.references.url_sources import fetcher_for
from tokenls.references.urls import UrlFetcher, check_url

MAX_BACKOFF_S = RateConfig().max_backoff_s


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


def _fetcher(cache_dir: Path, upstream: Upstream, **rate: object) -> UrlFetcher:
    settings = Settings(
        http=HttpSettings(allow_hosts=(upstream.host,), allow_http=True, timeout_s=1.0),
        rate=RateSettings(**{"min_interval_ms": 0, **rate}),  # type: ignore[arg-type]
    )
    return fetcher_for(settings, TokenCache(cache_dir))


def _count(work: Path, cache: Path, prompt: str) -> tuple[dict, float]:
    (work / "p.prompt.md").write_text(prompt)
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "tokenls", "count", "--json", "p.prompt.md"],
        cwd=work,
        env={**os.environ, "TOKENLS_CACHE_DIR": str(cache)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stderr
    entry = json.loads(run.stdout)["files"][0]
    entry["stderr"] = run.stderr
    return entry, elapsed


def _workspace(root: Path, upstream: Upstream, timeout_s: float = 1.0) -> Path:
    (root / ".git").mkdir(parents=True)
    # Network access is the user's to allow; the workspace shapes timeouts and the rate.
    Path(os.environ["TOKENLS_CONFIG"]).write_text(
        f'[http]\nallow_hosts = ["{upstream.host}"]\nallow_http = true\n'
    )
    (root / "tokenls.toml").write_text(
        f"[http]\ntimeout_s = {timeout_s}\n[rate]\nmin_interval_ms = 0\n"
    )
    return root


@pytest.mark.e2e
def test_a_trickling_server_cannot_hold_count(tmp_path: Path, upstream: Upstream) -> None:
    work = _workspace(tmp_path / "ws", upstream, timeout_s=1.0)
    entry, elapsed = _count(work, tmp_path / "cache", f"#url:{upstream.url('/trickle')}\n")
    [ref] = entry["references"]
    print(f"trickle: count finished in {elapsed:.2f} s with http.timeout_s = 1")
    assert ref["status"] == "error" and "timed out" in ref["error"]
    assert elapsed < 10  # the body would take 60 s: the deadline is for the whole request


@pytest.mark.e2e
def test_retry_after_inf_is_capped_and_reported_as_rate_limited(
    tmp_path: Path, upstream: Upstream
) -> None:
    work = _workspace(tmp_path / "ws", upstream)
    cache = tmp_path / "cache"
    for run in range(2):  # the second process starts from the state the first one stored
        entry, elapsed = _count(work, cache, f"#url:{upstream.url('/retry-after-inf')}\n")
        [ref] = entry["references"]
        print(f"Retry-After: inf, run {run + 1}: reported in {elapsed:.2f} s")
        assert ref["status"] == "error" and ref["error"].startswith("rate limited")
        assert f"{ref['target']}: rate limited" in entry["stderr"]
        assert elapsed < 15
    status = _fetcher(cache, upstream).tracker.status(upstream.host)
    assert math.isfinite(status.backoff_s) and status.backoff_s <= MAX_BACKOFF_S


@pytest.mark.parametrize("path", ["/retry-after-inf", "/retry-after-nan", "/reset-forever"])
def test_no_header_stores_a_wait_beyond_the_cap(
    tmp_path: Path, upstream: Upstream, path: str
) -> None:
    fetcher = _fetcher(tmp_path / "cache", upstream)
    fetcher.max_retries = 0  # one answer is enough to see what gets stored
    asyncio.run(fetcher.fetch(upstream.url(path)))
    state = fetcher.tracker.store.read(upstream.host)
    assert math.isfinite(state["backoff_until"])
    assert state["backoff_until"] - time.time() <= MAX_BACKOFF_S + 1


def test_an_old_stored_infinite_backoff_no_longer_hangs(tmp_path: Path, upstream: Upstream) -> None:
    fetcher = _fetcher(tmp_path / "cache", upstream)
    fetcher.tracker.store.update(upstream.host, lambda s: ({**s, "backoff_until": 1.0}, None))
    with sqlite3.connect(
        tmp_path / "cache" / "rate" / "cache.db"
    ) as db:  # as an old version left it
        db.execute(
            "UPDATE Cache SET value = ? WHERE key = ?",
            ('{"backoff_until": Infinity, "last": NaN}', f"rate:{upstream.host}"),
        )
    admission = fetcher.tracker.try_acquire(upstream.host)
    assert admission.wait_s <= MAX_BACKOFF_S  # the values that are not finite are dropped
    assert fetcher.tracker.store.read(upstream.host)["backoff_until"] <= time.time() + MAX_BACKOFF_S


def test_a_burst_of_429s_lowers_the_target_once(tmp_path: Path) -> None:
    requests, rpm = 30, 1200.0  # 1200 rpm at 60% over a 1 s window: 12 requests a second
    with Upstream(burst=4) as upstream:
        fetcher = _fetcher(tmp_path / "cache", upstream, window_s=1.0)
        fetcher.tracker.config = RateConfig(
            min_interval_s=0, window_s=1.0, limits={upstream.host: Limits(rpm)}
        )

        async def run_all() -> list:
            urls = [upstream.url(f"/burst/{n}") for n in range(requests)]
            return await asyncio.gather(*(fetcher.fetch(u) for u in urls))

        started = time.monotonic()
        results = asyncio.run(run_all())
        elapsed = time.monotonic() - started
        assert [r.error for r in results if not r.ok] == []
        status = fetcher.tracker.status(upstream.host)
        configured = requests / (rpm / 60 * 0.6)  # seconds the configured share allows
        print(
            f"429 burst: {requests} requests in {elapsed:.2f} s (configured rate allows "
            f"{configured:.2f} s, plus a 1 s Retry-After); target now {status.target:.2f}"
        )
        # One halving for the burst, then additive recovery over the successes.
        assert status.target >= 0.3
        assert elapsed < 1.5 * configured + 1.0


def test_ipv6_hosts_can_be_allow_listed_and_fetched(tmp_path: Path) -> None:
    with Upstream(host="::1") as upstream:
        assert upstream.host.startswith("[::1]:")
        url = upstream.url("/ok/6")
        fetcher = _fetcher(tmp_path / "cache", upstream)
        assert check_url(url, fetcher.http) == upstream.host
        fetched = asyncio.run(fetcher.fetch(url))
        assert fetched.ok and fetched.text == "document /ok/6: alpha beta gamma\n"
