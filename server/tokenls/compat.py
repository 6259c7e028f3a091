"""Every use of another library's internals, in one place, each held to the versions it was
written for.

tokenls reaches past five libraries' public surfaces, and the standard library's
``dataclasses``, where they offer no way to do what it must: reuse the methods attrs and
dataclasses generate, compiled in earlier processes (start-up time), give tiktoken the
packaged rank files (no download), run pygls's stdio loop and answer errors itself, bound
diskcache's lock retries, and use toktok-rs's count-only encoder. Each patch first checks
the library's version and the names it touches; outside the range it falls back to the
library's own behaviour (slower, or without the optional engine), never to a crash.
``tests/test_compat.py`` holds each patch to the installed versions and to its fallback.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger("tokenls.compat")

# distribution → (lowest, first unsupported) major.minor versions each patch was written for
WRITTEN_FOR: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "attrs": ((22, 2), (27, 0)),
    "tiktoken": ((0, 7), (1, 0)),
    "pygls": ((2, 0), (3, 0)),
    "diskcache": ((5, 4), (6, 0)),
    "toktok-rs": ((0, 3), (0, 4)),
    "python": ((3, 10), (3, 14)),  # the standard library's dataclasses
}


@functools.cache
def supported(distribution: str, version: str | None = None) -> bool:
    """Whether the installed ``distribution`` (``version``: the module's own ``__version__``,
    cheaper than reading its metadata) is in the range its patch was written for."""
    low, high = WRITTEN_FOR[distribution]
    try:
        installed = _major_minor(version or _installed_version(distribution))
    except (LookupError, ValueError):
        return False
    if not low <= installed < high:
        log.debug(
            "%s %s: outside %s..%s, its patch is not applied", distribution, installed, low, high
        )
        return False
    return True


def _installed_version(distribution: str) -> str:
    """The distribution's version from its metadata (importlib.metadata costs some 10 ms
    to import: only when the module names no version of its own); Python's own for
    ``python``."""
    if distribution == "python":
        return "{}.{}".format(*sys.version_info)
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError as exc:
        raise LookupError(distribution) from exc


def _major_minor(version: str) -> tuple[int, int]:
    major, minor = [*version.split("."), "0"][:2]
    return int(major), int("".join(c for c in minor if c.isdigit()) or 0)


# attrs: the ``compile`` its class builder calls (``attr._make``)


@contextlib.contextmanager
def attrs_compile(replacement: Callable[..., Any]) -> Iterator[bool]:
    """Within the block attrs compiles generated methods with ``replacement``; yields
    whether it does (False: attrs compiles as usual)."""
    try:
        import attr._make as make
    except ImportError:
        yield False
        return
    if not supported("attrs") or "compile" in vars(make) or not hasattr(make, "_compile_and_eval"):
        yield False
        return
    with _shadowing(make, "compile", replacement):
        yield True


# dataclasses: the ``exec`` that makes each generated method (``dataclasses._create_fn``)


@contextlib.contextmanager
def dataclasses_exec(replacement: Callable[..., Any]) -> Iterator[bool]:
    """Within the block the ``dataclasses`` module runs the source of the methods it
    generates through ``replacement`` (it looks ``exec`` up in its own globals first);
    yields whether it does (False: another Python, whose ``dataclasses`` runs as usual)."""
    import dataclasses

    if not supported("python") or "exec" in vars(dataclasses):
        yield False
        return
    with _shadowing(dataclasses, "exec", replacement):
        yield True


@contextlib.contextmanager
def _shadowing(module: Any, builtin: str, replacement: Callable[..., Any]) -> Iterator[None]:
    """A module-level name over the builtin the module calls, for the block."""
    setattr(module, builtin, replacement)
    try:
        yield
    finally:
        delattr(module, builtin)


# tiktoken: the rank-file loader its encoding constructors call (``tiktoken_ext.openai_public``)


@contextlib.contextmanager
def tiktoken_loader(load: Callable[..., dict[bytes, int]]) -> Iterator[Any]:
    """Within the block tiktoken's constructors read rank files through ``load``; yields
    the module whose constructors to call. Outside the supported versions tiktoken keeps
    its own loader (it downloads or reads its cache)."""
    from tiktoken_ext import openai_public

    if not supported("tiktoken") or not hasattr(openai_public, "load_tiktoken_bpe"):
        yield openai_public
        return
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = load
    try:
        yield openai_public
    finally:
        openai_public.load_tiktoken_bpe = original


# pygls: the stop event its ``shutdown`` sets, the feature table, the error reply


def set_stop_event(server: Any, event: Any) -> None:
    """pygls's ``shutdown``/``exit`` set ``server._stop_event`` to end its loop; tokenls's
    own stdio loop waits on the same event."""
    server._stop_event = event


def feature_handler(protocol: Any, method: str) -> Callable[..., Any] | None:
    """The user handler registered for ``method`` (pygls's feature manager), or None."""
    manager = getattr(protocol, "fm", None)
    features = getattr(manager, "features", None)
    return features.get(method) if isinstance(features, dict) else None


def send_error(protocol: Any, msg_id: Any, error: Any) -> None:
    """Answer request ``msg_id`` with ``error`` (pygls's own reply path)."""
    protocol._send_response(msg_id, error=error)


# diskcache: the retry wrapper around statements outside transactions


def bound_sql_retry(cache_class: type, retry: Callable[[Any], Callable[..., Any]]) -> bool:
    """Make ``cache_class._sql_retry`` (diskcache retries a busy database for 60 s there)
    ``retry(self)``; False, and diskcache's own retry kept, outside the supported versions."""
    import diskcache

    if not supported("diskcache", getattr(diskcache, "__version__", None)) or not hasattr(
        diskcache.Cache, "_sql_retry"
    ):
        return False
    cache_class._sql_retry = property(retry)  # type: ignore[attr-defined]
    return True


# toktok-rs: its count-only encoder


def toktok_encoder(name: str) -> Any | None:
    """toktok-rs's encoder for ``name`` (counts without making token ids), or None."""
    import toktok

    if not supported("toktok-rs", getattr(toktok, "__version__", None)):
        return None
    encoding = getattr(toktok, "_encoding", None)
    return encoding(name) if callable(encoding) else None
