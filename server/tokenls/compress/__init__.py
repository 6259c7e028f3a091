"""Log compression that keeps every failure: classify, group, fit a token budget.

The names below load on first use, so that importing a submodule (``classify``, for the
code actions' log detection) does not pull in the template miner.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "GENEROUS",
    "CompressCancelled",
    "CompressResult",
    "ErrorMemory",
    "Profile",
    "ProfileError",
    "compress",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from tokenls.compress import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'tokenls.compress' has no attribute {name!r}")
