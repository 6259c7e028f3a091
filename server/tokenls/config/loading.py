"""Where settings come from and which wins.

Found like ruff finds its config: the nearest ``tokenls.toml``, or ``pyproject.toml`` with a
``[tool.tokenls]`` table, walking up from the file. Precedence, later winning:

- ``editorFirst`` (default): defaults < user config < workspace config < editor settings;
- ``filesystemFirst``: defaults < editor settings < user config < workspace config;
- ``editorOnly``: defaults < editor settings.

A file named with the command line's ``--config`` (the user's own: trusted) comes right
after the user config and replaces the workspace config, as ruff's ``--config`` does. A
file's frontmatter wins over all of them (see ``tokenls.workspace.budget``). Editor settings are
only the keys the user set; each source is validated on its own, so a problem names its
file and key, and a workspace file is held to the trust rules (``tokenls.config.trust``).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from tokenls.config.schema import ConfigError, Problem, Settings
from tokenls.config.trust import restrict_workspace_values, user_config_path
from tokenls.config.validation import check_thresholds, layer, validate
from tokenls.files.regular import read_regular

CONFIG_FILE = "tokenls.toml"
CONFIG_MAX_BYTES = 4 * 1024 * 1024  # far beyond any real tokenls.toml or pyproject.toml
Preference = Literal["editorFirst", "filesystemFirst", "editorOnly"]
PREFERENCES: tuple[str, ...] = ("editorFirst", "filesystemFirst", "editorOnly")
EDITOR = "editor settings"


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """A config file found on disk: its path, text, and the table tokenls reads from it."""

    path: Path
    table: Mapping[str, Any]
    text: str = ""
    problem: Problem | None = None  # the file could not be read or parsed


@dataclass(frozen=True, slots=True)
class Layer:
    """One validated source of settings."""

    source: str
    values: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()


def find_config(
    start: Path, seen: dict[Path, ConfigFile | None] | None = None
) -> ConfigFile | None:
    """The nearest ``tokenls.toml`` or ``pyproject.toml`` with ``[tool.tokenls]``. ``seen``
    keeps each directory's answer, so a tree walk looks at each ancestor once."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    looked: list[Path] = []
    found = None
    for candidate in (directory, *directory.parents):
        if seen is not None and candidate in seen:
            found = seen[candidate]
            break
        looked.append(candidate)
        found = _config_here(candidate)
        if found is not None:
            break
    if seen is not None:
        seen.update(dict.fromkeys(looked, found))
    return found


def _config_here(directory: Path) -> ConfigFile | None:
    # A FIFO or device under a config file's name is found (and refused when read), never
    # skipped for a config further up that the repository did not choose.
    for candidate in (directory / CONFIG_FILE, directory / "pyproject.toml"):
        try:
            mode = os.stat(candidate).st_mode
        except (OSError, ValueError):
            continue
        if not stat.S_ISDIR(mode):
            return read_config(candidate)
    return None


def read_config(path: Path) -> ConfigFile | None:
    """A config file; ``pyproject.toml`` only when it has (or seems to have) a tokenls table."""
    pyproject = path.name == "pyproject.toml"
    try:  # only a regular file: a FIFO would block the read for ever
        data = read_regular(path, CONFIG_MAX_BYTES)
    except OSError as exc:
        reason = f"cannot read: {exc.strerror or exc}"
        return ConfigFile(path, {}, "", Problem(str(path), "<file>", reason))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if pyproject and b"tokenls" not in data:
            return None
        where = f"byte {data[exc.start]:#04x} at offset {exc.start}"
        reason = f"not valid UTF-8 ({where}); save it as UTF-8"
        return ConfigFile(path, {}, "", Problem(str(path), "<file>", reason))
    import tomllib  # only runs that find a config file parse one

    try:
        table: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        if pyproject and "tokenls" not in text:
            return None
        line = _error_line(str(exc))
        problem = Problem(str(path), "<file>", f"not valid TOML: {exc}", line=line)
        return ConfigFile(path, {}, text, problem)
    if not pyproject:
        return ConfigFile(path, table, text)
    tool = table.get("tool")
    if not isinstance(tool, Mapping) or "tokenls" not in tool:
        return None
    if not isinstance(tool["tokenls"], Mapping):
        problem = Problem(
            str(path),
            "tool.tokenls",
            f"{tool['tokenls']!r}: expected a table ([tool.tokenls])",
            line=key_line(text, "tool.tokenls"),
        )
        return ConfigFile(path, {}, text, problem)
    return ConfigFile(path, tool["tokenls"], text)


def _error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) - 1 if match else None


def key_line(text: str, key: str) -> int | None:
    """The 0-based line where a (dotted) key is set, for a diagnostic at the key."""
    parts = [p.strip('"') for p in re.findall(r'"[^"]*"|[^.]+', key)]
    last = re.escape(parts[-1])
    assignment = re.compile(rf'^\s*(?:[\w."-]*\.)?"?{last}"?\s*=|[{{,]\s*"?{last}"?\s*=')
    header = re.compile(rf'^\s*\[+[^\]]*"?{last}"?\s*\]+')
    lines = text.splitlines()
    for pattern in (assignment, header):
        for number, line in enumerate(lines):
            if pattern.search(line):
                return number
    return None


def file_layer(found: ConfigFile, trusted: Settings | None = None) -> Layer:
    """A config file's layer; with ``trusted``, held to the workspace trust rules."""
    source = str(found.path)
    if found.problem is not None:
        return Layer(source, {}, (found.problem,))
    values, problems = validate(found.table, source)
    if trusted is not None:
        values, refused = restrict_workspace_values(values, found.path, trusted)
        problems += refused
    located = tuple(replace(p, line=key_line(found.text, p.key)) for p in problems)
    return Layer(source, values, located)


def user_layer() -> Layer:
    """The user's own config file (trusted: it may allow anything)."""
    path = user_config_path()
    if not path.is_file():
        return Layer(str(path))
    found = read_config(path)
    return file_layer(found) if found is not None else Layer(str(path))


def editor_layer(raw: Any) -> tuple[Layer, Preference]:
    """The editor's settings (only keys the user set), flat or under ``tokenls``."""
    if isinstance(raw, Mapping) and isinstance(raw.get("tokenls"), Mapping):
        raw = raw["tokenls"]
    if not isinstance(raw, Mapping):
        raw = {}
    raw = dict(raw)
    raw.pop("server", None)  # the extension's own settings (how to start the server)
    preference = raw.pop("configurationPreference", "editorFirst")
    problems: list[Problem] = []
    if preference not in PREFERENCES:
        reason = f"{preference!r}: expected one of {', '.join(PREFERENCES)}"
        problems.append(Problem(EDITOR, "configurationPreference", reason))
        preference = "editorFirst"
    values, more = validate(raw, EDITOR)
    return Layer(EDITOR, values, tuple(problems + more)), preference


@dataclass(frozen=True, slots=True)
class ResolvedSettings:
    """Settings in force and which source set each top-level key."""

    settings: Settings
    origins: Mapping[str, str]
    problems: tuple[Problem, ...]


_named: Path | None = None  # the command line's ``--config FILE``


def use_config_file(path: Path | None) -> None:
    """The file ``--config`` names (None: none): the user's own, so trusted, it comes right
    after the user config and stands in for every discovered workspace config, as ruff's
    ``--config`` does."""
    global _named
    _named = path


def named_config() -> Path | None:
    return _named


def named_layer() -> Layer | None:
    """The ``--config`` file's layer (trusted), or None when none was named."""
    if _named is None:
        return None
    found = read_config(_named)
    if found is None:  # a pyproject.toml without [tool.tokenls]
        reason = "no [tool.tokenls] table: nothing to read"
        return Layer(str(_named), {}, (Problem(str(_named), "<file>", reason),))
    return file_layer(found)


def order(
    user: Layer, workspace: Layer | None, editor: Layer, preference: Preference
) -> list[Layer]:
    """The layers in precedence order, lowest first."""
    named = named_layer()
    files = [user, *([named] if named else [workspace] if workspace else [])]
    if preference == "editorOnly":
        return [editor]
    if preference == "filesystemFirst":
        return [editor, *files]
    return [*files, editor]


def resolve(layers: Sequence[Layer], base: Settings | None = None) -> ResolvedSettings:
    """Lay the layers over the defaults in order; later layers win key by key."""
    settings = base or Settings()
    origins: dict[str, str] = {}
    problems: list[Problem] = []
    for each in layers:
        before = settings
        settings, bad = check_thresholds(layer(settings, each.values), before, each.source)
        problems.extend(each.problems)
        problems.extend(bad)
        origins.update({key: each.source for key in each.values})
    return ResolvedSettings(settings, origins, tuple(problems))


def trusted_settings(user: Layer, editor: Layer) -> Settings:
    """What the trusted sources (the user's config, the editor) allow."""
    return resolve([user, editor]).settings


def load_config_for(path: Path) -> tuple[Settings, list[Problem]]:
    """Settings for a file on the command line: defaults, the user's config, then the
    workspace config above it. Raises ``ConfigError`` for errors; returns the warnings
    (keys a workspace file may not set)."""
    user = user_layer()
    found = find_config(path)
    editor = Layer(EDITOR)
    workspace = file_layer(found, trusted_settings(user, editor)) if found else None
    resolved = resolve(order(user, workspace, editor, "editorFirst"))
    errors = [p for p in resolved.problems if p.severity == "error"]
    if errors:
        raise ConfigError(errors)
    return resolved.settings, [p for p in resolved.problems if p.severity == "warning"]


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
