"""A compressed body is held to ``http.max_bytes`` after every layer of its coding is undone,
in bounded memory: ``Content-Encoding: gzip, gzip`` turning 2 KB into 1 GiB is refused
without ever holding more than a few megabytes. Honest codings still decode."""

from __future__ import annotations

import asyncio
import functools
import struct
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http_fixture import Upstream
from tokenls.cache.token_cache import TokenCache
from tokenls.config import HttpSettings, RateSettings, Settings
from tokenls.references.url_sources import fetcher_for
from tokenls.references.urls import UrlFetcher

GIB = 1 << 30
MAX_BYTES = 1_000_000
TEXT = b"alpha beta gamma delta\n" * 2000


@functools.cache
def _gzip_of_a_gibibyte_of_zeros() -> bytes:
    """gzip of 1 GiB of zeros (about 1 MB), built from one repeated, byte-aligned block."""
    zeros = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)  # the same each MiB
    end = deflate.flush()
    crc = 0
    for _ in range(GIB // len(zeros)):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + block * (GIB // len(zeros)) + end + struct.pack("<II", crc, GIB % (1 << 32))


def _gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return packer.compress(data) + packer.flush()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


def _fetcher(cache_dir: Path, upstream: Upstream) -> UrlFetcher:
    http = HttpSettings(
        allow_hosts=(upstream.host,), allow_http=True, timeout_s=30.0, max_bytes=MAX_BYTES
    )
    settings = Settings(http=http, rate=RateSettings(min_interval_ms=0))
    return fetcher_for(settings, TokenCache(cache_dir))


def test_a_double_gzip_bomb_is_refused_in_bounded_memory(
    tmp_path: Path, upstream: Upstream
) -> None:
    bomb = _gzip(_gzip_of_a_gibibyte_of_zeros())
    assert len(bomb) < 4096  # 1 GiB once both layers are undone
    upstream.responses["/bomb"] = (200, bomb, {"Content-Encoding": "gzip, gzip"})
    fetcher = _fetcher(tmp_path / "cache", upstream)
    tracemalloc.start()
    try:
        fetched = asyncio.run(fetcher.fetch(upstream.url("/bomb")))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"gzip, gzip bomb: refused with a peak of {peak / 1e6:.1f} MB traced")
    assert fetched.error is not None and "(http.max_bytes)" in fetched.error
    assert peak < 16 * MAX_BYTES  # the limit, a few decoding steps and the client; not 1 GiB


def test_a_single_layer_bomb_is_refused_too(tmp_path: Path, upstream: Upstream) -> None:
    upstream.responses["/one"] = (200, _gzip_of_a_gibibyte_of_zeros(), {"Content-Encoding": "gzip"})
    fetched = asyncio.run(_fetcher(tmp_path / "cache", upstream).fetch(upstream.url("/one")))
    assert fetched.error is not None and "(http.max_bytes)" in fetched.error


def _deflate(data: bytes, wbits: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", _gzip(TEXT)),
        ("gzip, gzip", _gzip(_gzip(TEXT))),
        ("deflate, gzip", _gzip(_deflate(TEXT, zlib.MAX_WBITS))),
        ("deflate", _deflate(TEXT, zlib.MAX_WBITS)),  # zlib-wrapped, as the standard says
        ("deflate", _deflate(TEXT, -zlib.MAX_WBITS)),  # raw, as some servers send it
        ("identity", TEXT),
        ("", TEXT),
    ],
)
def test_honest_codings_decode_to_the_same_text(
    tmp_path: Path, upstream: Upstream, coding: str, body: bytes
) -> None:
    upstream.responses["/text"] = (200, body, {"Content-Encoding": coding} if coding else {})
    fetched = asyncio.run(_fetcher(tmp_path / "cache", upstream).fetch(upstream.url("/text")))
    assert fetched.error is None and fetched.text == TEXT.decode()


def test_a_body_at_the_limit_after_decoding_is_kept(tmp_path: Path, upstream: Upstream) -> None:
    exact = b"x" * MAX_BYTES
    upstream.responses["/exact"] = (200, _gzip(_gzip(exact)), {"Content-Encoding": "gzip, gzip"})
    upstream.responses["/over"] = (200, _gzip(exact + b"x"), {"Content-Encoding": "gzip"})
    fetcher = _fetcher(tmp_path / "cache", upstream)
    assert asyncio.run(fetcher.fetch(upstream.url("/exact"))).text == exact.decode()
    over = asyncio.run(fetcher.fetch(upstream.url("/over")))
    assert over.error is not None and "over the 1,000,000-byte limit" in over.error


@pytest.mark.parametrize(
    ("coding", "reason"),
    [
        ("br", "Content-Encoding 'br' is not decoded"),
        ("gzip, gzip, gzip, gzip, gzip", "5 layers of Content-Encoding (at most 4)"),
    ],
)
def test_codings_not_decoded_are_refused_by_name(
    tmp_path: Path, upstream: Upstream, coding: str, reason: str
) -> None:
    upstream.responses["/odd"] = (200, b"\x0b\x02\x80hello\x03", {"Content-Encoding": coding})
    fetched = asyncio.run(_fetcher(tmp_path / "cache", upstream).fetch(upstream.url("/odd")))
    assert fetched.error == f"response from {upstream.host}: {reason}"


def test_a_corrupt_body_is_an_error_not_a_crash(tmp_path: Path, upstream: Upstream) -> None:
    upstream.responses["/corrupt"] = (200, b"not gzip at all", {"Content-Encoding": "gzip"})
    fetched = asyncio.run(_fetcher(tmp_path / "cache", upstream).fetch(upstream.url("/corrupt")))
    assert fetched.error == f"{upstream.host} unreachable (DecodingError)"
