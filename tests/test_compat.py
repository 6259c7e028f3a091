"""Each patch of another library's internals works on the installed version, and outside
the versions it was written for it leaves the library's own behaviour in place."""

from __future__ import annotations

import builtins
import threading
from typing import Any

import pytest

from tests.conftest import truth
from tokenls import compat


@pytest.fixture
def unsupported(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Every library reads as a version its patch was not written for."""
    compat.supported.cache_clear()
    monkeypatch.setattr(
        compat, "WRITTEN_FOR", dict.fromkeys(compat.WRITTEN_FOR, ((99, 0), (100, 0)))
    )
    yield
    compat.supported.cache_clear()


def test_the_installed_libraries_are_the_versions_the_patches_were_written_for() -> None:
    for distribution in compat.WRITTEN_FOR:
        assert compat.supported(distribution), distribution


def test_versions_outside_the_range_are_refused() -> None:
    compat.supported.cache_clear()
    assert compat.supported("diskcache", "5.6.3")
    assert not compat.supported("diskcache", "6.0.0")
    assert not compat.supported("tiktoken", "1.0.0")
    assert not compat.supported("toktok-rs", "0.4.1")
    assert not compat.supported("attrs", "not a version")
    compat.supported.cache_clear()


def test_attrs_compiles_through_the_replacement_and_is_restored() -> None:
    import attr
    import attr._make as make

    seen: list[str] = []

    def spy(source: str, filename: str, mode: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(filename)
        return builtins.compile(source, filename, mode, *args, **kwargs)

    with compat.attrs_compile(spy) as patched:

        @attr.define
        class Point:
            x: int

    assert patched and any("attrs generated" in name for name in seen)
    assert Point(1) == Point(1) and "compile" not in vars(make)


def test_dataclasses_run_their_source_through_the_replacement_and_are_restored() -> None:
    import dataclasses

    seen: list[str] = []

    def spy(source: Any, *args: Any) -> None:
        seen.append(source)
        builtins.exec(source, *args)

    with compat.dataclasses_exec(spy) as patched:

        @dataclasses.dataclass(frozen=True)
        class Point:
            x: int

    assert patched and any("def __init__(self" in source for source in seen)
    assert Point(1) == Point(1) and "exec" not in vars(dataclasses)


def test_dataclasses_on_another_python_run_as_usual(unsupported: None) -> None:
    import dataclasses

    with compat.dataclasses_exec(lambda *a: pytest.fail("patched")) as patched:

        @dataclasses.dataclass
        class Point:
            x: int

    assert not patched and Point(2).x == 2


def test_attrs_outside_the_range_compiles_as_usual(unsupported: None) -> None:
    with compat.attrs_compile(lambda *a, **k: pytest.fail("patched")) as patched:
        import attr

        @attr.define
        class Point:
            x: int

    assert not patched and Point(2).x == 2


def test_tiktoken_reads_ranks_through_the_loader_and_is_restored() -> None:
    from tiktoken_ext import openai_public

    original = openai_public.load_tiktoken_bpe
    asked: list[str] = []

    def load(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        asked.append(url)
        return original(url, expected_hash)

    pytest.importorskip("tiktoken")
    with compat.tiktoken_loader(load) as module:
        assert module.load_tiktoken_bpe is load
    assert openai_public.load_tiktoken_bpe is original


def test_tiktoken_outside_the_range_keeps_its_loader(unsupported: None) -> None:
    from tiktoken_ext import openai_public

    original = openai_public.load_tiktoken_bpe
    with compat.tiktoken_loader(lambda *a: {}) as module:
        assert module.load_tiktoken_bpe is original


def test_pygls_stop_event_feature_table_and_error_reply() -> None:
    from lsprotocol import types

    from tokenls.lsp.server import build_server

    server = build_server()
    stop = threading.Event()
    compat.set_stop_event(server, stop)
    assert server._stop_event is stop
    assert callable(compat.feature_handler(server.protocol, types.TEXT_DOCUMENT_DID_CHANGE))
    assert compat.feature_handler(server.protocol, "no/suchMethod") is None
    assert compat.feature_handler(object(), types.TEXT_DOCUMENT_DID_CHANGE) is None
    sent: list[tuple[Any, Any]] = []
    server.protocol._send_response = lambda msg_id, error=None: sent.append((msg_id, error))  # type: ignore[method-assign]
    compat.send_error(server.protocol, 7, "the error")
    assert sent == [(7, "the error")]


def test_diskcache_retry_is_bounded_and_left_alone_outside_the_range(unsupported: None) -> None:
    import diskcache

    class Mine(diskcache.Cache):
        pass

    assert not compat.bound_sql_retry(Mine, lambda self: None)  # type: ignore[arg-type,return-value]
    assert "_sql_retry" not in vars(Mine)


def test_diskcache_retry_is_replaced_on_the_supported_version(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tokenls.cache.owned import _BoundedCache

    assert isinstance(vars(_BoundedCache)["_sql_retry"], property)
    cache = _BoundedCache(str(tmp_path / "c"), busy_wait_s=0.1)
    try:
        cache.set("k", 1)
        assert cache.get("k") == 1
    finally:
        cache.close()


def test_toktok_counts_as_tiktoken_and_is_absent_outside_the_range(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("toktok")
    encoder = compat.toktok_encoder("o200k_base")
    assert encoder is not None and encoder.count("hello world") == truth(
        "hello world", "o200k_base"
    )
    compat.supported.cache_clear()
    monkeypatch.setitem(compat.WRITTEN_FOR, "toktok-rs", ((9, 0), (10, 0)))
    assert compat.toktok_encoder("o200k_base") is None
    compat.supported.cache_clear()
