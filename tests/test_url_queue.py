from __future__ import annotations

import asyncio
from pathlib import Path

from tests.http_fixture import Upstream
from tokenls.cache.token_cache import TokenCache
from tokenls.config import HttpSettings, RateSettings, Settings
from tokenls.references.url_sources import BackgroundUrls, fetcher_for


async def test_queue_serves_the_active_document_first_and_drops_unwanted_urls(
    tmp_path: Path,
) -> None:
    with Upstream() as upstream:
        settings = Settings(
            http=HttpSettings(allow_hosts=(upstream.host,), allow_http=True),
            rate=RateSettings(min_interval_ms=0),
        )
        order: list[str] = []
        urls = BackgroundUrls(fetcher_for(settings, TokenCache(tmp_path / "c")), order.append)
        background = [upstream.url(f"/ok/b{i}") for i in range(3)]
        for url in background:
            assert urls.lookup(url, BackgroundUrls.BACKGROUND) is None  # pending
        active = upstream.url("/ok/active")
        urls.lookup(active, BackgroundUrls.ACTIVE)
        urls.keep_only({active, background[0]})  # b1 and b2 were edited away
        for _ in range(200):
            if len(order) >= 2 and urls.pending() == 0:
                break
            await asyncio.sleep(0.01)
        assert order == [active, background[0]]
        assert urls.lookup(active) is not None  # now served from the cache
