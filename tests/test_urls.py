"""URL references against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import truth
from tests.http_fixture import Upstream
from tokenls.cache.token_cache import TokenCache
from tokenls.config import HttpSettings, RateSettings, Settings
from tokenls.references.url_sources import fetcher_for
from tokenls.references.urls import UrlFetcher


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


def _fetcher(tmp_path: Path, upstream: Upstream, **http) -> UrlFetcher:  # type: ignore[no-untyped-def]
    settings = Settings(
        http=HttpSettings(
            **{"allow_hosts": (upstream.host,), "allow_http": True, "timeout_s": 1.0, **http}
        ),
        rate=RateSettings(min_interval_ms=0),
    )
    return fetcher_for(settings, TokenCache(tmp_path / "cache"))


def _fetch(fetcher: UrlFetcher, url: str):  # type: ignore[no-untyped-def]
    return asyncio.run(fetcher.fetch(url))


def test_policy_refusals_name_the_setting(tmp_path: Path, upstream: Upstream) -> None:
    fetcher = _fetcher(tmp_path, upstream, allow_http=False)
    assert "http.allow_http" in _fetch(fetcher, upstream.url("/ok/1")).error
    fetcher = _fetcher(tmp_path, upstream)
    assert "http.allow_hosts" in _fetch(fetcher, "https://not-allowed.example/x").error
    assert "only http(s)" in _fetch(fetcher, "ftp://127.0.0.1/x").error
    assert upstream.requests == 0  # nothing was sent for a refused URL


def test_names_resolving_to_private_addresses_and_redirects_are_checked(
    tmp_path: Path, upstream: Upstream
) -> None:
    named = f"localhost:{upstream.port}"
    fetcher = _fetcher(tmp_path, upstream, allow_hosts=(upstream.host, named))
    refused = _fetch(fetcher, f"http://{named}/ok/1")
    assert "private address" in refused.error and "http.allow_private_hosts" in refused.error
    assert "private address" in _fetch(fetcher, upstream.url("/redirect-private")).error
    assert "not allowed" in _fetch(fetcher, upstream.url("/redirect-elsewhere")).error
    allowed = _fetcher(
        tmp_path, upstream, allow_hosts=(upstream.host, named), allow_private_hosts=(named,)
    )
    assert _fetch(allowed, f"http://{named}/ok/1").ok


def test_cache_fresh_then_revalidated_then_stale_when_offline(
    tmp_path: Path, upstream: Upstream
) -> None:
    fetcher = _fetcher(tmp_path, upstream)
    first = _fetch(fetcher, upstream.url("/ok/7"))
    assert (
        first.ok and first.source == "fresh" and first.text == "document /ok/7: alpha beta gamma\n"
    )
    assert _fetch(fetcher, upstream.url("/ok/7")).source == "cache"
    assert upstream.requests == 1
    expired = _fetcher(tmp_path, upstream, ttl_s=0.000001)
    assert _fetch(expired, upstream.url("/ok/7")).source == "revalidated"  # 304 keeps the body
    assert upstream.requests == 2
    upstream.server.shutdown()
    upstream.server.server_close()
    offline = _fetch(expired, upstream.url("/ok/7"))
    assert offline.source == "stale" and offline.text == first.text


def test_429_with_retry_after_is_retried(tmp_path: Path, upstream: Upstream) -> None:
    fetched = _fetch(_fetcher(tmp_path, upstream), upstream.url("/retry"))
    assert fetched.ok and fetched.text == "finally here\n" and upstream.retry_calls == 2


def test_hangs_time_out_and_big_bodies_are_cut_off(tmp_path: Path, upstream: Upstream) -> None:
    fetcher = _fetcher(tmp_path, upstream, max_bytes=1_000_000)
    assert "timed out" in _fetch(fetcher, upstream.url("/hang")).error
    assert "1,000,000-byte limit" in _fetch(fetcher, upstream.url("/big")).error


def test_secret_headers_come_from_the_environment_and_json_is_pretty(
    tmp_path: Path, upstream: Upstream, monkeypatch
) -> None:
    monkeypatch.setenv("TOKENLS_TEST_TOKEN", "s3cret")
    fetcher = _fetcher(
        tmp_path,
        upstream,
        headers={upstream.host: {"Authorization": "env:TOKENLS_TEST_TOKEN"}},
        pretty_json=True,
    )
    fetched = _fetch(fetcher, upstream.url("/auth"))
    assert upstream.auth_seen == ["s3cret"] and "s3cret" not in fetched.text
    pretty = _fetch(fetcher, upstream.url("/json"))
    assert pretty.text == json.dumps({"a": [1, 2], "b": {"c": "d"}}, indent=2) + "\n"


def test_learned_limits_show_in_the_status(tmp_path: Path, upstream: Upstream) -> None:
    fetcher = _fetcher(tmp_path, upstream)
    _fetch(fetcher, upstream.url("/headers"))
    assert "/30 rpm" in fetcher.tracker.status(upstream.host).line()


def test_count_resolves_url_references(
    tmp_path: Path, upstream: Upstream, capsys, user_config: Path
) -> None:
    from tokenls.cli.main import main

    (tmp_path / ".git").mkdir()
    user_config.write_text(f'[http]\nallow_hosts = ["{upstream.host}"]\nallow_http = true\n')
    (tmp_path / "tokenls.toml").write_text("[rate]\nmin_interval_ms = 0\n")
    prompt = tmp_path / "p.md"
    prompt.write_text(
        f"Context: @url:{upstream.url('/ok/3')} and ${{url:https://blocked.example/}}\n"
    )
    assert main(["count", "--json", str(prompt)]) == 0
    [entry] = json.loads(capsys.readouterr().out)["files"]
    ok, blocked = entry["references"]
    assert ok["status"] == "ok" and ok["tokens"] == truth(
        "document /ok/3: alpha beta gamma\n", "o200k_base"
    )
    assert blocked["status"] == "error" and "allow_hosts" in blocked["error"]
    assert entry["tokens"] == entry["own_tokens"] + ok["tokens"]


def test_malformed_urls_and_redirects_are_refused_not_raised(
    tmp_path: Path, upstream: Upstream
) -> None:
    upstream.responses["/bad-redirect"] = (302, b"", {"Location": "http://[oops/"})
    fetcher = _fetcher(tmp_path, upstream)
    bad = _fetch(fetcher, upstream.url("/bad-redirect"))
    assert bad.error == f"{upstream.host} redirected to a malformed URL"
    assert _fetch(fetcher, "http://[oops/x").error == "the URL is malformed"
