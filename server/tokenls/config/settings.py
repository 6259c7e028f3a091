"""Settings: found like ruff finds its config, validated once into a typed object.

Sources, later wins: defaults, the nearest ``tokenls.toml`` (or ``pyproject.toml`` with a
``[tool.tokenls]`` table) walking up from the file, then the editor's settings. An invalid
value never stops anything: it yields one ``Problem`` naming the key and the reason, and
that key keeps its previous value. The budget is the exception to "later wins": a file's
own frontmatter, then the config file, then the editor (see ``tokenls.budget``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from tokenls.encodings import DEFAULT_ENCODING, ENCODINGS

InlayHints = Literal["off", "total", "sections", "all"]
INLAY_HINT_LEVELS: tuple[str, ...] = ("off", "total", "sections", "all")
CONFIG_FILE = "tokenls.toml"
DEFAULT_INCLUDE = (
    "**/*.md",
    "**/*.markdown",
    "**/*.txt",
    "**/*.prompt",
    "**/*.prompty",
    "**/*.mdc",
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Shares of the budget at which the severity ladder steps up."""

    target: float = 0.6
    warning: float = 0.8
    error: float = 1.0


@dataclass(frozen=True, slots=True)
class FileSettings:
    """How referenced files may be read."""

    allow_home: bool = False
    max_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Which URLs may be fetched, and how."""

    allow_hosts: tuple[str, ...] = ()
    allow_http: bool = False
    allow_private_hosts: tuple[str, ...] = ()
    timeout_s: float = 10.0
    max_bytes: int = 5_000_000
    ttl_s: float = 3600.0
    pretty_json: bool = False
    headers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RateSettings:
    target: float = 0.6
    min_interval_ms: float = 150.0
    window_s: float = 60.0
    store: str = "disk"
    limits: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Settings:
    encoding: str = DEFAULT_ENCODING
    budget: int | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    model: str | None = None
    models: tuple[str, ...] = ()
    inlay_hints: InlayHints = "all"
    include: tuple[str, ...] = DEFAULT_INCLUDE
    context_windows: Mapping[str, int] = field(default_factory=dict)
    debounce_ms: int = 150
    references: tuple[str, ...] | None = None  # None: chosen per file type
    variables: Mapping[str, str] = field(default_factory=dict)
    variables_file: str | None = None
    files: FileSettings = field(default_factory=lambda: FileSettings())
    cache_dir: str | None = None
    http: HttpSettings = field(default_factory=lambda: HttpSettings())
    rate: RateSettings = field(default_factory=lambda: RateSettings())


@dataclass(frozen=True, slots=True)
class Problem:
    """An invalid setting: where it came from, which key, and why."""

    source: str
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: setting {self.key!r} ignored: {self.reason}"


# Accepted spellings: TOML snake_case and the editor's camelCase.
_ALIASES = {
    "inlayHints": "inlay_hints",
    "contextWindows": "context_windows",
    "debounceMs": "debounce_ms",
    "variablesFile": "variables_file",
    "cacheDir": "cache_dir",
}


def apply_settings(
    base: Settings, raw: Mapping[str, Any], source: str
) -> tuple[Settings, list[Problem]]:
    """Layer the keys present in ``raw`` over ``base``; invalid keys keep base's value."""
    problems: list[Problem] = []
    changes: dict[str, Any] = {}
    if not isinstance(raw, Mapping):
        return base, [Problem(source, "<root>", "expected a table of settings")]
    for key, value in raw.items():
        name = _ALIASES.get(key, key)
        parser = _PARSERS.get(name)
        if parser is None:
            continue  # unknown keys belong to other features or newer versions
        try:
            changes[name] = parser(value, base)
        except (TypeError, ValueError) as exc:
            problems.append(Problem(source, key, str(exc)))
    settings = replace(base, **changes)
    t = settings.thresholds
    if not t.target <= t.warning <= t.error:
        problems.append(Problem(source, "thresholds", "expected target <= warning <= error"))
        settings = replace(settings, thresholds=base.thresholds)
    return settings, problems


def _encoding(value: Any, _base: Settings) -> str:
    if value not in ENCODINGS:
        raise ValueError(f"expected one of {', '.join(ENCODINGS)}, got {value!r}")
    return str(value)


def _budget(value: Any, _base: Settings) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"expected a positive whole number of tokens, got {value!r}")
    return value


def _thresholds(value: Any, base: Settings) -> Thresholds:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a table like {{target = 0.6, warning = 0.8}}, got {value!r}")
    fields = {}
    for key, share in value.items():
        if key not in ("target", "warning", "error"):
            raise ValueError(f"unknown threshold {key!r} (target, warning, error)")
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 10:
            raise ValueError(f"{key} must be a share of the budget such as 0.8, got {share!r}")
        fields[key] = float(share)
    return replace(base.thresholds, **fields)


def _model(value: Any, _base: Settings) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a model name such as 'gpt-4o', got {value!r}")
    return value.strip()


def _models(value: Any, _base: Settings) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"expected a list of model names, got {value!r}")
    return tuple(value)


def _inlay_hints(value: Any, _base: Settings) -> str:
    if value is False:
        return "off"
    if value is True:
        return "all"
    if value not in INLAY_HINT_LEVELS:
        raise ValueError(f"expected one of {', '.join(INLAY_HINT_LEVELS)}, got {value!r}")
    return str(value)


def _include(value: Any, _base: Settings) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"expected a list of glob patterns, got {value!r}")
    return tuple(value)


def _context_windows(value: Any, _base: Settings) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a table of model = tokens, got {value!r}")
    for model, size in value.items():
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise ValueError(f"context window of {model!r} must be a positive number")
    return dict(value)


def _debounce(value: Any, _base: Settings) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
        raise ValueError(f"expected milliseconds between 0 and 10000, got {value!r}")
    return value


def _references(value: Any, _base: Settings) -> tuple[str, ...] | None:
    from tokenls.references.parse import SYNTAXES

    if value in (None, "auto"):
        return None
    if not isinstance(value, list | tuple) or not all(v in SYNTAXES for v in value):
        raise ValueError(f'expected "auto" or a list drawn from {", ".join(SYNTAXES)}')
    return tuple(value)


def _variables(value: Any, _base: Settings) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a table of name = value, got {value!r}")
    return {str(k): v if isinstance(v, str) else str(v) for k, v in value.items()}


def _optional_path(value: Any, _base: Settings) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise TypeError(f"expected a path, got {value!r}")
    return value


def _files(value: Any, base: Settings) -> FileSettings:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a table like {{max_bytes = 10000000}}, got {value!r}")
    result = base.files
    for key, item in value.items():
        if key in ("allow_home", "allowHome"):
            if not isinstance(item, bool):
                raise TypeError(f"files.{key} must be true or false")
            result = replace(result, allow_home=item)
        elif key in ("max_bytes", "maxBytes"):
            if isinstance(item, bool) or not isinstance(item, int) or item <= 0:
                raise ValueError(f"files.{key} must be a positive number of bytes")
            result = replace(result, max_bytes=item)
        else:
            raise ValueError(f"unknown key files.{key} (allow_home, max_bytes)")
    return result


def _http(value: Any, base: Settings) -> HttpSettings:
    if not isinstance(value, Mapping):
        raise TypeError("expected a table like [http] allow_hosts = [...]")
    result = base.http
    for key, item in value.items():
        name = {
            "allowHosts": "allow_hosts",
            "allowHttp": "allow_http",
            "timeoutS": "timeout_s",
            "maxBytes": "max_bytes",
            "ttlS": "ttl_s",
            "prettyJson": "pretty_json",
            "allowPrivateHosts": "allow_private_hosts",
        }.get(key, key)
        if name in ("allow_hosts", "allow_private_hosts"):
            if not isinstance(item, list | tuple) or not all(isinstance(h, str) for h in item):
                raise TypeError(f"http.{key} must be a list of host or host:port strings")
            item = tuple(h.lower() for h in item)
        elif name in ("allow_http", "pretty_json"):
            if not isinstance(item, bool):
                raise TypeError(f"http.{key} must be true or false")
        elif name in ("timeout_s", "ttl_s", "max_bytes"):
            if isinstance(item, bool) or not isinstance(item, int | float) or item <= 0:
                raise ValueError(f"http.{key} must be a positive number")
        elif name == "headers":
            if not isinstance(item, Mapping) or not all(
                isinstance(h, Mapping) and all(isinstance(v, str) for v in h.values())
                for h in item.values()
            ):
                raise TypeError(
                    'http.headers must be tables like [http.headers."host"] Name = "value"'
                )
            item = {host.lower(): dict(h) for host, h in item.items()}
        else:
            raise ValueError(f"unknown key http.{key}")
        result = replace(result, **{name: item})
    return result


def _rate(value: Any, base: Settings) -> RateSettings:
    if not isinstance(value, Mapping):
        raise TypeError("expected a table like [rate] target = 0.6")
    result = base.rate
    for key, item in value.items():
        name = {"minIntervalMs": "min_interval_ms", "windowS": "window_s"}.get(key, key)
        if name == "target":
            if isinstance(item, bool) or not isinstance(item, int | float) or not 0 < item <= 1:
                raise ValueError("rate.target must be a share between 0 and 1, such as 0.6")
        elif name in ("min_interval_ms", "window_s"):
            if isinstance(item, bool) or not isinstance(item, int | float) or item < 0:
                raise ValueError(f"rate.{key} must be a non-negative number")
        elif name == "store":
            if not isinstance(item, str) or not (
                item == "disk" or item.startswith(("redis://", "rediss://", "unix://"))
            ):
                raise ValueError('rate.store must be "disk" or a redis:// URL')
        elif name == "limits":
            if not isinstance(item, Mapping) or not all(
                isinstance(v, Mapping) for v in item.values()
            ):
                raise TypeError(
                    'rate.limits must be tables like [rate.limits."host"] requests_per_minute = 60'
                )
            for host, table in item.items():
                for field_name, number in table.items():
                    if field_name not in ("requests_per_minute", "tokens_per_minute"):
                        raise ValueError(f"rate.limits.{host}.{field_name}: unknown limit")
                    if (
                        isinstance(number, bool)
                        or not isinstance(number, int | float)
                        or number <= 0
                    ):
                        raise ValueError(f"rate.limits.{host}.{field_name} must be positive")
            item = {host.lower(): dict(table) for host, table in item.items()}
        else:
            raise ValueError(f"unknown key rate.{key}")
        result = replace(result, **{name: item})
    return result


_PARSERS = {
    "encoding": _encoding,
    "budget": _budget,
    "thresholds": _thresholds,
    "model": _model,
    "models": _models,
    "inlay_hints": _inlay_hints,
    "include": _include,
    "context_windows": _context_windows,
    "debounce_ms": _debounce,
    "references": _references,
    "variables": _variables,
    "variables_file": _optional_path,
    "files": _files,
    "cache_dir": _optional_path,
    "http": _http,
    "rate": _rate,
}


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """A config file found on disk and the raw table tokenls reads from it."""

    path: Path
    table: Mapping[str, Any]


def find_config(start: Path) -> ConfigFile | None:
    """The nearest ``tokenls.toml`` or ``pyproject.toml`` with ``[tool.tokenls]``."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        own = candidate / CONFIG_FILE
        if own.is_file():
            return ConfigFile(own, _read_toml(own))
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            table = _read_toml(pyproject).get("tool", {}).get("tokenls")
            if isinstance(table, Mapping):
                return ConfigFile(pyproject, table)
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return {"__error__": f"cannot read {path}: {exc}"}


def load_user_settings(base: Settings | None = None) -> tuple[Settings, list[Problem]]:
    """Defaults layered with the user's own config file (trusted: it may allow anything)."""
    from tokenls.config.trust import user_config_path

    base = base or Settings()
    path = user_config_path()
    if not path.is_file():
        return base, []
    table = _read_toml(path)
    if "__error__" in table:
        return base, [Problem(str(path), "<file>", str(table["__error__"]))]
    return apply_settings(base, table, str(path))


def apply_workspace_file(
    base: Settings, found: ConfigFile, trusted: Settings
) -> tuple[Settings, list[Problem]]:
    """A workspace config file layered over ``base``, without what it may not decide."""
    from tokenls.config.trust import restrict_workspace_table

    if "__error__" in found.table:
        return base, [Problem(str(found.path), "<file>", str(found.table["__error__"]))]
    table, refused = restrict_workspace_table(found.table, found.path, trusted)
    settings, problems = apply_settings(base, table, str(found.path))
    return settings, refused + problems


def load_config_for(path: Path, base: Settings | None = None) -> tuple[Settings, list[Problem]]:
    """Settings for a file: defaults, the user's config, then the workspace config above it."""
    user, problems = load_user_settings(base)
    found = find_config(path)
    if found is None:
        return user, problems
    settings, more = apply_workspace_file(user, found, user)
    return settings, problems + more


def workspace_root(path: Path) -> Path:
    """The root a command-line run confines references to: the nearest config file's
    directory, else the git root, else the current directory."""
    found = find_config(path)
    if found is not None:
        return found.path.parent
    start = path.resolve()
    for candidate in (start if start.is_dir() else start.parent, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return Path.cwd().resolve()
