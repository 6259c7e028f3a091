"""Log compression that keeps the failure: normalise, score lines, choose under a budget.

The names below load on first use, so that importing a submodule (``signals``, for the
code actions' log detection) stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
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
