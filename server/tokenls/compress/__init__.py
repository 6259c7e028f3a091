"""Log compression that keeps every failure: classify, group, fit a token budget.

The names below load on first use, so that importing a submodule (``classify``, for the
code actions' log detection) does not pull in the template miner.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    "GENEROUS": "engine",
    "CompressCancelled": "engine",
    "CompressResult": "engine",
    "compress": "engine",
    "ErrorMemory": "memory",
    "Profile": "profiles",
    "ProfileError": "profiles",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'tokenls.compress' has no attribute {name!r}")
    return getattr(import_module(f"tokenls.compress.{home}"), name)
