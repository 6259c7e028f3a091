"""Compression profiles: how much context to keep and what to give up first.

``test_logs`` suits CI test runs, ``error_logs`` application logs with failures,
``info_logs`` mostly healthy logs. ``auto`` picks one from the first lines of the input;
custom profiles live in config under ``[compress.profiles.NAME]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    context_lines: int = 2  # kept verbatim before and after each failure block
    reserve: float = 0.10  # share of the budget only failures may use
    max_block_lines: int = 200  # a failure block longer than this is cut in its middle


BUILTIN: dict[str, Profile] = {
    "test_logs": Profile("test_logs", context_lines=2, reserve=0.10, max_block_lines=120),
    "error_logs": Profile("error_logs", context_lines=3, reserve=0.15, max_block_lines=200),
    "info_logs": Profile("info_logs", context_lines=1, reserve=0.10, max_block_lines=80),
}

_TEST_MARKERS = re.compile(
    r"test session starts|^collected \d+ items|::test_|^=+ .*(?:passed|failed)|"
    r"^(?:Ran|OK|FAILED) \(?\d* ?tests?|Tests run: \d+|^--- (?:PASS|FAIL):|^=== RUN|"
    r"^test .* \.\.\. (?:ok|FAILED)|^(?:PASS|FAIL) .*\.(?:test|spec)\.[jt]sx?|Test Suites:",
    re.MULTILINE,
)
_ERROR_MARKERS = re.compile(r"Traceback|Exception|\bERROR\b|\bFATAL\b|panic:|error:", re.MULTILINE)


def detect_profile(sample: Iterable[str]) -> Profile:
    """Choose a built-in profile from a sample of the input's lines."""
    text = "\n".join(sample)
    if _TEST_MARKERS.search(text):
        return BUILTIN["test_logs"]
    if len(_ERROR_MARKERS.findall(text)) >= 1:
        return BUILTIN["error_logs"]
    return BUILTIN["info_logs"]


class ProfileError(ValueError):
    """An unknown profile name or an invalid custom profile."""


def load_profile(name: str, custom: Mapping[str, Any] | None = None) -> Profile:
    """A built-in or configured profile by name (configured ones may extend a built-in)."""
    table = (custom or {}).get(name)
    if table is None:
        if name in BUILTIN:
            return BUILTIN[name]
        known = ", ".join([*BUILTIN, *(custom or {})])
        raise ProfileError(f"unknown profile {name!r}: choose auto or one of {known}")
    if not isinstance(table, Mapping):
        raise ProfileError(f"profile {name!r} must be a table of settings")
    base = BUILTIN.get(str(table.get("extends", "error_logs")), BUILTIN["error_logs"])
    profile = replace(base, name=name)
    for key, value in table.items():
        if key == "extends":
            continue
        if key not in ("context_lines", "reserve", "max_block_lines"):
            raise ProfileError(f"profile {name!r}: unknown key {key!r}")
        if key == "reserve":
            if not isinstance(value, int | float) or not 0 <= value < 1:
                raise ProfileError(f"profile {name!r}: reserve must be a share below 1")
            value = float(value)
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ProfileError(f"profile {name!r}: {key} must be a whole number")
        profile = replace(profile, **{key: value})
    return profile
