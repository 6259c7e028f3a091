"""A workspace root's settings: resolved once from every layer, and what they decide.

The user's config, the root's config file and the editor's settings are layered here
(``ResolvedSettings``), and from them which files are prompts (``include``) and which
tokenizer, model and budget each gets (``choice``). Nothing here makes a service: the
cache, resolver and URL source are ``tokenls.workspace.services``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from tokenls.config import (
    EDITOR,
    ConfigFile,
    Layer,
    Preference,
    Problem,
    ResolvedSettings,
    Settings,
    file_layer,
    order,
    resolve,
    trusted_settings,
)
from tokenls.config.loading import named_config
from tokenls.config.trust import absolute_in, inside
from tokenls.engine.tokenizer_files import PACKAGED, TokenizerFileError, load_tokenizer
from tokenls.workspace.choice import Choice, Overrides, choose
from tokenls.workspace.include import include_matcher


class SharedSettings(Protocol):
    """What every root of a process shares that its settings depend on
    (``tokenls.workspace.services.Shared``)."""

    user: Layer
    encoding_override: str | None
    model_override: str | None
    budget_override: int | None

    def editor_for(self, root: Path) -> tuple[Layer, Preference]: ...


class RootSettings:
    """A root, its config file and the settings in force there."""

    def __init__(
        self,
        root: Path,
        config: ConfigFile | None,
        confine: Sequence[Path],
        shared: SharedSettings,
        refusal: str | None = None,
    ) -> None:
        self.root = root
        self.config = config
        self.confine = tuple(confine)
        self.shared = shared
        # Why no file may be read for its documents (outside every folder and project, or
        # on another machine); ``confine`` is then empty.
        self.refusal = refusal
        self._resolved: ResolvedSettings | None = None

    @property
    def resolved(self) -> ResolvedSettings:
        if self._resolved is None:
            user = self.shared.user
            editor, preference = self.shared.editor_for(self.root)
            trusted = trusted_settings(user, editor)
            own = file_layer(self.config, trusted) if self.config else None
            self._resolved = resolve(order(user, own, editor, preference))
        return self._resolved

    @property
    def settings(self) -> Settings:
        return self.resolved.settings

    def problems(self) -> list[Problem]:
        """Problems of this root's config file, or of the ``--config`` file standing in for
        it (user and editor problems are shared)."""
        named = named_config()
        own = str(named) if named else str(self.config.path) if self.config else None
        return [p for p in self.resolved.problems if p.source == own]

    def origin(self, key: str) -> str | None:
        """Which source set a top-level key: a file name, "editor settings", or None."""
        source = self.resolved.origins.get(key)
        if source is None or source == EDITOR:
            return source
        if source == self.shared.user.source:
            return "user config"
        return Path(source).name

    def settings_changed(self) -> None:
        """The editor's settings or a config file changed: resolve them again."""
        self._resolved = None

    def model_for(self, frontmatter: Mapping[str, Any]) -> str | None:
        """The model a document is written for (``choice``)."""
        return self.choice(frontmatter).model

    def includes(self, path: Path | None) -> bool:
        """Whether a file is a prompt here: it matches the ``include`` globs (relative to the
        root references are confined to). Unsaved documents always are."""
        if path is None:
            return True
        return self.includes_resolved(path.resolve())

    def includes_resolved(self, path: Path) -> bool:
        """``includes`` for a path already resolved (a tree walk resolves each folder once)."""
        parts = self.below_root(path)
        return self.includes_parts(parts if parts is not None else (path.name,))

    def below_root(self, path: Path) -> tuple[str, ...] | None:
        """A resolved path's parts below the root the include globs are relative to (the
        root references are confined to); None outside it."""
        try:
            return path.relative_to(self.confine[0] if self.confine else self.root).parts
        except ValueError:
            return None

    def includes_parts(self, parts: tuple[str, ...]) -> bool:
        """``includes`` for a path given as its parts below the root."""
        return include_matcher(tuple(self.settings.include))(parts)

    def encoding_for(self, frontmatter: Mapping[str, Any]) -> str:
        """The tokenizer of a document (``choice``)."""
        return self.choice(frontmatter).encoding

    def choice(self, frontmatter: Mapping[str, Any]) -> Choice:
        """A document's tokenizer, model and budget: the one decision every surface uses
        (``tokenls.workspace.choice``), from this root's settings and the run's overrides."""
        shared = self.shared
        overrides = Overrides(
            shared.encoding_override, shared.model_override, shared.budget_override
        )
        return choose(
            frontmatter,
            self.settings,
            overrides,
            origin=self.origin,
            tokenizer_file=self._tokenizer_file,
        )

    def _tokenizer_file(self, wanted: str, confined: bool) -> tuple[str | None, str | None]:
        """A tokenizer file as an absolute path: one named by the frontmatter (part of the
        repository, so untrusted) must lie inside the workspace; one from settings is
        relative to the root (a workspace config's own path was confined when it was read).
        None and why when it cannot be used."""
        if wanted in PACKAGED:
            chosen = wanted
        else:
            path = absolute_in(wanted, self.confine[0] if self.confine else self.root)
            roots = self.confine if self.refusal else self.confine or [self.root]
            if confined and not any(inside(path, root) for root in roots):
                return None, f"tokenizer file {wanted}: outside the workspace"
            chosen = str(path)
        try:
            load_tokenizer(chosen)
        except TokenizerFileError as exc:
            return None, str(exc)
        return chosen, None
