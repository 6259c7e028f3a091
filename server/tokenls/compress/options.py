"""``tokenls compress`` options: from the command line, a config's ``[compress]`` table, or a
file named with ``--load-config``; and written back with ``--save-config``.

Each option is taken from the first of: the command line, the ``--load-config`` file, the
settings' ``[compress]`` table (the user's config, then the workspace's, or the ``--config``
file), the default. A ``baseline`` path in a file is relative to that file. Saving edits the
nearest config file in place with tomlkit, so its comments, order and other tables stay as
they were; only the keys given on the command line are written.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenls.config import CONFIG_FILE, find_config, read_config, user_config_path
from tokenls.config.loading import named_config
from tokenls.output.terminal import UsageError, say

DEFAULT_BUDGET = 4000
MIN_BUDGET = 32  # below this even the line saying what was left out cannot fit
MAX_BUDGET = 1_000_000_000
# The options a config may hold, and the command line's name for each.
FLAGS = {
    "budget": "--budget",
    "profile": "--profile",
    "baseline": "--baseline",
    "keep_ansi": "--keep-ansi",
    "memory": "--memory",
    "encoding": "--encoding",
}
KEYS = (*FLAGS, "profiles")


@dataclass(frozen=True, slots=True)
class Options:
    budget: int = DEFAULT_BUDGET
    profile: str = "auto"
    baseline: str | None = None  # a path, absolute or relative to the current directory
    keep_ansi: bool = False
    memory: bool = False
    encoding: str | None = None
    profiles: Mapping[str, Any] | None = None


def given(args: argparse.Namespace) -> dict[str, Any]:
    """The options the command line set (argparse leaves the others None)."""
    return {key: getattr(args, key) for key in FLAGS if getattr(args, key, None) is not None}


def resolve(args: argparse.Namespace, table: Mapping[str, Any], source: Source) -> Options:
    """The options in force: the command line over ``--load-config`` over ``table`` (the
    settings' ``[compress]``, read from ``source``)."""
    values = checked(table, source.name, source.directory)
    baseline = values.get("baseline")
    if baseline and not source.trusted and source.directory is not None:
        inside = Path(baseline).resolve().is_relative_to(source.directory)
        if not inside:  # a repository's config reads no file outside the repository
            say(
                f"{source.name}: compress.baseline: ignored: a file outside the workspace "
                f"is not taken from a workspace's config; set it in your own config "
                f"({user_config_path()}) or pass --baseline"
            )
            del values["baseline"]
    if getattr(args, "load_config", None):
        path = Path(args.load_config)
        values.update(checked(load(path), str(path), path.resolve().parent))
    values.update(given(args))
    profiles = values.pop("profiles", None)
    return Options(**values, profiles=profiles)


def checked(table: Mapping[str, Any], source: str, base: Path | None) -> dict[str, Any]:
    """A ``[compress]`` table's options, each checked; ``UsageError`` naming the key."""
    from tokenls.engine.encodings import ENCODINGS

    out: dict[str, Any] = {}
    for key, value in table.items():
        where = f"{source}: compress.{key}"
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"{where}: unknown key{hint}; known: {', '.join(KEYS)}")
        if key == "budget":
            if isinstance(value, bool) or not isinstance(value, int):
                raise UsageError(f"{where}: {value!r}: expected a whole number of tokens")
            if not MIN_BUDGET <= value <= MAX_BUDGET:
                raise UsageError(f"{where}: {value}: expected {MIN_BUDGET} to {MAX_BUDGET:,}")
        elif key in ("keep_ansi", "memory") and not isinstance(value, bool):
            raise UsageError(f"{where}: {value!r}: expected true or false")
        elif key in ("profile", "baseline") and not isinstance(value, str):
            raise UsageError(f"{where}: {value!r}: expected a string")
        elif key == "encoding" and value not in ENCODINGS:
            raise UsageError(f"{where}: {value!r}: expected one of {', '.join(ENCODINGS)}")
        elif key == "profiles" and not isinstance(value, Mapping):
            raise UsageError(f"{where}: expected a table of profiles")
        if key == "baseline" and base is not None and not Path(value).expanduser().is_absolute():
            value = str(base / value)
        out[key] = value
    return out


def load(path: Path) -> Mapping[str, Any]:
    """The ``[compress]`` table of a config file named with ``--load-config``."""
    found = read_config(path)
    if found is None:
        raise UsageError("no [tool.tokenls] table to read options from", str(path))
    if found.problem is not None:
        raise UsageError(found.problem.reason, str(path))
    table = found.table.get("compress", {})
    if not isinstance(table, Mapping):
        raise UsageError("compress: expected a table ([compress])", str(path))
    return table


@dataclass(frozen=True, slots=True)
class Source:
    """The file a ``[compress]`` table was read from."""

    name: str
    directory: Path | None  # relative paths in it are relative to this
    trusted: bool  # the user's own config or a file named on the command line


def settings_source(start: Path) -> Source:
    """Where the settings' ``[compress]`` table comes from: the ``--config`` file or else the
    nearest workspace config when it has one, else the user's config."""
    named = named_config()
    found = read_config(named) if named is not None else find_config(start)
    if found is not None and "compress" in found.table:
        return Source(str(found.path), found.path.resolve().parent, named is not None)
    user = user_config_path().expanduser()
    return Source(str(user), user.resolve().parent if user.is_file() else None, True)


def save(start: Path, options: Mapping[str, Any], base: Path) -> Path:
    """Write ``options`` into the ``[compress]`` table of the nearest config file (a new
    ``tokenls.toml`` in ``base`` when there is none), keeping everything else as it was.
    Returns the file written."""
    import tomlkit

    from tokenls.output.file import write_output

    found = find_config(start)
    path = found.path if found is not None else base / CONFIG_FILE
    if found is not None and found.problem is not None:
        raise UsageError(f"cannot save options: {found.problem.reason}", str(path))
    text = found.text if found is not None else ""
    document = tomlkit.parse(text)
    container: Any = document
    if path.name == "pyproject.toml":
        container = document.setdefault("tool", tomlkit.table(True)).setdefault(
            "tokenls", tomlkit.table()
        )
    table = container.get("compress")
    if table is None:
        table = container["compress"] = tomlkit.table()
    elif not isinstance(table, Mapping):
        raise UsageError("cannot save options: compress is not a table", str(path))
    for key, value in options.items():
        if key == "baseline":
            value = _relative(Path(value), path.resolve().parent)
        table[key] = value
    write_output(str(path), tomlkit.dumps(document))
    return path


def _relative(path: Path, directory: Path) -> str:
    """``path`` as the config file will read it: relative to its directory when inside it."""
    resolved = path.expanduser().resolve()
    try:
        return resolved.relative_to(directory).as_posix()
    except ValueError:
        return str(resolved)
