"""Which tokenizer, model and budget a file is counted with: one decision for every surface.

``tokenls count``, ``check`` and ``compress``, the language server and the MCP tools all
ask ``choose``, so a file has the same encoding and budget wherever it is counted. The
order, first that applies:

- model: ``--model``, the frontmatter's ``model:``, the settings' ``model``;
- encoding: ``--encoding``, the frontmatter's ``tokenls.encoding``, the model's tokenizer
  (when it has a known one), the settings' ``encoding``;
- budget: ``--budget``, the frontmatter's ``tokenls.budget``, the context window of a
  model named by ``--model`` or the frontmatter, the settings' ``budget``, the context
  window of the settings' model.

A model named for this file or this run says more than a project-wide budget, so its
window comes before ``budget``; a model that is only configured is the last resort.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenls.config import Settings
from tokenls.engine.encodings import DEFAULT_ENCODING, ENCODINGS, unavailable_encoding
from tokenls.engine.tokenizer_files import PACKAGED, is_tokenizer_file
from tokenls.models import ModelInfo, model_info
from tokenls.providers.calibration import Ratio, ratio_for
from tokenls.workspace.budget import TOKENS, Budget, frontmatter_model

# (name as written, confined to the workspace) → (the file to use, why it cannot be used)
TokenizerFiles = Callable[[str, bool], tuple[str | None, str | None]]
# A top-level setting → the source that set it ("tokenls.toml", "editor settings"), or None
Origins = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class Overrides:
    """What a whole run names: the command line's options, or an MCP call's arguments."""

    encoding: str | None = None  # a tiktoken name, a packaged tokenizer, an absolute path
    model: str | None = None
    budget: int | None = None


NO_OVERRIDES = Overrides()


@dataclass(frozen=True, slots=True)
class Choice:
    """A file's tokenizer, model and budget, and where each came from."""

    encoding: str
    encoding_source: str  # "--encoding", "frontmatter", "tokenizer of gpt-4", "tokenls.toml"
    model: str | None
    model_source: str | None  # "--model", "frontmatter", a settings source
    budget: Budget | None
    problems: tuple[str, ...] = ()  # values named for the file that could not be used
    model_known: bool = True  # False: no tokenizer, window or estimate is known for it
    # Why the settings' tokenizer file cannot be used (the default counts meanwhile): the
    # editor shows it, the command line stops on it as on any broken config.
    encoding_problem: str | None = None

    @property
    def ratio(self) -> Ratio | None:
        """The calibrated ratio when the model's own tokenizer is not local (Claude)."""
        return ratio_for(self.model) if self.model else None

    @property
    def why(self) -> str:
        """One line saying what was chosen and why, for hovers and ``--json``."""
        model = f"model {self.model} ({self.model_source}); " if self.model else ""
        budget = (
            f"budget {self.budget.tokens:,} ({self.budget.source})"
            if self.budget
            else "no budget configured"
        )
        return f"{model}encoding {self.encoding} ({self.encoding_source}); {budget}"


def choose(
    frontmatter: Mapping[str, Any],
    settings: Settings,
    overrides: Overrides = NO_OVERRIDES,
    *,
    origin: Origins | None = None,
    tokenizer_file: TokenizerFiles | None = None,
) -> Choice:
    """The file's choice, by the order in the module's docstring.

    ``origin`` names the source of a setting; ``tokenizer_file`` makes a tokenizer file
    named by the frontmatter (confined) or the settings usable, or says why it is not.
    """
    origin = origin or _no_origin
    files = tokenizer_file or _unconfined
    problems: list[str] = []
    broken: list[str] = []
    model, model_source = _model(frontmatter, settings, overrides, origin)
    info = model_info(model, settings.context_windows) if model else None
    encoding, encoding_source = _encoding(
        frontmatter, settings, overrides, info, origin, files, problems, broken
    )
    budget = _budget(frontmatter, settings, overrides, info, model_source, origin, problems)
    known = info is None or bool(info.encoding or info.context_window or ratio_for(info.name))
    return Choice(
        encoding,
        encoding_source,
        model,
        model_source,
        budget,
        tuple(problems),
        known,
        broken[0] if broken else None,
    )


def tiktoken_of(choice: Choice) -> str:
    """The choice's encoding when it is tiktoken's, else the default: what needs counts of
    pieces to add up (compressing a log) counts with it."""
    return choice.encoding if choice.encoding in ENCODINGS else DEFAULT_ENCODING


def unknown_model(name: str) -> str:
    """Why a model named for a run cannot be used."""
    return (
        f"unknown model {name!r}: tokenls knows no tokenizer or context window for it; name "
        "a known model (gpt-4o, gpt-4, claude-sonnet-4-5, …), add it under context_windows "
        "in tokenls.toml, or give --encoding and --budget"
    )


def _model(
    frontmatter: Mapping[str, Any], settings: Settings, overrides: Overrides, origin: Origins
) -> tuple[str | None, str | None]:
    if overrides.model:
        return overrides.model, "--model"
    named = frontmatter_model(frontmatter)
    if named:
        return named, "frontmatter"
    if settings.model:
        return settings.model, origin("model") or "settings"
    return None, None


def _encoding(
    frontmatter: Mapping[str, Any],
    settings: Settings,
    overrides: Overrides,
    info: ModelInfo | None,
    origin: Origins,
    files: TokenizerFiles,
    problems: list[str],
    broken: list[str],
) -> tuple[str, str]:
    if overrides.encoding:
        return overrides.encoding, "--encoding"
    own = frontmatter.get("tokenls")
    wanted = own.get("encoding") if isinstance(own, Mapping) else None
    if wanted in ENCODINGS:
        return str(wanted), "frontmatter"
    if isinstance(wanted, str) and is_tokenizer_file(wanted):
        chosen, problem = files(wanted, True)
        if chosen is not None:
            return chosen, "frontmatter"
        problems.append(f"frontmatter tokenls.encoding: {problem}; not used")
    elif wanted is not None:
        problems.append(f"frontmatter tokenls.encoding: {unavailable_encoding(wanted)}; not used")
    if info is not None and info.encoding:
        return info.encoding, f"tokenizer of {info.name}"
    source = origin("encoding") or "default"
    if is_tokenizer_file(settings.encoding):
        chosen, problem = files(settings.encoding, False)
        if chosen is not None:
            return chosen, source
        problems.append(f"{source} encoding: {problem}; not used")
        broken.append(str(problem))
        return DEFAULT_ENCODING, "default"
    return settings.encoding, source


def _budget(
    frontmatter: Mapping[str, Any],
    settings: Settings,
    overrides: Overrides,
    info: ModelInfo | None,
    model_source: str | None,
    origin: Origins,
    problems: list[str],
) -> Budget | None:
    if overrides.budget is not None:
        return Budget(overrides.budget, "--budget")
    own = frontmatter.get("tokenls")
    if isinstance(own, Mapping) and "budget" in own:
        value = own["budget"]
        if TOKENS.allows(value):
            return Budget(value, "frontmatter")
        problems.append(f"frontmatter tokenls.budget must be {TOKENS.describe()}, got {value!r}")
    named = model_source in ("--model", "frontmatter")
    if info is not None and named:
        if info.context_window:
            return Budget(info.context_window, _window_source(info.name, model_source))
        if model_source == "frontmatter":
            problems.append(f"unknown context window for model {info.name!r}")
    if settings.budget is not None:
        return Budget(settings.budget, origin("budget") or "settings")
    if info is not None and not named and info.context_window:
        return Budget(info.context_window, _window_source(info.name, model_source))
    return None


def _window_source(model: str, model_source: str | None) -> str:
    how = {"--model": "--model", "frontmatter": "frontmatter model"}.get(
        model_source or "", f"model in {model_source}"
    )
    return f"context window of {model}, {how}"


def _no_origin(_key: str) -> str | None:
    return None


def _unconfined(wanted: str, confined: bool) -> tuple[str | None, str | None]:
    """Without a workspace: a packaged tokenizer or a settings path as given; nothing a
    file names (there is no workspace to confine it to)."""
    if wanted in PACKAGED:
        return wanted, None
    if confined:
        return None, f"tokenizer file {wanted}: no workspace to confine it to"
    return str(Path(wanted).expanduser().resolve()), None
