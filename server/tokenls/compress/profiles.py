"""Compression profiles: how much of the budget goes to the end of the failing step.

One profile ships, ``default`` (half the budget to the failing step's end). tokenls once
shipped three named ones (``test_logs``, ``error_logs``, ``info_logs``) chosen from the
first 400 lines; they had one setting between them, set alike, so they compressed every
log to the same bytes and only the name in the statistics differed. Profiles are yours:
``[compress.profiles.NAME]`` with ``reserve`` (and ``extends`` another of yours), chosen
with ``--profile NAME``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

DEFAULT = "default"
_RETIRED = ("test_logs", "error_logs", "info_logs")


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    reserve: float = 0.5  # share of the budget kept for the end of the failing step


BUILTIN: dict[str, Profile] = {DEFAULT: Profile(DEFAULT)}


def detect_profile(sample: Iterable[str]) -> Profile:
    """The profile of a run that names none: ``default``, whatever the log says (there is
    nothing to detect, so nothing of the log is read)."""
    return BUILTIN[DEFAULT]


class ProfileError(ValueError):
    """An unknown profile name or an invalid custom profile."""


def load_profile(name: str, custom: Mapping[str, Any] | None = None) -> Profile:
    """``default`` or a configured profile by name (one may extend another)."""
    return _load(name, custom or {}, ())


def _load(name: str, custom: Mapping[str, Any], chain: tuple[str, ...]) -> Profile:
    table = custom.get(name)
    if table is None:
        if name in BUILTIN:
            return BUILTIN[name]
        raise ProfileError(_unknown(name, custom))
    if not isinstance(table, Mapping):
        raise ProfileError(f"profile {name!r} must be a table of settings")
    if name in chain:
        raise ProfileError(f"profile {name!r} extends itself ({' → '.join([*chain, name])})")
    parent = table.get("extends", DEFAULT)
    if not isinstance(parent, str):
        raise ProfileError(f"profile {name!r}: extends must be a profile's name")
    profile = replace(_load(parent, custom, (*chain, name)), name=name)
    for key, value in table.items():
        if key == "extends":
            continue
        if key != "reserve":
            raise ProfileError(f"profile {name!r}: unknown key {key!r} (known: extends, reserve)")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ProfileError(f"profile {name!r}: reserve must be a share from 0 to 1")
        profile = replace(profile, reserve=float(value))
    return profile


def _unknown(name: str, custom: Mapping[str, Any]) -> str:
    known = ", ".join([DEFAULT, *custom])
    if name in _RETIRED:
        return (
            f"profile {name!r} is no longer built in (the three built-in profiles compressed "
            f"every log alike); use {known}, or define [compress.profiles.{name}] with a "
            "reserve (the share of the budget for the failing step's end)"
        )
    return f"unknown profile {name!r}: choose one of {known}"
