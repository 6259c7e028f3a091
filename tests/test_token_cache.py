"""The token cache's memory layer never waits for its disk: a hit answers while another
thread is inside a slow disk call (another process holding the database lock, say)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tokenls.cache.token_cache import TokenCache


def test_a_memory_hit_answers_while_another_thread_waits_on_the_disk(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "cache")
    cache.put("known", [12, True])
    disk = cache._disk
    assert disk is not None
    inside, release = threading.Event(), threading.Event()
    real_call = disk.call

    def slow_call(action):  # type: ignore[no-untyped-def]
        inside.set()
        release.wait(10)
        return real_call(action)

    disk.call = slow_call  # type: ignore[method-assign]
    worker = threading.Thread(target=cache.get, args=("unknown",), daemon=True)
    worker.start()
    try:
        assert inside.wait(5), "the worker never reached the disk"
        started = time.monotonic()
        assert cache.get("known") == ([12, True], "memory")
        assert time.monotonic() - started < 1.0
    finally:
        release.set()
        worker.join(10)
    assert not worker.is_alive()
    assert cache.stats.misses == 1 and cache.stats.memory_hits == 1
    cache.close()
