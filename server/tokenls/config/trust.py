"""What a repository's own config may do: shape counts and budgets, never reach out.

A workspace's ``tokenls.toml`` (or ``[tool.tokenls]``) is untrusted input, as a folder
VS Code opens in restricted mode: it may set budgets, encodings, thresholds, include globs,
variables and references inside the workspace. Keys that would send secrets, widen network
access or touch files outside the workspace count only from the user's own config file or
the editor's settings; in a workspace file they are dropped, each with one warning naming
the file and the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tokenls.config.schema import Problem, Settings

USER_CONFIG_ENV = "TOKENLS_CONFIG"


def user_config_path() -> Path:
    """The user's own config file: ``$TOKENLS_CONFIG``, else the platform's config dir."""
    override = os.environ.get(USER_CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("tokenls")) / "tokenls.toml"


def restrict_workspace_values(
    values: Mapping[str, Any], source: Path, trusted: Settings
) -> tuple[dict[str, Any], list[Problem]]:
    """Validated ``values`` of a workspace file without what it may not decide.

    ``trusted`` holds the settings from trusted sources (user config, editor): a workspace
    file may repeat or narrow them, never widen them.
    """
    refused: list[Problem] = []

    def refuse(key: str, what: str) -> None:
        reason = (
            f"ignored: {what} is not taken from a workspace's config; set it in your own "
            f"config ({user_config_path()}) or in the editor's settings"
        )
        refused.append(Problem(str(source), key, reason, "warning"))

    out = dict(values)
    if isinstance(http := out.get("http"), Mapping):
        out["http"] = _restrict_http(dict(http), trusted, refuse)
    rate = out.get("rate")
    if isinstance(rate, Mapping) and "store" in rate and rate["store"] != trusted.rate.store:
        out["rate"] = {k: v for k, v in rate.items() if k != "store"}
        refuse("rate.store", "a rate store (a network connection)")
    for bound in ("max_references", "references_timeout_s"):  # a repository may only lower
        value, limit = out.get(bound), getattr(trusted, bound)
        if isinstance(value, int | float) and value > limit:
            del out[bound]
            refuse(bound, f"raising {bound} above {limit:g}")
    files = out.get("files")
    if isinstance(files, Mapping) and files.get("allow_home") and not trusted.files.allow_home:
        out["files"] = {k: v for k, v in files.items() if k != "allow_home"}
        refuse("files.allow_home", "reading files under ~")

    def confine(key: str, what: str) -> None:
        """A path the workspace may name only inside itself: made absolute, or refused."""
        where = absolute_in(out[key], source.parent)
        if inside(where, source.parent):
            out[key] = str(where)
        else:
            del out[key]
            refuse(key, f"{what} outside the workspace")

    encoding = out.get("encoding")
    if isinstance(encoding, str) and encoding.endswith(".json"):
        confine("encoding", "a tokenizer file")
    if isinstance(out.get("cache_dir"), str):
        confine("cache_dir", "a cache directory")
    return out, refused


def absolute_in(value: str, base: Path) -> Path:
    """A configured path as an absolute path: ``~`` expanded, relative to ``base``."""
    path = Path(os.path.expanduser(value))
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


def inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (symlinks resolved) is ``root`` or lies under it."""
    real, top = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    return real == top or top in real.parents


def _restrict_http(http: dict[str, Any], trusted: Settings, refuse: Any) -> dict[str, Any]:
    if http.get("allow_http") and not trusted.http.allow_http:
        del http["allow_http"]
        refuse("http.allow_http", "allowing plain http://")
    for name in ("allow_hosts", "allow_private_hosts"):
        if name not in http:
            continue
        allowed = set(getattr(trusted.http, name))
        wider = [h for h in http[name] if h not in allowed]
        if wider:
            http[name] = tuple(h for h in http[name] if h in allowed)
            hosts = ", ".join(repr(h) for h in wider)
            what = "a private-address host" if "private" in name else "a host to fetch"
            refuse(f"http.{name}", f"{what} ({hosts})")
    if "headers" in http:
        kept: dict[str, dict[str, str]] = {}
        for host, table in http["headers"].items():
            kept[host] = {}
            for name, value in table.items():
                if value.startswith("env:"):
                    refuse(f'http.headers."{host}".{name}', "a header read from the environment")
                else:
                    kept[host][name] = value
        http["headers"] = kept
    return http
