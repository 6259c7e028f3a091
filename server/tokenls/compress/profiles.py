"""Compression profiles: how much of the budget goes to the end of the failing step.

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
    reserve: float = 0.5  # share of the budget kept for the end of the failing step


BUILTIN: dict[str, Profile] = {
    "test_logs": Profile("test_logs", reserve=0.5),
    "error_logs": Profile("error_logs", reserve=0.5),
    "info_logs": Profile("info_logs", reserve=0.5),
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
        if key != "reserve":
            raise ProfileError(f"profile {name!r}: unknown key {key!r} (known: extends, reserve)")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ProfileError(f"profile {name!r}: reserve must be a share from 0 to 1")
        profile = replace(profile, reserve=float(value))
    return profile
