"""Raw settings checked against the schema key by key, and laid over one another.

Every source (a TOML file, the editor's JSON) is validated against the same types, so a
problem names the exact key, the value, and what is allowed — with "did you mean" for a
misspelt key. Nothing is coerced: ``budget = "lots"`` or ``"5"`` is an error, never a
silent default.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping
from typing import Any, Literal, get_type_hints

from tokenls.config.hooks import converter
from tokenls.config.schema import Problem, Settings


def snake_case(key: str) -> str:
    """The TOML spelling of a key: the editor's ``inlayHints`` is ``inlay_hints``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def validate(
    raw: Any, source: str, schema: type = Settings, prefix: str = ""
) -> tuple[dict[str, Any], list[Problem]]:
    """The valid keys of ``raw`` as typed values (nested tables as dicts), and a problem
    for each invalid or unknown key. Keys may be snake_case or camelCase."""
    if not isinstance(raw, Mapping):
        what = f"{prefix.rstrip('.')} must be a table" if prefix else "expected a table"
        return {}, [Problem(source, prefix.rstrip(".") or "<file>", what)]
    types = get_type_hints(schema)
    names = [f.name for f in dataclasses.fields(schema)]
    clean: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in raw.items():
        name = snake_case(str(key))
        path = f"{prefix}{key}"
        if name not in types:
            problems.append(Problem(source, path, _unknown(str(key), names)))
            continue
        kind = types[name]
        if dataclasses.is_dataclass(kind) and isinstance(value, Mapping):
            clean[name], more = validate(value, source, kind, f"{path}.")  # type: ignore[arg-type]
            problems.extend(more)
            continue
        try:
            clean[name] = converter().structure(value, kind)
        except Exception as exc:  # cattrs raises its own groups and plain ValueErrors
            problems.append(Problem(source, path, f"{value!r}: {_reason(exc, kind)}"))
    return clean, problems


def _unknown(key: str, names: list[str]) -> str:
    close = difflib.get_close_matches(snake_case(key), names, n=1, cutoff=0.6)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)"
    return f"unknown key (known keys: {', '.join(names)})"


def _reason(exc: BaseException, kind: Any) -> str:
    if isinstance(exc, ValueError) and str(exc).startswith("expected"):
        return str(exc)
    import cattrs

    if isinstance(exc, cattrs.BaseValidationError):
        for inner in exc.exceptions:
            return _reason(inner, kind)
    if getattr(kind, "__origin__", None) is Literal or "Literal" in repr(kind):
        allowed = getattr(kind, "__args__", ())
        return f"expected one of {', '.join(map(str, allowed))}"
    text = repr(kind).replace("typing.", "")
    return f"expected {text}"


def layer(base: Any, values: Mapping[str, Any]) -> Any:
    """``base`` (a settings dataclass) with validated ``values`` laid over it."""
    changes = {}
    for name, value in values.items():
        current = getattr(base, name)
        changes[name] = (
            layer(current, value)
            if dataclasses.is_dataclass(current) and isinstance(value, Mapping)
            else value
        )
    return dataclasses.replace(base, **changes)


def check_thresholds(settings: Settings, before: Settings, source: str) -> tuple[Settings, list]:
    """The ladder must climb: target <= warning <= error; otherwise keep the previous one."""
    t = settings.thresholds
    if t.target <= t.warning <= t.error:
        return settings, []
    problem = Problem(
        source,
        "thresholds",
        f"target {t.target}, warning {t.warning}, error {t.error}: "
        "expected target <= warning <= error",
    )
    return dataclasses.replace(settings, thresholds=before.thresholds), [problem]
