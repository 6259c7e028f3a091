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

from tokenls.config.settings import Problem, Settings

USER_CONFIG_ENV = "TOKENLS_CONFIG"


def user_config_path() -> Path:
    """The user's own config file: ``$TOKENLS_CONFIG``, else the platform's config dir."""
    override = os.environ.get(USER_CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("tokenls")) / "tokenls.toml"


_HTTP_NAMES = {
    "allowHttp": "allow_http",
    "allowHosts": "allow_hosts",
    "allowPrivateHosts": "allow_private_hosts",
}
_FILES_NAMES = {"allowHome": "allow_home"}


def restrict_workspace_table(
    table: Mapping[str, Any], source: Path, trusted: Settings
) -> tuple[dict[str, Any], list[Problem]]:
    """``table`` without what a workspace file may not decide beyond ``trusted``.

    ``trusted`` holds the settings from trusted sources (user config, editor): a workspace
    file may repeat or narrow them, never widen them.
    """
    refused: list[Problem] = []

    def refuse(key: str, what: str) -> None:
        refused.append(
            Problem(
                str(source),
                key,
                f"{what} is not taken from a workspace's config; set it in your own "
                f"config ({user_config_path()}) or in the editor's settings",
            )
        )

    out = dict(table)
    http = out.get("http")
    if isinstance(http, Mapping):
        out["http"] = _restrict_http(dict(http), trusted, refuse)
    rate = out.get("rate")
    if isinstance(rate, Mapping) and "store" in rate and rate["store"] != trusted.rate.store:
        out["rate"] = {k: v for k, v in rate.items() if k != "store"}
        refuse("rate.store", "a rate store (a network connection)")
    files = out.get("files")
    if isinstance(files, Mapping):
        kept = dict(files)
        for key, value in files.items():
            if (
                _FILES_NAMES.get(key, key) == "allow_home"
                and value
                and not trusted.files.allow_home
            ):
                del kept[key]
                refuse(f"files.{key}", "reading files under ~")
        out["files"] = kept
    for key in ("cache_dir", "cacheDir"):
        value = out.get(key)
        if isinstance(value, str) and value:
            where = absolute_in(value, source.parent)
            if not _inside(where, source.parent):
                del out[key]
                refuse(key, "a cache directory outside the workspace")
            else:
                out[key] = str(where)
    return out, refused


def absolute_in(value: str, base: Path) -> Path:
    """A configured path as an absolute path: ``~`` expanded, relative to ``base``."""
    path = Path(os.path.expanduser(value))
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


def _inside(path: Path, root: Path) -> bool:
    real, top = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    return real == top or top in real.parents


def _restrict_http(http: dict[str, Any], trusted: Settings, refuse: Any) -> dict[str, Any]:
    for key, value in list(http.items()):
        name = _HTTP_NAMES.get(key, key)
        if name == "allow_http" and value is True and not trusted.http.allow_http:
            del http[key]
            refuse(f"http.{key}", "allowing plain http://")
        elif name in ("allow_hosts", "allow_private_hosts") and isinstance(value, list | tuple):
            allowed = set(getattr(trusted.http, name))
            wider = [h for h in value if not (isinstance(h, str) and h.lower() in allowed)]
            if wider:
                http[key] = [h for h in value if h not in wider]
                hosts = ", ".join(repr(h) for h in wider)
                what = "a private-address host" if "private" in name else "a host to fetch"
                refuse(f"http.{key}", f"{what} ({hosts})")
        elif name == "headers" and isinstance(value, Mapping):
            http[key] = _restrict_headers(value, refuse)
    return http


def _restrict_headers(headers: Mapping[str, Any], refuse: Any) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for host, table in headers.items():
        if not isinstance(table, Mapping):
            kept[host] = table
            continue
        kept[host] = {}
        for name, value in table.items():
            if isinstance(value, str) and value.startswith("env:"):
                refuse(f'http.headers."{host}".{name}', "a header read from the environment")
            else:
                kept[host][name] = value
    return kept
