"""All references of one prompt, resolved: the step between a document and its total.

Shared by the language server and the command line, so both count a prompt the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokenls.config import Settings
from tokenls.document.yaml_data import YamlRefused, load_yaml
from tokenls.engine.counting import Count, Counter
from tokenls.references.files import (
    FilePolicy,
    ReferenceRefused,
    open_safely,
    read_chunks_fd,
    resolve_path,
)
from tokenls.references.parse import Reference
from tokenls.references.resolve import ReferenceLimits, Resolved, Resolver


@dataclass(slots=True)
class PromptReferences:
    resolved: list[Resolved] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """References past the document's limits (``max_references``,
        ``references_timeout_s``): not resolved, and listed by the first of them alone."""
        return self.resolved[-1].left_unresolved if self.resolved else 0

    @property
    def count(self) -> Count:
        """Tokens the references add: each target once; errors and unbound count 0."""
        tokens = 0
        exact = True
        for r in self.resolved:
            if r.counts:
                tokens += r.tokens
                exact = exact and r.exact
        return Count(tokens, exact, None if exact else tokens)


def policy_for(settings: Settings, roots: Sequence[Path]) -> FilePolicy:
    return FilePolicy(
        tuple(Path(p).resolve() for p in roots),
        settings.files.allow_home,
        settings.files.max_bytes,
    )


def collect_references(
    refs: Sequence[Reference],
    path: Path | None,
    settings: Settings,
    frontmatter: Mapping[str, Any],
    config_dir: Path | None,
    resolver: Resolver,
    counter: Counter,
    unread: bool = False,
) -> PromptReferences:
    """Resolve a prompt's references (parsed by the caller, frontmatter excluded), as many
    as the settings' limits allow; ``unread``: the prompt has more than ``refs`` holds."""
    result = PromptReferences()
    if not refs:
        return result
    limits = ReferenceLimits(settings.max_references, settings.references_timeout_s)
    base_dir = (
        path.parent if path else (resolver.policy.roots[0] if resolver.policy.roots else Path.cwd())
    )
    variables, problems = bound_variables(
        settings, frontmatter, base_dir, config_dir, resolver.policy
    )
    result.problems.extend(problems)
    result.resolved = resolver.resolve(
        refs, base_dir, counter, variables, importing=path, limits=limits, unread=unread
    )
    return result


# Frontmatter keys that make a prompt a template: tokenls's and Prompty's ``variables`` /
# ``inputs``, Dotprompt's ``input``, LangChain's ``input_variables`` and ``template_format``,
# Prompty's ``template``.
TEMPLATE_KEYS = ("variables", "inputs", "input", "input_variables", "template_format", "template")


def declares_variables(settings: Settings, frontmatter: Mapping[str, Any]) -> bool:
    """Whether a prompt is a template by what declares its variables (its frontmatter, a
    vars file, or the config's ``[variables]``), whatever its file name: only then, or in a
    template file, are ``{{ name }}`` and ``${input:name}`` variables by default."""
    if settings.variables or settings.variables_file:
        return True
    if any(key in frontmatter for key in TEMPLATE_KEYS):
        return True
    own = frontmatter.get("tokenls")
    return isinstance(own, Mapping) and "variables_file" in own


def bound_variables(
    settings: Settings,
    frontmatter: Mapping[str, Any],
    doc_dir: Path,
    config_dir: Path | None,
    policy: FilePolicy,
) -> tuple[dict[str, str], list[str]]:
    """Variable values, later winning: config, config's vars file, frontmatter's, frontmatter."""
    values: dict[str, str] = dict(settings.variables)
    problems: list[str] = []
    sources: list[tuple[str, Path]] = []
    if settings.variables_file:
        sources.append((settings.variables_file, config_dir or doc_dir))
    own = frontmatter.get("tokenls")
    if isinstance(own, Mapping) and isinstance(own.get("variables_file"), str):
        sources.append((own["variables_file"], doc_dir))
    for target, base in sources:
        try:
            values.update(_read_vars_file(target, base, policy))
        except ReferenceRefused as exc:
            problems.append(f"variables file: {exc}")
    inline = frontmatter.get("variables")
    if isinstance(inline, Mapping):
        values.update({str(k): _as_text(v) for k, v in inline.items()})
    elif inline is not None:
        problems.append("frontmatter 'variables' must be a mapping of name: value")
    return values, problems


def _read_vars_file(target: str, base: Path, policy: FilePolicy) -> dict[str, str]:
    path = resolve_path(target, base, policy)
    with open_safely(path, policy) as (fd, _):
        data = b"".join(read_chunks_fd(fd, policy.max_bytes))
    try:
        loaded = load_yaml(data.decode("utf-8", "replace"))  # JSON is YAML too
    except YamlRefused as exc:
        where = f" (line {exc.line + 1})" if exc.line is not None else ""
        if exc.reason == "invalid YAML":
            raise ReferenceRefused(f"{path.name} is not valid YAML or JSON{where}") from None
        raise ReferenceRefused(f"{path.name}{where}: {exc.reason}") from None
    if not isinstance(loaded, Mapping):
        raise ReferenceRefused(f"{path.name} must hold a mapping of name: value")
    return {str(k): _as_text(v) for k, v in loaded.items()}


def _as_text(value: Any) -> str:
    # A variable's value is pasted into the prompt as text; structured values as JSON.
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
