"""The settings schema: the typed dataclasses every source is validated into, with their
defaults, and the problem a setting tokenls did not take.

Each constrained value has its own type, so the checks (``tokenls.config.hooks``, with the
ranges of ``tokenls.config.values``) know what a key accepts; ``tokenls.config.validation``
checks raw tables against these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NewType

from tokenls.engine.encodings import DEFAULT_ENCODING

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

# Constrained values: each has a structure hook (tokenls.config.hooks) saying what it accepts.
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
