"""One request per URL body in a process, however many fetchers want it at once."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from tests.http_fixture import Upstream
from tokenls.cache.token_cache import TokenCache
from tokenls.config import HttpSettings, RateSettings, Settings
from tokenls.references.url_sources import BackgroundUrls, BlockingUrls, fetcher_for
from tokenls.references.urls import IN_FLIGHT, UrlFetcher


def _fetcher(cache_dir: Path, upstream: Upstream, **http: object) -> UrlFetcher:
    settings = Settings(
        http=HttpSettings(
            **{"allow_hosts": (upstream.host,), "allow_http": True, "timeout_s": 5.0, **http}  # type: ignore[arg-type]
        ),
        rate=RateSettings(min_interval_ms=0),
    )
    return fetcher_for(settings, TokenCache(cache_dir))


def test_fetchers_wanting_one_body_at_once_send_one_request(tmp_path: Path) -> None:
    with Upstream() as upstream:
        url = upstream.url("/slow/a")
        first = _fetcher(tmp_path / "one", upstream)
        second = _fetcher(tmp_path / "two", upstream)  # another cache directory

        async def both() -> list:
            return await asyncio.gather(first.fetch(url), second.fetch(url), first.fetch(url))

        results = asyncio.run(both())
        assert upstream.requests == 1
        assert [r.text for r in results] == ["slow document /slow/a\n"] * 3
        assert all(r.source == "fresh" for r in results)
        # The body is filed in the second cache too: it is served from there without a request.
        assert second.cached(url) is not None and second.cached(url).source == "cache"
        assert len(IN_FLIGHT) == 0


def test_a_fetch_on_another_thread_and_loop_is_joined(tmp_path: Path) -> None:
    """The command line's helper loop and the server's loop share the fetches under way."""
    with Upstream() as upstream:
        url = upstream.url("/slow/b")
        blocking = BlockingUrls(_fetcher(tmp_path / "c", upstream))
        answers: list = []
        thread = threading.Thread(target=lambda: answers.append(blocking.lookup(url)))
        thread.start()
        asyncio.run(_when_in_flight())
        background = asyncio.run(_fetcher(tmp_path / "c", upstream).fetch(url))
        thread.join(10)
        assert upstream.requests == 1
        assert answers[0].text == background.text == "slow document /slow/b\n"


async def _when_in_flight() -> None:
    for _ in range(500):
        if len(IN_FLIGHT):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the first fetch never started")


def test_different_policies_do_not_share_a_fetch(tmp_path: Path) -> None:
    """A fetcher whose settings bound the response differently fetches for itself."""
    with Upstream() as upstream:
        url = upstream.url("/slow/c")
        roomy = _fetcher(tmp_path / "c", upstream)
        tight = _fetcher(tmp_path / "c", upstream, max_bytes=10)

        async def both() -> list:
            return await asyncio.gather(roomy.fetch(url), tight.fetch(url))

        loose, small = asyncio.run(both())
        assert upstream.requests == 2
        assert loose.ok and "10-byte limit" in (small.error or "")


def test_a_joiner_fetches_for_itself_when_the_fetch_it_waits_for_is_cancelled(
    tmp_path: Path,
) -> None:
    with Upstream() as upstream:
        url = upstream.url("/slow/d")
        first = _fetcher(tmp_path / "one", upstream)
        second = _fetcher(tmp_path / "two", upstream)

        async def run() -> object:
            owner = asyncio.create_task(first.fetch(url))
            await _when_in_flight()
            joiner = asyncio.create_task(second.fetch(url))
            while upstream.requests < 1:  # the first request is out
                await asyncio.sleep(0.01)
            owner.cancel()
            return await joiner

        fetched = asyncio.run(run())
        assert fetched.text == "slow document /slow/d\n"  # type: ignore[attr-defined]
        assert upstream.requests == 2
        assert len(IN_FLIGHT) == 0


async def test_two_background_sources_of_one_workspace_fetch_once(tmp_path: Path) -> None:
    """The editor rebuilds a workspace's URL source when settings arrive; the old and the new
    one both queue the URL, and one request goes out."""
    with Upstream() as upstream:
        url = upstream.url("/slow/e")
        done: list[str] = []
        old = BackgroundUrls(_fetcher(tmp_path / "c", upstream), done.append)
        new = BackgroundUrls(_fetcher(tmp_path / "c", upstream), done.append)
        assert old.lookup(url) is None
        await _when_in_flight()
        assert new.lookup(url) is None  # not cached yet: queued again
        for _ in range(300):
            if len(done) == 2:
                break
            await asyncio.sleep(0.01)
        assert done == [url, url] and upstream.requests == 1
        assert new.lookup(url) is not None and old.lookup(url) is not None
