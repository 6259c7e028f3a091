"""One workspace root's services — cache, reference resolver, URL source, count API — and
the routing of paths to roots; its settings are resolved in ``tokenls.workspace.settings``.

A root is the folder of the nearest config file, else the folder the editor opened (on
the command line: the git root, else the current directory; for a document outside every
folder: its git work tree, else none, and it reads no file). Every document is routed to
the workspace of its root, so two folders with different ``tokenls.toml`` files get their
own settings and caches in one server. What all roots share — the user's config, the
editor's settings, counters and cache handles — lives in ``Shared``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenls.cache.token_cache import TokenCache, default_cache_dir
from tokenls.config import (
    EDITOR,
    ConfigFile,
    Layer,
    Preference,
    Problem,
    editor_layer,
    find_config,
    user_layer,
)
from tokenls.engine.counting import EDITOR_MAX_EXACT, Counter
from tokenls.engine.tokenizer_files import (
    make_counter,
)
from tokenls.references.collect import policy_for
from tokenls.references.resolve import Resolver, UrlSource
from tokenls.workspace.settings import RootSettings

if TYPE_CHECKING:
    from tokenls.providers.anthropic import CountTokensApi
    from tokenls.references.urls import UrlFetcher

UrlFactory = Callable[["UrlFetcher"], UrlSource]
# Runs a slow exact count off the request path: (document uri, job). None: count at once.
ExactRunner = Callable[[str, Callable[[], object]], None]


@dataclass(slots=True)
class Shared:
    """What every workspace of one process shares."""

    urls: UrlFactory | None = None  # how URL bodies are obtained; None: not fetched
    encoding_override: str | None = None  # the command line's --encoding
    model_override: str | None = None  # the command line's --model
    budget_override: int | None = None  # the command line's --budget
    exact_runner: ExactRunner | None = None  # the editor's; the command line waits instead
    max_exact: int = EDITOR_MAX_EXACT
    user: Layer = field(default_factory=user_layer)
    editor: Layer = field(default_factory=lambda: Layer(EDITOR))
    preference: Preference = "editorFirst"
    folder_editors: dict[Path, tuple[Layer, Preference]] = field(default_factory=dict)
    _caches: dict[Path, TokenCache] = field(default_factory=dict)
    _counters: dict[str, Counter] = field(default_factory=dict)

    def cache(self, directory: Path, workspaces: Sequence[Path] = ()) -> TokenCache:
        """One cache handle per directory, however many roots use it; it is never one of
        their ``workspaces`` nor contains one (``tokenls.cache.owned``)."""
        if directory not in self._caches:
            self._caches[directory] = TokenCache(directory, workspaces=workspaces)
        else:
            self._caches[directory].protect(workspaces)
        return self._caches[directory]

    def caches(self) -> list[TokenCache]:
        return list(self._caches.values())

    def editor_for(self, root: Path) -> tuple[Layer, Preference]:
        """The editor's settings for a root: its folder's own (per-folder), else the window's."""
        folders = [f for f in self.folder_editors if f == root or f in root.parents]
        if not folders:
            return self.editor, self.preference
        return self.folder_editors[max(folders, key=lambda f: len(f.parts))]

    def counter(self, encoding: str) -> Counter:
        if encoding not in self._counters:
            self._counters[encoding] = make_counter(encoding, max_exact=self.max_exact)
        return self._counters[encoding]


class Workspace(RootSettings):
    """A root's services, made from its settings: cache, resolver, URL source, count API."""

    def __init__(
        self,
        root: Path,
        config: ConfigFile | None,
        confine: Sequence[Path],
        shared: Shared,
        refusal: str | None = None,
    ) -> None:
        super().__init__(root, config, confine, shared, refusal)
        self.shared: Shared = shared  # the settings' part of it, and the services' handles
        self._resolver: Resolver | None = None
        self._url_source: UrlSource | None = None
        self._count_api: CountTokensApi | None = None

    def settings_changed(self) -> None:
        """The editor's settings or a config file changed: rebuild what depends on them."""
        super().settings_changed()
        self._resolver = None
        self._url_source = None
        self._count_api = None

    @property
    def cache(self) -> TokenCache:
        configured = self.settings.cache_dir
        return self.shared.cache(
            Path(configured).expanduser() if configured else default_cache_dir(),
            (self.root, *self.confine),
        )

    def passing_log(self) -> list[str] | None:
        """The lines of ``[compress] baseline`` (a passing run's log, inside the workspace),
        for compressing against it; None when none is configured or it cannot be read."""
        from tokenls.compress.held import visible_lines
        from tokenls.references.files import (
            ReferenceRefused,
            open_safely,
            read_chunks_fd,
            resolve_path,
        )

        target = self.settings.compress.get("baseline")
        if not isinstance(target, str):
            return None
        policy = replace(
            policy_for(self.settings, (self.root, *self.confine)), refused=self.refusal
        )
        try:
            with open_safely(resolve_path(target, self.root, policy), policy) as (fd, info):
                data = b"".join(read_chunks_fd(fd, info.st_size))
        except (ReferenceRefused, OSError):
            return None
        return visible_lines(data.decode("utf-8", "replace"))

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            policy = replace(policy_for(self.settings, self.confine), refused=self.refusal)
            self._resolver = Resolver(self.cache, policy, self.url_source)
        return self._resolver

    def url_source(self) -> UrlSource | None:
        """This root's URL source (made on the first URL reference: httpx loads only then)."""
        if self._url_source is None and self.shared.urls is not None:
            from tokenls.references.url_sources import fetcher_for

            self._url_source = self.shared.urls(fetcher_for(self.settings, self.cache))
        return self._url_source

    def count_api(self) -> CountTokensApi:
        """This root's client of Anthropic's count-tokens endpoint, through its rate tracker."""
        if self._count_api is None:
            from tokenls.providers.anthropic import CountTokensApi
            from tokenls.references.url_sources import tracker_for

            tracker = tracker_for(self.settings, self.cache)
            self._count_api = CountTokensApi(tracker, self.settings.http.timeout_s)
        return self._count_api

    def existing_url_source(self) -> UrlSource | None:
        return self._url_source

    def rate_status(self) -> list[str]:
        """One line per rate-limited host seen or configured."""
        lines = []
        if self._count_api is not None:
            api = self._count_api
            lines.append(api.tracker.status(api.rate_key).line())
        fetcher = getattr(self._url_source, "fetcher", None)
        if fetcher is None:
            return lines
        keys = set(fetcher.tracker.config.limits) | set(fetcher.http.allow_hosts)
        return lines + [fetcher.tracker.status(key).line() for key in sorted(keys) if key != "*"]

class Workspaces:
    """Routes each path to the workspace of its root; one per root, made on first use."""

    def __init__(self, shared: Shared, folders: Sequence[Path] = ()) -> None:
        self.shared = shared
        self.folders: list[Path] = [Path(f) for f in folders]
        self._by_root: dict[tuple[Path, tuple[Path, ...], str | None], Workspace] = {}
        self._configs: dict[Path, ConfigFile | None] = {}
        self._git_tops: dict[Path, Path | None] = {}
        self._resolved_configs: dict[Path, ConfigFile | None] = {}  # by resolved directory

    def configure(self, raw: Any, folder: Path | None = None) -> list[Problem]:
        """New editor settings (only the keys the user set), for the window or one folder;
        returns their problems."""
        if folder is None:
            self.shared.editor, self.shared.preference = editor_layer(raw)
            problems = self.shared.editor.problems
        else:
            self.shared.folder_editors[folder] = editor_layer(raw)
            problems = self.shared.folder_editors[folder][0].problems
        for workspace in self._by_root.values():
            workspace.settings_changed()
        return list(problems)

    def reload(self) -> None:
        """A config file was created, changed or deleted: find and read them again."""
        self._configs.clear()
        self._resolved_configs.clear()
        self._git_tops.clear()
        self._by_root.clear()
        self.shared.user = user_layer()

    def for_path(
        self, path: Path | None, fallback_root: Path | None = None, remote: str | None = None
    ) -> Workspace:
        """The workspace of a document at ``path`` (None: not saved yet), on the machine
        ``remote`` names when it is another one.

        References are confined to the document's workspace folder; on the command line,
        to ``fallback_root``. A document outside every folder is confined to its project —
        the folder of its config file, else its git work tree — and resolves no file when
        it has none (a download, ``file:///x.md``), when that would be ``/``, or when it
        lives on another machine.
        """
        directory = (path.parent if path is not None else None) or (
            self.folders[0] if self.folders else Path.cwd()
        )
        config = None if remote else self._config_in(directory)
        folder = self._folder_of(path) if path is not None else None
        if path is None and self.folders:
            folder = self.folders[0]  # an unsaved document belongs to the window
        root = config.path.parent if config is not None else fallback_root or folder or directory
        refusal = None
        if fallback_root is not None:
            confine = [fallback_root]
        elif remote:
            confine, refusal = [], f"the document is on another machine ({remote})"
        elif folder is not None:
            confine = [f for f in self.folders if f == root or f in root.parents] or [folder]
        else:
            project = root if config is not None else self._git_top(directory)
            if project is not None and project != Path(project.anchor):
                root, confine = project, [project]
            else:
                confine = []
                refusal = (
                    "the document is outside every workspace folder and its folder is not a "
                    "project (no tokenls.toml, no git work tree; / never is one): open its "
                    "folder as a workspace"
                )
        key = (root, tuple(confine), refusal)
        workspace = self._by_root.get(key)
        if workspace is None or workspace.config != config:
            workspace = Workspace(root, config, confine, self.shared, refusal)
            self._by_root[key] = workspace
        return workspace

    def all(self) -> list[Workspace]:
        return list(self._by_root.values())

    def user_problems(self) -> list[Problem]:
        return list(self.shared.user.problems)

    def _config_in(self, directory: Path) -> ConfigFile | None:
        if directory not in self._configs:
            self._configs[directory] = find_config(directory, self._resolved_configs)
        return self._configs[directory]

    def _git_top(self, directory: Path) -> Path | None:
        """The top of the git work tree holding ``directory`` (where ``.git`` is: a folder,
        or a file for worktrees and submodules); git itself is not run."""
        if directory not in self._git_tops:
            start = Path(os.path.realpath(directory))
            top = next((d for d in (start, *start.parents) if os.path.lexists(d / ".git")), None)
            self._git_tops[directory] = top
        return self._git_tops[directory]

    def _folder_of(self, path: Path) -> Path | None:
        inside = [f for f in self.folders if f in path.parents]
        return max(inside, key=lambda f: len(f.parts)) if inside else None
