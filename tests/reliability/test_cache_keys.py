"""A cached value is keyed by everything that made it: the bytes counted, the exactness
limit of an estimate, ``pretty_json``, the request headers (hashed); an IPv6 URL parses."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from tests.conftest import truth
from tests.http_fixture import Upstream
from tokenls.cache.token_cache import TokenCache
from tokenls.config import HttpSettings, RateSettings, Settings
from tokenls.engine.counting import Counter
from tokenls.engine.text import split_lines
from tokenls.references.cached_counts import count_key
from tokenls.references.files import FilePolicy
from tokenls.references.parse import parse_references
from tokenls.references.resolve import Resolver
from tokenls.references.url_sources import fetcher_for

OLD, NEW = "the text before the save\n", "the text after the save, which is longer\n"


def test_a_save_between_digest_and_count_never_files_a_count_under_the_wrong_digest(
    tmp_path: Path,
) -> None:
    (tmp_path / "f.md").write_text(OLD)
    cache = TokenCache(None)
    resolver = Resolver(cache, FilePolicy((tmp_path.resolve(),)))
    facts_of = resolver._facts

    def facts_then_save(path: Path):  # type: ignore[no-untyped-def]
        facts = facts_of(path)  # the digest of OLD...
        path.write_text(NEW)  # ...then the editor saves before the count is read
        return facts

    resolver._facts = facts_then_save  # type: ignore[method-assign]
    count, facts, _ = resolver.count_file((tmp_path / "f.md").resolve(), Counter("o200k_base"))
    assert count.tokens == truth(NEW, "o200k_base")
    assert facts.digest == hashlib.sha256(NEW.encode()).hexdigest()
    old_key = count_key("o200k_base", hashlib.sha256(OLD.encode()).hexdigest())
    assert cache.get(old_key) == (None, None)  # nothing claims OLD counts like NEW


def test_an_estimate_is_not_served_to_a_counter_that_can_count_exactly() -> None:
    text = "x" * 5000  # one run with no exact cut: estimated past a 1,000-char limit
    cache = TokenCache(None)
    resolver = Resolver(cache, FilePolicy(()))
    estimate, _ = resolver.count_text(text, Counter("o200k_base", max_exact=1000))
    assert not estimate.exact
    exact, source = resolver.count_text(text, Counter("o200k_base", max_exact=100_000))
    assert exact.exact and source == "fresh" and exact.tokens == truth(text, "o200k_base")
    again, source = resolver.count_text(text, Counter("o200k_base", max_exact=1000))
    assert again.exact and source == "memory"  # an exact count serves every counter


def test_a_tokenizer_file_keeps_its_own_counts_under_its_digest() -> None:
    pytest.importorskip("tokenizers")
    from tokenls.engine.tokenizer_files import make_counter

    text = "the same words, counted by two tokenizers\n"
    digest = hashlib.sha256(text.encode()).hexdigest()
    cache = TokenCache(None)
    resolver = Resolver(cache, FilePolicy(()))
    tiktoken_count, _ = resolver.count_text(text, Counter("o200k_base"))
    deepseek = make_counter("deepseek-v4")
    deepseek_count, source = resolver.count_text(text, deepseek)
    assert source == "fresh"  # never the other tokenizer's count of the same bytes
    assert deepseek.cache_id.startswith("hf-") and deepseek.cache_id != "deepseek-v4"
    stored, _ = cache.get(count_key(deepseek.cache_id, digest))
    assert stored == [deepseek_count.tokens, True, None]
    assert cache.get(count_key("o200k_base", digest))[0] == [tiktoken_count.tokens, True, None]


def test_url_cache_keys_follow_pretty_json_and_headers_without_holding_secrets(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("TOKENLS_KEY_TEST", "s3cret-value")
    with Upstream() as upstream:
        cache = TokenCache(tmp_path / "cache")

        def fetcher(**http: object):  # type: ignore[no-untyped-def]
            settings = Settings(
                http=HttpSettings(allow_hosts=(upstream.host,), allow_http=True, **http),  # type: ignore[arg-type]
                rate=RateSettings(min_interval_ms=0),
            )
            return fetcher_for(settings, cache)

        url = upstream.url("/json")
        plain = asyncio.run(fetcher().fetch(url))
        pretty = asyncio.run(fetcher(pretty_json=True).fetch(url))
        assert plain.text == '{"a": [1, 2], "b": {"c": "d"}}'
        assert pretty.source == "fresh" and pretty.text.startswith("{\n  ")
        headed = fetcher(headers={upstream.host: {"Authorization": "env:TOKENLS_KEY_TEST"}})
        assert asyncio.run(headed.fetch(url)).source == "fresh"  # another identity, another entry
        assert "s3cret-value" not in headed.cache_key(url)
        assert upstream.requests == 3


def test_an_ipv6_url_parses_whole() -> None:
    text = "See #url:http://[::1]:8123/x and @url:http://[::1]/y.\n"
    refs = parse_references(split_lines(text), {"hash_url", "at_url"})
    assert [r.target for r in refs] == [
        "http://[::1]:8123/x",
        "http://[::1]/y",
    ]  # the full stop is prose
