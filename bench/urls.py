"""URL references: 1,000 of them cold, fresh from the cache, and revalidated (304), against a
local HTTP server; and the rate tracker's admission overhead per request (disk, Redis).

    python bench/urls.py [--urls 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.http_fixture import Upstream

from tokenls.cache.token_cache import TokenCache
from tokenls.config import HttpSettings, RateSettings, Settings
from tokenls.ratelimit import Limits, RateConfig, RateTracker
from tokenls.ratelimit.store_disk import DiskStore
from tokenls.references.url_sources import fetcher_for


async def resolve_all(fetcher, urls):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    results = [await fetcher.fetch(u) for u in urls]  # one at a time, as the tracker admits
    assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
    return time.perf_counter() - t, {r.source for r in results}


def admission_overhead(store, n: int = 2000) -> float:  # type: ignore[no-untyped-def]
    tracker = RateTracker(
        store, RateConfig(min_interval_s=0, target=1.0, limits={"k": Limits(10**9)})
    )
    t = time.perf_counter()
    for _ in range(n):
        tracker.try_acquire("k")
    return (time.perf_counter() - t) / n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--urls", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Upstream() as upstream:
        urls = [upstream.url(f"/ok/{i}") for i in range(args.urls)]

        def fetcher(ttl: float):  # type: ignore[no-untyped-def]
            settings = Settings(
                http=HttpSettings(allow_hosts=(upstream.host,), allow_http=True, ttl_s=ttl),
                rate=RateSettings(
                    min_interval_ms=0, limits={upstream.host: {"requests_per_minute": 10**7}}
                ),
            )
            return fetcher_for(settings, TokenCache(Path(tmp) / "cache"))

        cold, s1 = asyncio.run(resolve_all(fetcher(3600), urls))
        fresh, s2 = asyncio.run(resolve_all(fetcher(3600), urls))
        revalidate, s3 = asyncio.run(resolve_all(fetcher(1e-6), urls))
        n = len(urls)
        print(f"{n} URL references against a local server ({upstream.requests} requests in all)")
        print(f"  cold        {cold:6.2f} s  {n / cold:8.0f} refs/s  {sorted(s1)}")
        print(f"  fresh       {fresh:6.2f} s  {n / fresh:8.0f} refs/s  {sorted(s2)} (no requests)")
        print(
            f"  revalidate  {revalidate:6.2f} s  {n / revalidate:8.0f} refs/s  {sorted(s3)} (304s)"
        )
        disk = admission_overhead(DiskStore(Path(tmp) / "rate"))
        print(f"  tracker admission, disk store:  {disk * 1e6:7.1f} us per request")
        server = shutil.which("redis-server")
        if server:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            proc = subprocess.Popen(
                [server, "--port", str(port), "--save", "", "--dir", tmp], stdout=subprocess.DEVNULL
            )
            time.sleep(0.5)
            try:
                from tokenls.ratelimit.store_redis import RedisStore

                redis = admission_overhead(RedisStore(f"redis://127.0.0.1:{port}/0"))
                print(f"  tracker admission, Redis store: {redis * 1e6:7.1f} us per request")
            finally:
                proc.terminate()


if __name__ == "__main__":
    main()
