"""The editor session: open documents, their settings, and what to show for them.

Everything an LSP handler needs is computed here from plain values, so every feature can be
unit-tested without a client; ``tokenls.lsp`` only converts these results to protocol types.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenls import log_actions, views
from tokenls.budget import (
    Budget,
    BudgetFinding,
    Severity,
    budget_finding,
    frontmatter_model,
    resolve_budget,
)
from tokenls.cache import TokenCache, default_cache_dir
from tokenls.config import (
    ConfigFile,
    Problem,
    Settings,
    apply_settings,
    find_config,
    workspace_root,
)
from tokenls.counting import EDITOR_MAX_EXACT, Count, Counter
from tokenls.document import Document, Position
from tokenls.encodings import get_encoding
from tokenls.log_actions import Offer
from tokenls.models import model_info
from tokenls.open_document import Change, ChangeNotApplied, OpenDocument, uri_to_path
from tokenls.outline import (
    Frontmatter,
    Section,
    paragraph_at,
    read_frontmatter,
)
from tokenls.references.collect import PromptReferences, collect_references, policy_for
from tokenls.references.parse import default_syntaxes
from tokenls.references.resolve import Resolved, Resolver, UrlSource
from tokenls.text import PositionEncoding, index_to_column, line_body, split_lines

if TYPE_CHECKING:
    from tokenls.references.urls import UrlFetcher

MAX_DOCUMENT_CHARS = 64 * 1024 * 1024
log = logging.getLogger("tokenls")


class UnknownDocument(KeyError):
    """A request named a document that is not open."""

    def __str__(self) -> str:
        return f"document not open: {self.args[0]}"


@dataclass(frozen=True, slots=True)
class Hint:
    line: int
    column: int
    label: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Finding:
    """A diagnostic in core terms: lines and columns in the negotiated encoding."""

    start: Position
    end: Position
    severity: Severity
    message: str
    code: str


@dataclass(slots=True)
class Analysis:
    total: Count
    own: Count
    encoding: str
    budget: Budget | None
    finding: BudgetFinding | None
    finding_line: int | None
    problems: list[str] = field(default_factory=list)
    references: list[Resolved] = field(default_factory=list)


class Session:
    """State shared by all requests of one language-server connection."""

    def __init__(
        self,
        position_encoding: PositionEncoding = "utf-16",
        cache: TokenCache | None = None,
        encoding_override: str | None = None,
        urls: Callable[[UrlFetcher], UrlSource] | None = None,
    ) -> None:
        self.position_encoding: PositionEncoding = position_encoding
        self.encoding_override = encoding_override  # the command line's --encoding
        self.roots: list[Path] = []
        self._cache = cache
        self._editor_raw: Mapping[str, Any] = {}
        self._editor_settings = Settings()
        self._docs: dict[str, OpenDocument] = {}
        self._counters: dict[str, Counter] = {}
        self._configs: dict[Path, ConfigFile | None] = {}
        self._resolvers: dict[tuple[Any, ...], Resolver] = {}
        self._url_factory = urls  # how URL bodies are obtained; None: URLs are not fetched
        self._url_sources: dict[tuple[Any, Any], UrlSource] = {}
        self.active_uri: str | None = None
        self._reported: set[str] = set()

    # -- settings --------------------------------------------------------------------

    def configure(self, raw: Mapping[str, Any] | None) -> list[Problem]:
        """Apply editor settings (initializationOptions or didChangeConfiguration)."""
        raw = raw or {}
        if isinstance(raw, Mapping) and isinstance(raw.get("tokenls"), Mapping):
            raw = raw["tokenls"]
        settings, problems = apply_settings(Settings(), raw, "editor settings")
        if isinstance(raw, Mapping):
            self._editor_raw = {k: v for k, v in raw.items() if k not in {p.key for p in problems}}
        self._editor_settings = settings
        for doc in self._docs.values():
            self._refresh_settings(doc)
        return problems

    def reload_config(self) -> None:
        """Forget cached config files (one was created, changed or deleted)."""
        self._configs.clear()
        self._reported.clear()
        for doc in self._docs.values():
            self._refresh_settings(doc)

    def config_problems(self) -> list[Problem]:
        """Problems in config files not yet reported to the user (each reported once)."""
        fresh: list[Problem] = []
        for doc in self._docs.values():
            for problem in self._file_problems(doc.path):
                if str(problem) not in self._reported:
                    self._reported.add(str(problem))
                    fresh.append(problem)
        return fresh

    def _config_for(self, path: Path | None) -> ConfigFile | None:
        start = path.parent if path is not None else (self.roots[0] if self.roots else None)
        if start is None:
            return None
        if start not in self._configs:
            self._configs[start] = find_config(start)
        return self._configs[start]

    def _file_problems(self, path: Path | None) -> list[Problem]:
        found = self._config_for(path)
        if found is None:
            return []
        if "__error__" in found.table:
            return [Problem(str(found.path), "<file>", str(found.table["__error__"]))]
        return apply_settings(Settings(), found.table, str(found.path))[1]

    def _settings_for(self, path: Path | None) -> tuple[Settings, Settings | None, str | None]:
        found = self._config_for(path)
        file_settings = None
        if found is not None and "__error__" not in found.table:
            file_settings, _ = apply_settings(Settings(), found.table, str(found.path))
        base = file_settings or Settings()
        effective, _ = apply_settings(base, self._editor_raw, "editor settings")
        return effective, file_settings, (found.path.name if found else None)

    def _refresh_settings(self, doc: OpenDocument) -> None:
        doc.settings, doc.file_settings, doc.file_source = self._settings_for(doc.path)
        doc._analysis = None
        encoding = self._encoding_for(doc.settings, doc.frontmatter)
        if encoding != doc.document.counter.encoding_name:
            doc.document = Document(
                doc.document.text, self._counter(encoding), self.position_encoding, doc.version
            )

    def _encoding_for(self, settings: Settings, frontmatter: Frontmatter) -> str:
        if self.encoding_override:
            return self.encoding_override
        own = frontmatter.data.get("tokenls")
        if isinstance(own, Mapping) and own.get("encoding") in ("o200k_base", "cl100k_base"):
            return str(own["encoding"])
        model = frontmatter_model(frontmatter.data) or settings.model
        if model:
            encoding = model_info(model, settings.context_windows).encoding
            if encoding:
                return encoding
        return settings.encoding

    def warm_up(self) -> None:
        """Load the default encoding ahead of the first document (safe from any thread)."""
        get_encoding(self._editor_settings.encoding)

    def _counter(self, encoding: str) -> Counter:
        counter = self._counters.get(encoding)
        if counter is None:
            counter = self._counters[encoding] = Counter(encoding, max_exact=EDITOR_MAX_EXACT)
        return counter

    # -- documents -------------------------------------------------------------------

    def open(
        self, uri: str, text: str, version: int = 0, known: tuple[str, Count] | None = None
    ) -> OpenDocument:
        """Open a document; ``known`` is an (encoding, total) already counted for this text."""
        _check_size(text)
        path = uri_to_path(uri)
        settings, file_settings, file_source = self._settings_for(path)
        frontmatter = read_frontmatter(split_lines(text[:65536]))
        encoding = self._encoding_for(settings, frontmatter)
        counter = self._counter(encoding)
        if known is not None and known[0] == encoding:
            document = Document.with_known_total(text, counter, known[1], self.position_encoding)
            document.version = version
        else:
            document = Document(text, counter, self.position_encoding, version)
        frontmatter = read_frontmatter(document.lines)
        doc = OpenDocument(uri, path, document, settings, file_settings, file_source, frontmatter)
        self._docs[uri] = doc
        return doc

    def change(self, uri: str, version: int, changes: Sequence[Change]) -> OpenDocument:
        doc = self.get(uri)
        for change in changes:
            if change.start is None:
                _check_size(change.text)
            try:
                doc.apply(change)
            except ChangeNotApplied as exc:
                self.lose_sync(uri, str(exc))
        doc.document.version = version
        doc._analysis = None
        frontmatter = read_frontmatter(doc.document.lines)
        if frontmatter != doc.frontmatter:
            doc.frontmatter = frontmatter
            doc._headings = doc._references = None
            self._refresh_settings(doc)
        return doc

    def lose_sync(self, uri: str, reason: str) -> None:
        """A change to ``uri`` could not be applied: its counts are unknown until the editor
        sends the whole text again (reopening the file does)."""
        doc = self._docs.get(uri)
        if doc is None or doc.unsynced is not None:
            return
        log.warning(
            "tokenls: %s is out of sync (%s); counts unknown until it is reopened", uri, reason
        )
        doc.unsynced = reason
        doc._analysis = None

    def close(self, uri: str) -> None:
        self._docs.pop(uri, None)
        self._forget_unwanted_urls()

    def _forget_unwanted_urls(self) -> None:
        """Queued fetches for URLs no open prompt references any more are dropped."""
        wanted = set().union(*(d.urls for d in self._docs.values())) if self._docs else set()
        for source in self._url_sources.values():
            keep_only = getattr(source, "keep_only", None)
            if keep_only is not None:
                keep_only(wanted)

    def get(self, uri: str) -> OpenDocument:
        try:
            return self._docs[uri]
        except KeyError:
            raise UnknownDocument(uri) from None

    def open_uris(self) -> list[str]:
        return list(self._docs)

    # -- what to show ----------------------------------------------------------------

    def analyse(self, uri: str) -> Analysis:
        doc = self.get(uri)
        if doc._analysis is not None:
            return doc._analysis
        own = doc.document.total
        refs = self._references(doc)
        total = own + refs.count
        budget, problem = resolve_budget(
            doc.frontmatter.data,
            doc.file_settings,
            doc.file_source,
            doc.settings,
            self._editor_settings.budget if "budget" in self._editor_raw else None,
        )
        finding = budget_finding(total.tokens, budget, doc.settings.thresholds) if budget else None
        line = None
        if finding is not None:
            # The running count includes references where they stand in the text.
            line = self._line_reaching(doc, refs.resolved, finding.threshold)
        problems = [p for p in (doc.frontmatter.error, problem, *refs.problems) if p]
        doc.urls = {r.reference.target for r in refs.resolved if r.reference.kind == "url"}
        self._forget_unwanted_urls()
        doc._analysis = Analysis(
            total,
            own,
            doc.document.counter.encoding_name,
            budget,
            finding,
            line,
            problems,
            refs.resolved,
        )
        return doc._analysis

    def _references(self, doc: OpenDocument) -> PromptReferences:
        roots = self.roots or [workspace_root(doc.path or Path.cwd())]
        config = self._config_for(doc.path)
        resolver = self._resolver(doc.settings, roots)
        source = self._url_sources.get(self._url_key(doc.settings))
        if source is not None and hasattr(source, "priority"):
            source.priority = 0 if doc.uri == self.active_uri else 1  # the active prompt first
        syntaxes = doc.settings.references
        refs = doc.references(
            syntaxes
            if syntaxes is not None
            else default_syntaxes(doc.path.name if doc.path else "")
        )
        return collect_references(
            refs,
            doc.path,
            doc.settings,
            doc.frontmatter.data,
            config.path.parent if config else None,
            resolver,
            doc.document.counter,
        )

    def _resolver(self, settings: Settings, roots: Sequence[Path]) -> Resolver:
        policy = policy_for(settings, roots)
        key = (policy, settings.cache_dir, repr(settings.http), repr(settings.rate))
        resolver = self._resolvers.get(key)
        if resolver is None:
            cache = self.cache(settings.cache_dir)
            resolver = Resolver(cache, policy, lambda: self.url_source(settings))
            self._resolvers[key] = resolver
        return resolver

    def url_source(self, settings: Settings) -> UrlSource | None:
        """The URL source for these http/rate settings (one per distinct configuration)."""
        if self._url_factory is None:
            return None
        key = self._url_key(settings)
        source = self._url_sources.get(key)
        if source is None:
            from tokenls.references.url_sources import fetcher_for  # httpx loads only when needed

            fetcher = fetcher_for(settings, self.cache(settings.cache_dir))
            source = self._url_sources[key] = self._url_factory(fetcher)
        return source

    @staticmethod
    def _url_key(settings: Settings) -> tuple[str, str]:
        return (repr(settings.http), repr(settings.rate))  # the settings hold dicts: not hashable

    def rate_status(self) -> list[str]:
        """One line per rate-limited host seen or configured, for ``tokenls/rateStatus``."""
        lines: list[str] = []
        for source in self._url_sources.values():
            fetcher = getattr(source, "fetcher", None)
            if fetcher is None:
                continue
            keys = set(fetcher.tracker.config.limits) | set(fetcher.http.allow_hosts)
            lines.extend(fetcher.tracker.status(key).line() for key in sorted(keys) if key != "*")
        return lines

    def cache(self, directory: str | None = None) -> TokenCache:
        """The token cache (created on first use, in the configured or default directory)."""
        if self._cache is None:
            path = Path(directory) if directory else default_cache_dir()
            self._cache = TokenCache(path, workspaces=self.roots)  # never the workspace itself
        return self._cache

    def _line_reaching(self, doc: OpenDocument, refs: list[Resolved], tokens: int) -> int:
        added = 0
        for ref in refs:  # in document order
            if ref.status != "ok" or ref.duplicate:
                continue
            before = doc.document.count_lines(0, ref.reference.line + 1).tokens + added
            if before + ref.tokens >= tokens:
                return (
                    ref.reference.line
                    if before < tokens
                    else doc.document.line_reaching(tokens - added)
                )
            added += ref.tokens
        return doc.document.line_reaching(tokens - added)

    def files_changed(self) -> list[str]:
        """Files on disk changed: every open prompt's references are counted afresh."""
        for doc in self._docs.values():
            doc._analysis = None
        return list(self._docs)

    def findings(self, uri: str) -> list[Finding]:
        doc = self.get(uri)
        if doc.unsynced is not None:
            return [Finding((0, 0), (0, 0), Severity.WARNING, _unsynced(doc.unsynced), "unsynced")]
        analysis = self.analyse(uri)
        result: list[Finding] = []
        end = self._end_position(doc)
        if analysis.finding is not None and analysis.finding_line is not None:
            result.append(
                Finding(
                    (analysis.finding_line, 0),
                    end,
                    analysis.finding.severity,
                    analysis.finding.message,
                    "budget",
                )
            )
        for problem in analysis.problems:
            first = doc.document.lines[0] if doc.document.lines else ""
            result.append(
                Finding(
                    (0, 0),
                    (0, self._column(first, len(line_body(first)))),
                    Severity.WARNING,
                    problem,
                    "frontmatter",
                )
            )
        for ref in analysis.references:
            if ref.status == "ok" and not ref.error:
                continue
            severity = Severity.INFORMATION if ref.status == "unbound" else Severity.WARNING
            code = "unbound-variable" if ref.status == "unbound" else "reference"
            message = ref.error or "not counted"
            if ref.status == "error":
                message = f"{ref.reference.target}: {message} — not counted"
            elif ref.status == "ok":
                message = f"{ref.reference.target}: {message}"  # counted, with a caveat (cycle)
            else:
                message = f"{{{{{ref.reference.target}}}}}: {message}"
            start, end = self._reference_range(doc, ref)
            result.append(Finding(start, end, severity, message, code))
        return result

    def hints(self, uri: str, start_line: int, end_line: int) -> list[Hint]:
        """Inlay hints on lines ``[start_line, end_line]`` for the configured granularity."""
        doc = self.get(uri)
        level = doc.settings.inlay_hints
        lines = doc.document.lines
        if level == "off" or not lines:
            return []
        if doc.unsynced is not None:
            return [self._hint(doc, 0, "? tok", "total")] if start_line <= 0 <= end_line else []
        analysis = self.analyse(uri)
        found: list[Hint] = []
        if start_line <= 0 <= end_line:
            found.append(self._hint(doc, 0, analysis.total.label(), "total"))
        if level in ("sections", "all"):
            for section in doc.sections():
                line = section.heading.line
                if start_line <= line <= end_line and line != 0:
                    count = self._section_count(doc, analysis, section)
                    found.append(self._hint(doc, line, count.label(), "section"))
        if level == "all":
            for index, ref in enumerate(analysis.references):
                if start_line <= ref.reference.line <= end_line:
                    found.append(self._reference_hint(doc, ref, index))
        found.sort(key=lambda h: (h.line, h.column))
        return found

    def _section_count(self, doc: OpenDocument, analysis: Analysis, section: Section) -> Count:
        count = doc.document.count_lines(section.heading.line, section.end)
        for ref in analysis.references:
            if section.heading.line <= ref.reference.line < section.end and _counted(ref):
                count = count + Count(ref.tokens, ref.exact, None if ref.exact else ref.tokens)
        return count

    def _reference_hint(self, doc: OpenDocument, ref: Resolved, index: int) -> Hint:
        if ref.status == "pending":
            label = "… tok"
        elif ref.status != "ok":
            label = "not counted"
        elif ref.duplicate:
            label = "counted above"
        else:
            label = "+" + Count(ref.tokens, ref.exact, None if ref.exact else ref.tokens).label()
        _, (line, column) = self._reference_range(doc, ref)
        data = {"uri": doc.uri, "kind": "reference", "index": index, "version": doc.version}
        return Hint(line, column, label, data)

    def _reference_range(self, doc: OpenDocument, ref: Resolved) -> tuple[Position, Position]:
        r = ref.reference
        text = doc.document.lines[r.line]
        return (r.line, self._column(text, r.start)), (r.line, self._column(text, r.end))

    def _hint(self, doc: OpenDocument, line: int, label: str, kind: str) -> Hint:
        text = doc.document.lines[line]
        column = self._column(text, len(line_body(text)))
        data = {"uri": doc.uri, "kind": kind, "line": line, "version": doc.version}
        return Hint(line, column, label, data)

    def hint_tooltip(self, data: Mapping[str, Any]) -> str | None:
        """Markdown detail for a hint, computed only when the editor asks (resolve)."""
        uri = data.get("uri")
        if not isinstance(uri, str) or uri not in self._docs:
            return None
        doc = self._docs[uri]
        analysis = self.analyse(uri)
        line = data.get("line")
        index = data.get("index")
        if data.get("kind") == "reference" and isinstance(index, int):
            if 0 <= index < len(analysis.references):
                return self._reference_markdown(doc, analysis.references[index])
            return None
        if data.get("kind") == "section" and isinstance(line, int):
            section = self._section_at(doc, line)
            if section is not None:
                return self._section_markdown(doc, analysis, section)
        return self._total_markdown(doc, analysis)

    def hover(self, uri: str, line: int, character: int = 0) -> str | None:
        """Markdown for a hover: a reference, a heading's section, else the paragraph."""
        doc = self.get(uri)
        if doc.unsynced is not None:
            return _unsynced(doc.unsynced)
        if not 0 <= line < doc.document.line_count:
            return None
        _, index = doc.document.offset_at((line, character))
        for ref in self.analyse(uri).references:
            if ref.reference.line == line and ref.reference.start <= index <= ref.reference.end:
                return self._reference_markdown(doc, ref)
        analysis = self.analyse(uri)
        section = self._section_at(doc, line)
        if section is not None:
            return self._section_markdown(doc, analysis, section)
        start, end = paragraph_at(doc.document.lines, line)
        if start == end:
            return None
        count = doc.document.count_lines(start, end)
        what = "Line" if end - start == 1 else f"Paragraph (lines {start + 1}–{end})"
        parts = [f"**{what}: {count.label()}**", views.shares(count, analysis)]
        return "\n\n".join(p for p in parts if p)

    def document_tokens(self, uri: str) -> dict[str, Any]:
        """The payload of the ``tokenls/documentTokens`` request."""
        doc = self.get(uri)
        analysis = self.analyse(uri)
        level = analysis.finding.severity.name.lower() if analysis.finding else "ok"
        result: dict[str, Any] = {
            "uri": uri,
            "encoding": analysis.encoding,
            "tokens": analysis.total.tokens,
            "ownTokens": analysis.own.tokens,
            "exact": analysis.total.exact,
            "budget": analysis.budget.tokens if analysis.budget else None,
            "budgetSource": analysis.budget.source if analysis.budget else None,
            "level": level,
            "references": [self._reference_json_for(doc, ref) for ref in analysis.references],
        }
        if not analysis.total.exact:
            result["upperBound"] = analysis.total.bound
        if doc.unsynced is not None:  # the last known counts, flagged as such
            result.update(exact=False, level="unknown", error=_unsynced(doc.unsynced))
        return result

    def _reference_json_for(self, doc: OpenDocument, ref: Resolved) -> dict[str, Any]:
        start, end = self._reference_range(doc, ref)
        return {
            "target": ref.target or ref.reference.target,
            "kind": ref.reference.kind,
            "range": {
                "start": {"line": start[0], "character": start[1]},
                "end": {"line": end[0], "character": end[1]},
            },
            "tokens": 0 if ref.status != "ok" or ref.duplicate else ref.tokens,
            "status": ref.status if ref.status in ("ok", "pending") else "error",
            "error": ref.error,
            "countedOnce": ref.duplicate,
            "source": ref.source,
        }

    # -- code actions ------------------------------------------------------------------

    def code_action_offers(
        self, uri: str, start: Position, end: Position, on_budget_diagnostic: bool
    ) -> list[Offer]:
        return log_actions.offers(
            self.get(uri), self.analyse(uri), start, end, on_budget_diagnostic
        )

    def prepare_code_action(
        self, data: Mapping[str, Any]
    ) -> Callable[[Callable[[], bool]], log_actions.ActionPlan | None] | None:
        """The compression job of an offer, or None when the document changed since."""
        uri = data.get("uri")
        if not isinstance(uri, str) or uri not in self._docs:
            return None
        doc = self._docs[uri]
        if data.get("version") != doc.version:
            return None
        return log_actions.prepare(doc, self.analyse(uri), data)

    def lsp_position(self, uri: str, line: int, index: int) -> Position:
        lines = self.get(uri).document.lines
        if line >= len(lines):
            return (line, 0)
        return (line, self._column(lines[line], index))

    def cache_stats(self) -> dict[str, Any]:
        return self.cache().describe()

    # -- formatting helpers ------------------------------------------------------------

    def _reference_markdown(self, doc: OpenDocument, ref: Resolved) -> str:
        return views.reference_markdown(doc, ref, self.rate_status(), self.cache().stats)

    def _section_at(self, doc: OpenDocument, line: int) -> Section | None:
        return next((s for s in doc.sections() if s.heading.line == line), None)

    def _section_markdown(self, doc: OpenDocument, analysis: Analysis, section: Section) -> str:
        count = self._section_count(doc, analysis, section)
        return views.section_markdown(doc, analysis, section, count)

    def _total_markdown(self, doc: OpenDocument, analysis: Analysis) -> str:
        return views.total_markdown(doc, analysis)

    def _column(self, line: str, index: int) -> int:
        return index_to_column(line, index, self.position_encoding)

    def _end_position(self, doc: OpenDocument) -> Position:
        lines = doc.document.lines
        if not lines:
            return (0, 0)
        last = lines[-1]
        if last.endswith(("\n", "\r")):
            return (len(lines), 0)
        return (len(lines) - 1, self._column(last, len(last)))


def _check_size(text: str) -> None:
    if len(text) > MAX_DOCUMENT_CHARS:
        raise ValueError(
            f"document of {len(text):,} characters is over tokenls's "
            f"{MAX_DOCUMENT_CHARS:,}-character limit; not counted"
        )


def _unsynced(reason: str) -> str:
    return (
        f"token counts unknown: {reason}; they return when the editor sends the whole "
        "text again (close and reopen the file)"
    )


def _counted(ref: Resolved) -> bool:
    return ref.status == "ok" and not ref.duplicate
