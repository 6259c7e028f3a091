"""tiktoken's panic, caught in one place by its type and logged; every other error raises.

tiktoken's Rust core panics on some inputs (its regex engine's backtracking limit on long
whitespace runs with ``o200k_base``); PyO3 turns a panic into ``pyo3_runtime.PanicException``,
a ``BaseException`` so that ``except Exception`` does not hide it. That one failure is
expected and the caller falls back to an estimate; a bug in the pure or fast engine (any other
exception) must surface, not turn into a silent ``≈``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("tokenls.engine")


def is_panic(exc: BaseException) -> bool:
    """A PyO3 panic: the type PyO3 makes at run time, ``pyo3_runtime.PanicException``."""
    kind = type(exc)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"


def unless_panic(what: str, encode: Callable[..., T], *args: object) -> T | None:
    """``encode(*args)``, or None (logged) when tiktoken panicked; anything else raises."""
    try:
        return encode(*args)
    except BaseException as exc:
        if not is_panic(exc):
            raise
        log.warning("%s: tiktoken panicked (%s); estimated instead", what, str(exc)[:200])
        return None
