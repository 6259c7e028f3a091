"""The settings schema: typed dataclasses, and strict validation of raw tables with cattrs.

Every source (a TOML file, the editor's JSON) is validated key by key against the same
types, so a problem names the exact key, the value, and what is allowed — with "did you
mean" for a misspelt key. Nothing is coerced: ``budget = "lots"`` or ``"5"`` is an error,
never a silent default.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NewType, get_type_hints

from tokenls.engine.encodings import DEFAULT_ENCODING, ENCODINGS, NOT_SHIPPED
from tokenls.engine.tokenizer_files import PACKAGED, is_tokenizer_file

if TYPE_CHECKING:
    import cattrs

InlayHints = Literal["off", "total", "sections", "all"]
INLAY_HINT_LEVELS: tuple[str, ...] = ("off", "total", "sections", "all")
DEFAULT_INCLUDE = (
    "**/*.md",
    "**/*.markdown",
    "**/*.txt",
    "**/*.prompt",
    "**/*.prompty",
    "**/*.mdc",
)

# Constrained values: each has a structure hook below that says what it accepts.
Encoding = NewType("Encoding", str)
Tokens = NewType("Tokens", int)
Bytes = NewType("Bytes", int)
Share = NewType("Share", float)
Milliseconds = NewType("Milliseconds", int)
ReferenceCount = NewType("ReferenceCount", int)
TimeoutSeconds = NewType("TimeoutSeconds", float)
TtlSeconds = NewType("TtlSeconds", float)
WindowSeconds = NewType("WindowSeconds", float)
IntervalMs = NewType("IntervalMs", float)
Hosts = NewType("Hosts", tuple)
Headers = NewType("Headers", dict)
RateLimits = NewType("RateLimits", dict)
ContextWindows = NewType("ContextWindows", dict)
Variables = NewType("Variables", dict)
ReferenceSyntaxes = NewType("ReferenceSyntaxes", tuple)
RateStore = NewType("RateStore", str)
PathText = NewType("PathText", str)
Table = NewType("Table", dict)
Strings = NewType("Strings", tuple)

# The reference syntaxes a ``references`` setting may name (``tokenls.references.parse``).
REFERENCE_SYNTAXES: tuple[str, ...] = (
    "hash_file",
    "markdown_link",
    "at_import",
    "prompty_file",
    "continue_file",
    "file_uri",
    "variable",
    "input_variable",
    "continue_url",
    "prompty_url",
    "hash_url",
    "at_url",
)


@dataclass(frozen=True, slots=True)
class Range:
    """What a numeric setting accepts: a finite number from ``low`` to ``high`` (``low``
    itself excluded when ``above``), whole when ``whole``. Every number has an upper bound:
    ``inf`` or an absurd value could make a wait endless or a conversion fail far from
    the setting that caused it."""

    low: float
    high: float
    above: bool = False
    whole: bool = False
    unit: str = ""
    text: str = ""  # what the value is, when "a positive number" says too little

    def allows(self, value: Any) -> bool:
        if not _number(value) or (self.whole and not isinstance(value, int)):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        return (value > self.low if self.above else value >= self.low) and value <= self.high

    def describe(self) -> str:
        kind = "whole number" if self.whole else "number"
        what = f"{kind} of {self.unit}" if self.unit else kind
        if (self.above and self.low == 0) or (self.whole and self.low == 1):
            allowed = f"a positive {what} up to {_shown(self.high)}"
        else:
            allowed = f"a {what} from {_shown(self.low)} to {_shown(self.high)}"
        return f"{allowed} ({self.text})" if self.text else allowed


def _shown(number: float) -> str:
    return f"{int(number):,}" if number == int(number) else f"{number:g}"


MAX_TOKENS = 1_000_000_000
MAX_BYTES = 1 << 30
# The range of each numeric setting; ``rate.limits`` values have theirs in LIMIT_RANGES.
RANGES: dict[Any, Range] = {
    Tokens: Range(1, MAX_TOKENS, whole=True, unit="tokens"),
    Bytes: Range(1, MAX_BYTES, whole=True, unit="bytes"),
    Share: Range(0, 10, above=True, text="a share such as 0.8"),
    Milliseconds: Range(0, 10_000, whole=True, unit="milliseconds"),
    TimeoutSeconds: Range(0, 600, above=True, unit="seconds"),
    TtlSeconds: Range(0, 366 * 86_400, above=True, unit="seconds"),
    WindowSeconds: Range(1, 3600, unit="seconds"),
    IntervalMs: Range(0, 60_000, unit="milliseconds"),
    ReferenceCount: Range(1, 50_000, whole=True, unit="references"),  # < MAX_PARSED_REFERENCES
}
LIMIT_RANGES: dict[str, Range] = {
    "requests_per_minute": Range(0, 1_000_000, above=True),
    "tokens_per_minute": Range(0, 1_000_000_000_000, above=True),
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Shares of the budget at which the severity ladder steps up."""

    target: Share = Share(0.6)
    warning: Share = Share(0.8)
    error: Share = Share(1.0)


@dataclass(frozen=True, slots=True)
class FileSettings:
    """How referenced files may be read."""

    allow_home: bool = False
    max_bytes: Bytes = Bytes(10 * 1024 * 1024)


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Which URLs may be fetched, and how."""

    allow_hosts: Hosts = Hosts(())
    allow_http: bool = False
    allow_private_hosts: Hosts = Hosts(())
    timeout_s: TimeoutSeconds = TimeoutSeconds(10.0)
    max_bytes: Bytes = Bytes(5_000_000)
    ttl_s: TtlSeconds = TtlSeconds(3600.0)
    pretty_json: bool = False
    headers: Headers = field(default_factory=lambda: Headers({}))


@dataclass(frozen=True, slots=True)
class RateSettings:
    target: Share = Share(0.6)
    min_interval_ms: IntervalMs = IntervalMs(150.0)
    window_s: WindowSeconds = WindowSeconds(60.0)
    store: RateStore = RateStore("disk")
    limits: RateLimits = field(default_factory=lambda: RateLimits({}))


@dataclass(frozen=True, slots=True)
class Settings:
    encoding: Encoding = Encoding(DEFAULT_ENCODING)
    budget: Tokens | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    model: str | None = None
    models: Strings = Strings(())
    inlay_hints: InlayHints = "all"
    include: Strings = Strings(DEFAULT_INCLUDE)
    context_windows: ContextWindows = field(default_factory=lambda: ContextWindows({}))
    debounce_ms: Milliseconds = Milliseconds(150)
    references: ReferenceSyntaxes | None = None  # None: chosen per file type
    # A document's references resolved at most (imports included), and none started past
    # this long: a prompt with a million references still answers; the rest count 0,
    # reported once.
    max_references: ReferenceCount = ReferenceCount(1000)
    references_timeout_s: TimeoutSeconds = TimeoutSeconds(30.0)
    variables: Variables = field(default_factory=lambda: Variables({}))
    variables_file: PathText | None = None
    files: FileSettings = field(default_factory=lambda: FileSettings())
    cache_dir: PathText | None = None
    http: HttpSettings = field(default_factory=lambda: HttpSettings())
    rate: RateSettings = field(default_factory=lambda: RateSettings())
    compress: Table = field(default_factory=lambda: Table({}))  # read by tokenls.compress


Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """A setting tokenls did not take: where it came from, which key, and why."""

    source: str
    key: str
    reason: str
    severity: Severity = "error"
    line: int | None = None  # 0-based, in the source file, when known

    def __str__(self) -> str:
        return f"{self.source}: {self.key}: {self.reason}"


class ConfigError(Exception):
    """A config that cannot be used as written; the command line exits 2 with it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _fail(what: str) -> ValueError:
    return ValueError(f"expected {what}")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


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


def _hooks() -> dict[Any, Any]:
    def strict(kind: type, what: str) -> Any:
        def hook(value: Any, _type: Any) -> Any:
            if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
                raise _fail(what)
            return value

        return hook

    def check(test: Any, what: str, convert: Any = None) -> Any:
        def hook(value: Any, _type: Any) -> Any:
            if not test(value):
                raise _fail(what)
            return convert(value) if convert else value

        return hook

    def strings(value: Any) -> bool:
        return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)

    def tables_of(inner: Any) -> Any:
        return lambda v: (
            isinstance(v, Mapping)
            and all(
                isinstance(t, Mapping) and all(inner(k, x) for k, x in t.items())
                for t in v.values()
            )
        )

    return {
        str: strict(str, "a string"),
        bool: strict(bool, "true or false"),
        int: strict(int, "a whole number"),
        **{
            kind: check(bounds.allows, bounds.describe(), None if bounds.whole else float)
            for kind, bounds in RANGES.items()
        },
        Encoding: check(
            lambda v: isinstance(v, str) and (v in ENCODINGS or is_tokenizer_file(v)),
            f"one of {', '.join((*ENCODINGS, *PACKAGED))}, or a path to a tokenizer.json "
            f"({', '.join(NOT_SHIPPED)}: their rank data does not ship offline)",
        ),
        Hosts: check(
            strings, "a list of host or host:port strings", lambda v: tuple(h.lower() for h in v)
        ),
        Headers: check(
            tables_of(lambda _k, x: isinstance(x, str)),
            'tables like [http.headers."host"] Name = "value"',
            lambda v: {h.lower(): dict(t) for h, t in v.items()},
        ),
        RateLimits: _rate_limits,
        ContextWindows: check(
            lambda v: isinstance(v, Mapping) and all(map(RANGES[Tokens].allows, v.values())),
            f"a table of model = tokens ({RANGES[Tokens].describe()})",
            dict,
        ),
        Variables: check(
            lambda v: isinstance(v, Mapping),
            "a table of name = value",
            lambda v: {str(k): x if isinstance(x, str) else str(x) for k, x in v.items()},
        ),
        ReferenceSyntaxes: check(
            lambda v: v == "auto" or (strings(v) and all(s in REFERENCE_SYNTAXES for s in v)),
            f'"auto" or a list drawn from {", ".join(REFERENCE_SYNTAXES)}',
            lambda v: None if v == "auto" else tuple(v),
        ),
        RateStore: check(
            lambda v: (
                isinstance(v, str)
                and (v == "disk" or v.startswith(("redis://", "rediss://", "unix://")))
            ),
            '"disk" or a redis:// URL',
        ),
        PathText: check(lambda v: isinstance(v, str) and bool(v), "a path"),
        Table: check(lambda v: isinstance(v, Mapping), "a table", dict),
        Strings: check(
            lambda v: isinstance(v, str) or strings(v),
            "a list of strings",
            lambda v: (v,) if isinstance(v, str) else tuple(v),
        ),
    }


_converter: cattrs.Converter | None = None


def converter() -> cattrs.Converter:
    global _converter
    if _converter is None:
        import cattrs  # imported on the first value to check: most runs set no keys

        made = cattrs.Converter(forbid_extra_keys=True)
        for kind, hook in _hooks().items():
            made.register_structure_hook(kind, hook)
        _converter = made
    return _converter


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
