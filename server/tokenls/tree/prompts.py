"""Prompt files outside an editor: the command line's view of what the server shows.

``tokenls count`` and ``tokenls check`` route each prompt to its workspace and analyse it
with the same ``tokenls.analysis.analyse`` the language server uses, so a CI gate and the editor
agree on every total, budget and reference; only the presentation differs. A config that
cannot be used raises ``ConfigError`` (the command exits 2); keys a workspace file may not
set are reported once on standard error.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenls.config import ConfigError, Problem, Settings
from tokenls.engine.counting import BATCH_MAX_EXACT, Count
from tokenls.files.reading import DecodeReport, decode_bytes, read_file
from tokenls.output.terminal import say

PROMPT_MAX_BYTES = 10 * 1024 * 1024  # larger files are counted as plain text only
_FRONTMATTER_BYTES = 65536  # where a frontmatter is looked for, as the editor does

if TYPE_CHECKING:
    from tokenls.analysis.analyse import Analysis
    from tokenls.analysis.contributors import Contributor
    from tokenls.analysis.open_document import OpenDocument
    from tokenls.analysis.presentation import Finding
    from tokenls.document.outline import Frontmatter
    from tokenls.references.resolve import UrlSource
    from tokenls.references.urls import UrlFetcher
    from tokenls.workspace.budget import Budget
    from tokenls.workspace.choice import Choice
    from tokenls.workspace.services import Workspace, Workspaces


@dataclass(frozen=True, slots=True)
class PromptReport:
    tokens: int
    own_tokens: int
    exact: bool
    references: list[dict[str, Any]]
    findings: list[Finding]
    over_budget: bool
    chars: int
    decode_errors: bool
    contributors: list[Contributor] = field(default_factory=list)  # when over budget
    reason: str | None = None  # why the count is an estimate (no API key, an API error...)
    budget: Budget | None = None
    encoding: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class AnalysedPrompt:
    """A prompt file as the editor would see it: its document and its analysis."""

    doc: OpenDocument
    analysis: Analysis
    chars: int
    decode_errors: bool


@dataclass(frozen=True, slots=True)
class _Folder:
    """A folder's workspace, its path below the include globs' base (None: outside it),
    and the choice for a file there without frontmatter (a plain file's)."""

    workspace: Workspace
    parts: tuple[str, ...] | None
    choice: Choice

    def includes(self, name: str) -> bool:
        """Whether the folder's file ``name`` matches its workspace's include globs."""
        parts = (*self.parts, name) if self.parts is not None else (name,)
        return self.workspace.includes_parts(parts)


class PromptChecker:
    """Counts prompts with their references; safe to call from the counting threads."""

    def __init__(
        self,
        root: Path,
        encoding: str | None = None,
        model: str | None = None,
        references: bool = True,
        budget: int | None = None,
    ) -> None:
        self.root = root.resolve()
        self.encoding = encoding  # --encoding, --model, --budget: over every file's own
        self.model = model
        self.budget = budget
        self.references = references  # False: every file is plain text (--no-references)
        # Built on the first prompt: trees of code never need it.
        self._workspaces: Workspaces | None = None
        self._lock = threading.Lock()
        self._warned: set[str] = set()
        self._folders: dict[Path, Path] = {}
        self._by_folder: dict[Path, Workspace] = {}
        self._folder_facts: dict[str, _Folder] = {}
        self._heads: dict[Path, Frontmatter] = {}  # --no-references: prompts' frontmatter

    @property
    def workspaces(self) -> Workspaces:
        if self._workspaces is None:
            from tokenls.workspace.services import Shared, Workspaces

            shared = Shared(
                urls=_blocking_urls,
                encoding_override=self.encoding,
                model_override=self.model,
                budget_override=self.budget,
                max_exact=BATCH_MAX_EXACT,
            )
            self._workspaces = Workspaces(shared)
        return self._workspaces

    def workspace(self, path: Path) -> Workspace:
        """The path's workspace, its config checked: errors raise, warnings print once."""
        return self._workspace(self._resolve(path))

    def _workspace(self, resolved: Path) -> Workspace:
        known = self._by_folder.get(resolved.parent)  # a workspace depends on the folder only
        if known is not None:
            return known
        with self._lock:
            workspace = self.workspaces.for_path(resolved, fallback_root=self.root)
            problems = self.workspaces.user_problems() + workspace.problems()
            broken = workspace.choice({}).encoding_problem
            if broken:  # a tokenizer file the settings name cannot be read: no silent default
                source = workspace.resolved.origins.get("encoding") or "settings"
                problems.append(Problem(source, "encoding", broken))
            errors = [p for p in problems if p.severity == "error"]
            if errors:
                raise ConfigError(errors)
            self._warn(problems)
            self._by_folder[resolved.parent] = workspace
            return workspace

    def settings(self, path: Path) -> Settings:
        return self.workspace(path).settings

    def choice(self, path: Path) -> Choice:
        """The tokenizer, model and budget of a file counted as plain text (``tokenls.workspace.choice``):
        its folder's, or the run's defaults at ``path``. A prompt counted without its
        references (``--no-references``) still has its frontmatter name its model and
        encoding, as in the editor."""
        frontmatter = self._own_frontmatter(path)
        if frontmatter.data:
            return self.workspace(path).choice(frontmatter.data)
        if os.path.islink(path):
            return self.workspace(path).choice({})
        return self._folder(path).choice

    def _own_frontmatter(self, path: Path) -> Frontmatter:
        """A prompt's frontmatter when it is counted as plain text for ``--no-references``
        (read once, from its head); else none: a plain file has no say."""
        from tokenls.document.outline import Frontmatter, read_frontmatter

        if self.references or not path.name or not self._matches(path):
            return Frontmatter()
        known = self._heads.get(path)
        if known is None:
            from tokenls.engine.text import split_lines
            from tokenls.files.regular import open_regular

            try:
                with open_regular(path) as handle:
                    head = handle.read(_FRONTMATTER_BYTES)
            except OSError:  # unreadable, or no regular file: said where it is counted
                head = b""
            text = decode_bytes(head, DecodeReport())
            known = self._heads[path] = read_frontmatter(split_lines(text))
        return known

    def unknown_model(self, path: Path) -> str | None:
        """Why the run's ``--model`` cannot be used at ``path`` (its settings may add a
        context window for it), or None."""
        choice = self.choice(path)
        if self.model and not choice.model_known:
            from tokenls.workspace.choice import unknown_model

            return unknown_model(self.model)
        return None

    def is_prompt(self, path: Path) -> bool:
        """Whether ``path`` is counted as a prompt: it matches the configured ``include``
        globs (prompt-like files) and references are read."""
        return self.references and self._matches(path)

    def plain_choice(self, path: Path, info: os.stat_result | None = None) -> Choice | None:
        """``choice(path)`` for a plain file, None for a prompt: what a walk asks of each
        file, answered from one look at it (``info``: its ``lstat``) and its folder's."""
        link = stat.S_ISLNK(info.st_mode) if info is not None else os.path.islink(path)
        if link or not self.references:
            return None if self.is_prompt(path) else self.choice(path)
        folder = self._folder(path)
        return None if folder.includes(path.name) else folder.choice

    def _matches(self, path: Path) -> bool:
        """Whether ``path`` matches the ``include`` globs of its workspace."""
        if os.path.islink(path):
            resolved = path.resolve()
            return self._workspace(resolved).includes_resolved(resolved)
        return self._folder(path).includes(path.name)

    def model_count(
        self, path: Path, local: Count, data: bytes | None = None, size: int | None = None
    ) -> tuple[Count, str | None]:
        """A plain file's count for its model: through the provider when the model has one
        (``local`` is its local count), else ``local`` itself. For standard input, ``data``
        is its text, or ``size`` says it was too large to keep."""
        stream = data is not None or size is not None
        if not stream and self.choice(path).ratio is None:
            return local, None
        from tokenls.analysis.open_document import OpenDocument
        from tokenls.analysis.own_counts import own_count
        from tokenls.document.outline import read_frontmatter
        from tokenls.engine.document import Document
        from tokenls.providers.calibration import describe, estimate

        workspace = self.workspace(path)
        frontmatter = self._own_frontmatter(path) if not stream else read_frontmatter([])
        choice = workspace.choice(frontmatter.data)
        ratio = choice.ratio
        if ratio is None:
            return local, None
        counter = workspace.shared.counter(choice.encoding)
        if size is None:
            size = len(data) if data is not None else path.stat().st_size
        if size > PROMPT_MAX_BYTES:
            return estimate(
                local, ratio
            ), f"estimate, too large to send: {describe(ratio, counter.encoding_name)}"
        text = decode_bytes(read_file(path) if data is None else data, DecodeReport())
        document = Document.with_known_total(text, counter, local, "utf-32")
        doc = OpenDocument.of_file(path, document, workspace.settings)
        with self._lock:
            counted = own_count(doc, workspace)
        return counted.count, counted.note

    def _folder(self, path: Path) -> _Folder:
        """What a tree walk needs of a (not symlinked) file's folder, worked out once per
        folder: thousands of files share a few hundred folders."""
        named = os.path.dirname(path)  # a string: cheaper to hash than a Path
        known = self._folder_facts.get(named)
        if known is None:
            resolved = self._resolve(path)
            workspace = self._workspace(resolved)
            parts = workspace.below_root(resolved.parent)
            known = _Folder(workspace, parts, workspace.choice({}))
            self._folder_facts[named] = known
        return known

    def _resolve(self, path: Path) -> Path:
        """``path.resolve()``, with each folder resolved once per run (a walk asks for
        thousands of files in a few hundred folders); a symlinked file is resolved itself."""
        if os.path.islink(path):
            return path.resolve()
        parent = self._folders.get(path.parent)
        if parent is None:
            parent = self._folders[path.parent] = path.parent.resolve()
        return parent / path.name

    def report(self, path: Path, data: bytes | None = None) -> PromptReport:
        from tokenls.analysis import presentation
        from tokenls.analysis.contributors import biggest_contributors
        from tokenls.workspace.budget import Severity

        prompt = self.analysed(path, data)
        doc, analysis = prompt.doc, prompt.analysis
        payload = presentation.document_tokens(doc, analysis)
        findings = presentation.findings(doc, analysis)
        over = analysis.finding is not None and analysis.finding.severity == Severity.ERROR
        parts = biggest_contributors(doc, analysis) if over else []
        return PromptReport(
            analysis.total.tokens,
            analysis.own.tokens,
            analysis.total.exact,
            payload["references"],
            findings,
            over,
            prompt.chars,
            prompt.decode_errors,
            parts,
            "; ".join(analysis.notes) or None,
            analysis.budget,
            analysis.encoding,
            analysis.model,
        )

    def analysed(self, path: Path, data: bytes | None = None) -> AnalysedPrompt:
        """The prompt read (or given as ``data``), counted with its references and budget."""
        from tokenls.analysis.analyse import analyse
        from tokenls.analysis.open_document import OpenDocument
        from tokenls.document.outline import text_frontmatter
        from tokenls.engine.document import Document
        from tokenls.references.cached_counts import count_key, store_count

        if data is None:
            data = read_file(path)
        decoded = DecodeReport()
        text = decode_bytes(data, decoded)
        digest = hashlib.sha256(data).hexdigest()
        workspace = self.workspace(path)
        with self._lock:
            frontmatter = text_frontmatter(text)
            encoding = workspace.encoding_for(frontmatter.data)
            counter = workspace.shared.counter(encoding)
            cache = workspace.cache
            known = Count.from_stored(cache.get(count_key(counter.cache_id, digest))[0])
            if known is not None and known.exact:  # counted exactly before: reuse it
                document = Document.with_known_total(text, counter, known, "utf-32")
            else:
                document = Document(text, counter, "utf-32")
            doc = OpenDocument.of_file(path, document, workspace.settings)
            analysis = analyse(doc, workspace)
            if counter.additive:  # else the sum of its lines, not the text's count
                store_count(cache, counter, digest, doc.document.total)
        return AnalysedPrompt(doc, analysis, len(text), decoded.replaced)

    def _warn(self, problems: list[Problem]) -> None:
        """Config warnings go to standard error, each once per run."""
        for problem in problems:
            if str(problem) not in self._warned:
                self._warned.add(str(problem))
                say(f"warning: {problem}")


def _blocking_urls(fetcher: UrlFetcher) -> UrlSource:
    from tokenls.references.url_sources import BlockingUrls  # httpx loads only when needed

    return BlockingUrls(fetcher)
