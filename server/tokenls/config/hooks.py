"""The structure hooks that check a raw setting against its type, and the cattrs converter
that holds them.

Nothing is coerced: a hook takes a value of exactly the right kind (``"5"`` is no number,
``true`` no whole number) or raises ``ValueError("expected …")``, whose text names what is
allowed; ``tokenls.config.schema`` turns it into a problem naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tokenls.config.schema import (
    ContextWindows,
    Encoding,
    Headers,
    Hosts,
    PathText,
    RateLimits,
    RateStore,
    ReferenceSyntaxes,
    Strings,
    Table,
    Tokens,
    Variables,
)
from tokenls.config.values import LIMIT_RANGES, RANGES, REFERENCE_SYNTAXES
from tokenls.engine.encodings import ENCODINGS, NOT_SHIPPED
from tokenls.engine.tokenizer_files import PACKAGED, is_tokenizer_file

if TYPE_CHECKING:
    import cattrs


def _fail(what: str) -> ValueError:
    return ValueError(f"expected {what}")


def _rate_limits(value: Any, _type: Any) -> dict[str, dict[str, float]]:
    """``[rate.limits."host"]`` tables; a bad entry is named with its host and key."""
    shape = f'tables like [rate.limits."host"] with {" or ".join(LIMIT_RANGES)}'
    if not isinstance(value, Mapping):
        raise _fail(shape)
    limits: dict[str, dict[str, float]] = {}
    for host, table in value.items():
        if not isinstance(table, Mapping):
            raise _fail(shape)
        for key, number in table.items():
            if key not in LIMIT_RANGES:
                raise _fail(f"{shape}, not {key!r}")
            if not LIMIT_RANGES[key].allows(number):
                allowed = LIMIT_RANGES[key].describe()
                raise _fail(f'{key} for "{host}" to be {allowed}, not {number!r}')
        limits[str(host).lower()] = {str(k): float(n) for k, n in table.items()}
    return limits


def _strict(kind: type, what: str) -> Any:
    """A hook taking only values of ``kind`` itself (a bool is no int here)."""

    def hook(value: Any, _type: Any) -> Any:
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise _fail(what)
        return value

    return hook


def _check(test: Any, what: str, convert: Any = None) -> Any:
    """A hook taking the values that pass ``test``, converted by ``convert`` when given."""

    def hook(value: Any, _type: Any) -> Any:
        if not test(value):
            raise _fail(what)
        return convert(value) if convert else value

    return hook


def _strings(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


def _tables_of(inner: Any) -> Any:
    return lambda v: (
        isinstance(v, Mapping)
        and all(
            isinstance(t, Mapping) and all(inner(k, x) for k, x in t.items()) for t in v.values()
        )
    )


def _number_hooks() -> dict[Any, Any]:
    """Plain scalars, and each numeric type within its range."""
    return {
        str: _strict(str, "a string"),
        bool: _strict(bool, "true or false"),
        int: _strict(int, "a whole number"),
        **{
            kind: _check(bounds.allows, bounds.describe(), None if bounds.whole else float)
            for kind, bounds in RANGES.items()
        },
    }


def _table_hooks() -> dict[Any, Any]:
    """Settings that are tables: hosts, headers, rate limits, context windows, variables."""
    return {
        Hosts: _check(
            _strings, "a list of host or host:port strings", lambda v: tuple(h.lower() for h in v)
        ),
        Headers: _check(
            _tables_of(lambda _k, x: isinstance(x, str)),
            'tables like [http.headers."host"] Name = "value"',
            lambda v: {h.lower(): dict(t) for h, t in v.items()},
        ),
        RateLimits: _rate_limits,
        ContextWindows: _check(
            lambda v: isinstance(v, Mapping) and all(map(RANGES[Tokens].allows, v.values())),
            f"a table of model = tokens ({RANGES[Tokens].describe()})",
            dict,
        ),
        Variables: _check(
            lambda v: isinstance(v, Mapping),
            "a table of name = value",
            lambda v: {str(k): x if isinstance(x, str) else str(x) for k, x in v.items()},
        ),
        Table: _check(lambda v: isinstance(v, Mapping), "a table", dict),
    }


def _choice_hooks() -> dict[Any, Any]:
    """Settings that name something: an encoding, reference syntaxes, a store, a path."""
    return {
        Encoding: _check(
            lambda v: isinstance(v, str) and (v in ENCODINGS or is_tokenizer_file(v)),
            f"one of {', '.join((*ENCODINGS, *PACKAGED))}, or a path to a tokenizer.json "
            f"({', '.join(NOT_SHIPPED)}: their rank data does not ship offline)",
        ),
        ReferenceSyntaxes: _check(
            lambda v: v == "auto" or (_strings(v) and all(s in REFERENCE_SYNTAXES for s in v)),
            f'"auto" or a list drawn from {", ".join(REFERENCE_SYNTAXES)}',
            lambda v: None if v == "auto" else tuple(v),
        ),
        RateStore: _check(
            lambda v: (
                isinstance(v, str)
                and (v == "disk" or v.startswith(("redis://", "rediss://", "unix://")))
            ),
            '"disk" or a redis:// URL',
        ),
        PathText: _check(lambda v: isinstance(v, str) and bool(v), "a path"),
        Strings: _check(
            lambda v: isinstance(v, str) or _strings(v),
            "a list of strings",
            lambda v: (v,) if isinstance(v, str) else tuple(v),
        ),
    }


def structure_hooks() -> dict[Any, Any]:
    """Each type of the schema → the hook that checks a raw value against it."""
    return {**_number_hooks(), **_table_hooks(), **_choice_hooks()}


_converter: cattrs.Converter | None = None


def converter() -> cattrs.Converter:
    global _converter
    if _converter is None:
        import cattrs  # imported on the first value to check: most runs set no keys

        made = cattrs.Converter(forbid_extra_keys=True)
        for kind, hook in structure_hooks().items():
            made.register_structure_hook(kind, hook)
        _converter = made
    return _converter
