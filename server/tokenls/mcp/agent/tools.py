"""The agent tools in core terms: counts, budget findings, compressed logs, explanations.

Each tool is the command line's engine on files under one workspace root — ``PromptChecker``
and ``tokenls.analysis.analyse`` for prompts, ``tokenls.compress`` for logs — so an agent, a CI gate
and the editor agree on every number. Results are the command line's JSON shapes (see
``results``); paths in them are relative to the root. A request that cannot be served raises
``ToolFailure`` with one sentence saying why; a config that cannot be used, ``ConfigError``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenls.config import Settings
from tokenls.engine.counting import BATCH_MAX_EXACT, Counter
from tokenls.engine.encodings import ENCODINGS, unavailable_encoding
from tokenls.files.reading import SNIFF_BYTES
from tokenls.mcp.agent.fit import Fitted, fit_prompt
from tokenls.mcp.agent.paths import ToolFailure, WorkspaceFiles
from tokenls.tree.prompts import PromptChecker

if TYPE_CHECKING:
    from tokenls.compress import CompressResult
    from tokenls.mcp.agent import results
    from tokenls.workspace.choice import Choice

_EXPLAIN_CONTRIBUTORS = 10
_LOG_SNIFF_CHARS = 64 * 1024


class AgentTools:
    """The five tools over one workspace root; safe to call from several threads."""

    def __init__(self, root: Path) -> None:
        self.files = WorkspaceFiles(root)
        self.root = self.files.root
        self._checkers: dict[tuple[str | None, str | None], PromptChecker] = {}
        self._lock = threading.Lock()

    def count_tokens(
        self, paths: list[str], encoding: str | None = None, model: str | None = None
    ) -> results.CountResult:
        from tokenls.tree.count_json import json_report
        from tokenls.tree.report import TreeTotal
        from tokenls.tree.tree_count import count_paths

        found, refused = self.files.files_under(paths)
        checker = self._checker(encoding, model)
        anchor = found[0][0] if found else self.root / "-"
        chosen = self._chosen(checker, anchor).encoding  # each file's own choice applies
        counts = count_paths([p for p, _ in found], chosen, prompts=checker)
        tree = TreeTotal.of(counts)
        report: dict[str, Any] = json_report(chosen, tree.total, tree.exact, counts, None)
        unresolved: list[results.Unresolved] = []
        for entry in report["files"]:
            entry["path"] = self.files.shown(entry["path"])
            for ref in entry.get("references", ()):
                ref["target"] = self.files.shown(ref["target"])
                if ref["status"] != "ok":
                    unresolved.append(
                        {
                            "path": entry["path"],
                            "target": ref["target"],
                            "status": ref["status"],
                            "error": ref["error"],
                        }
                    )
        report["unresolved"] = unresolved
        errors = [*report.get("errors", ()), *_path_errors(refused)]
        for error in errors:
            error["path"] = self.files.shown(error["path"])
        if errors:
            report["errors"] = errors
        if "skipped_binary" in report:
            report["skipped_binary"] = [self.files.shown(p) for p in report["skipped_binary"]]
        return report  # type: ignore[return-value]

    def check_budget(
        self, paths: list[str], encoding: str | None = None, model: str | None = None
    ) -> results.CheckResult:
        from tokenls.tree.report import finding_rows

        found, refused = self.files.files_under(paths)
        checker = self._checker(encoding, model)
        self._chosen(checker, found[0][0] if found else self.root / "-")
        findings: list[Any] = []
        checked = over = unbudgeted = 0
        for path, named in found:
            if not named and not checker.is_prompt(path):
                continue
            try:
                data = self.files.read(path, self._settings(path).files.max_bytes)
            except ToolFailure as exc:  # one file of a walk: the others are still checked
                if named:
                    raise
                refused.append((self.files.shown(path), str(exc)))
                continue
            if b"\0" in data[:SNIFF_BYTES]:
                if named:
                    raise ToolFailure(f"{self.files.shown(path)}: binary file, not a prompt")
                continue
            report = checker.report(path, data)
            checked += 1
            over += report.over_budget
            unbudgeted += report.budget is None
            for row in finding_rows(self.files.shown(path), report):
                entry = row.as_json()
                for part in entry.get("contributors", ()):  # type: ignore[attr-defined]
                    part["label"] = self.files.shown(part["label"])
                findings.append(entry)
        result: results.CheckResult = {
            "checked": checked,
            "over_budget": over,
            "without_budget": unbudgeted,
            "findings": findings,
        }
        errors = _path_errors(refused)
        if errors:
            result["errors"] = errors
        return result

    def explain_tokens(
        self, path: str, encoding: str | None = None, model: str | None = None
    ) -> results.ExplainResult:
        from tokenls.analysis import presentation
        from tokenls.analysis.contributors import biggest_contributors

        real = self.files.file(path)
        data = self.files.read(real, self._settings(real).files.max_bytes)
        if b"\0" in data[:SNIFF_BYTES]:
            raise ToolFailure(f"{path}: binary file, not a prompt")
        checker = self._checker(encoding, model)
        self._chosen(checker, real)
        prompt = checker.analysed(real, data)
        doc, analysis = prompt.doc, prompt.analysis
        payload = presentation.document_tokens(doc, analysis)
        references = payload["references"]
        for ref in references:
            ref["target"] = self.files.shown(ref["target"])
        sections: list[results.Section] = [
            {
                "heading": f"{'#' * s.heading.level} {s.heading.title}".rstrip(),
                "level": s.heading.level,
                "line": s.heading.line + 1,
                "tokens": presentation.section_count(doc, analysis, s).tokens,
            }
            for s in doc.sections()
        ]
        parts = biggest_contributors(doc, analysis, _EXPLAIN_CONTRIBUTORS)
        contributors: list[Any] = [
            {**c.as_json(), "label": self.files.shown(c.label)} for c in parts
        ]
        result: results.ExplainResult = {
            "path": self.files.shown(real),
            "encoding": payload["encoding"],
            "tokens": payload["tokens"],
            "own_tokens": payload["ownTokens"],
            "exact": payload["exact"],
            "budget": payload["budget"],
            "budget_source": payload["budgetSource"],
            "level": payload["level"],
            "sections": sections,
            "references": references,
            "contributors": contributors,
            "why": analysis.why,
        }
        for key in ("model", "reason"):
            if key in payload:
                result[key] = payload[key]  # type: ignore[literal-required]
        return result

    def compress_log(
        self,
        budget: int,
        path: str | None = None,
        text: str | None = None,
        baseline: str | None = None,
    ) -> results.CompressReport:
        from tokenls.compress.options import MIN_BUDGET

        if (path is None) == (text is None):
            raise ToolFailure("give either path (a log file in the workspace) or text, not both")
        if budget < MIN_BUDGET:
            raise ToolFailure(
                f"budget {budget} is below the minimum of {MIN_BUDGET} tokens "
                "(room for at least the line saying what was left out)"
            )
        if text is not None and "\0" in text[:SNIFF_BYTES]:
            raise ToolFailure("binary input, not a log (a NUL byte near the start)")
        real = self.files.file(path) if path is not None else None
        chunks = self.files.stream_log(real) if real is not None else [text or ""]
        from tokenls.compress.baseline import against
        from tokenls.compress.failures import Tally, stats_of

        passing = self._baseline(baseline) if baseline is not None else None
        if passing is not None:  # the log is read twice: once to see where its failures are
            again = self.files.stream_log(real) if real is not None else [text or ""]
            passing = against(passing, again)
        tally = Tally()
        result = self._compress(tally.tap(chunks), budget, real, baseline=passing)
        stats = stats_of(result, tally.result())
        return {"text": result.text, **stats, "notes": list(result.notes)}  # type: ignore[typeddict-item]

    def read_within_budget(self, path: str, budget: int) -> results.ReadResult:
        from tokenls.compress.options import MIN_BUDGET

        if budget < MIN_BUDGET:
            raise ToolFailure(f"budget {budget} is below the minimum of {MIN_BUDGET} tokens")
        real = self.files.file(path)
        counter = self._counter(real)
        limit = self._settings(real).files.max_bytes
        view: dict[str, Any]
        if real.stat().st_size > limit:  # only a log is worth streaming through
            if not _is_log(real, _first_chars(self.files.stream_log(real), _LOG_SNIFF_CHARS)):
                raise ToolFailure(
                    f"{path} is over the {limit:,}-byte limit (files.max_bytes) and not a log"
                )
            view = _compressed(self._compress(self.files.stream_log(real), budget, real))
        else:
            text = self.files.read_text(real, limit, "a text file")
            whole = counter.count(text)
            if whole.bound > budget and _is_log(real, text[:_LOG_SNIFF_CHARS]):
                view = _compressed(self._compress([text], budget, real))
            else:
                view = _outlined(fit_prompt(text, budget, counter), whole.tokens)
        return {"path": self.files.shown(real), "budget": budget, **view}  # type: ignore[typeddict-item]

    def _checker(self, encoding: str | None = None, model: str | None = None) -> PromptChecker:
        """The prompt checker of a call's ``encoding`` and ``model`` (over every file's own
        choice, as ``--encoding`` and ``--model`` are); ``ToolFailure`` for one unknown."""
        if encoding is not None and encoding not in ENCODINGS:
            raise ToolFailure(unavailable_encoding(encoding, files=False))
        with self._lock:
            if (encoding, model) not in self._checkers:
                self._checkers[encoding, model] = PromptChecker(self.root, encoding, model)
            return self._checkers[encoding, model]

    def _chosen(self, checker: PromptChecker, anchor: Path) -> Choice:
        """The choice at ``anchor``; ``ToolFailure`` when the call's model is unknown there."""
        unknown = checker.unknown_model(anchor)
        if unknown:
            raise ToolFailure(unknown)
        return checker.choice(anchor)

    def _settings(self, anchor: Path) -> Settings:
        """The settings that apply to a file (its nearest config); ``ConfigError`` when the
        config cannot be used."""
        return self._checker().settings(anchor)

    def _counter(self, anchor: Path) -> Counter:
        """Compression's counter: the file's choice when it is tiktoken's (``tiktoken_of``),
        as ``tokenls compress`` counts."""
        from tokenls.workspace.choice import tiktoken_of

        return Counter(tiktoken_of(self._checker().choice(anchor)), max_exact=BATCH_MAX_EXACT)

    def _baseline(self, target: str) -> list[str]:
        from tokenls.compress.held import visible_lines

        real = self.files.file(target)
        try:
            data = real.read_bytes()
        except OSError as exc:
            raise ToolFailure(
                f"{target}: cannot read the baseline: {exc.strerror or exc}"
            ) from None
        return visible_lines(data.decode("utf-8", "replace"))

    def _compress(
        self, chunks: Iterable[str], budget: int, source: Path | None, **options: Any
    ) -> CompressResult:
        from tokenls.compress import compress

        counter = self._counter(source or self.root / "-")  # text: as a file at the root
        return compress(chunks, budget, counter, **options)


def _path_errors(refused: list[tuple[str, str]]) -> list[results.PathError]:
    return [{"path": shown, "error": why} for shown, why in refused]


def _is_log(path: Path, sample: str) -> bool:
    from tokenls.compress.pasted import looks_like_log
    from tokenls.document.outline import scan_structure
    from tokenls.engine.text import split_lines

    lines = split_lines(sample)[:400]
    if path.suffix == ".log":
        return True
    structure = scan_structure(lines)  # headings or fences: a prompt, maybe pasting a log
    return not (structure.headings or structure.fences) and looks_like_log(lines)


def _compressed(result: CompressResult) -> dict[str, Any]:
    """A log's compressed view (it did not fit whole)."""
    left = (
        f"{result.dropped_lines:,} of {result.input_lines:,} log lines left out, each gap "
        f"marked; failures are kept first ({result.failures:,} failure lines in the log)"
    )
    return {
        "view": "compressed",
        "text": result.text,
        "tokens": result.output_tokens,
        "file_tokens": result.input_tokens,
        "left_out": "; ".join([left, *result.notes]),
        "omitted": [],
    }


def _outlined(fitted: Fitted, file_tokens: int) -> dict[str, Any]:
    """A text's outline view, its pasted logs compressed in place, or the whole text."""
    lines = sum(g.end - g.start for g in fitted.gaps)
    left = (
        f"{lines:,} lines ({sum(g.tokens for g in fitted.gaps):,} tokens) left out in "
        f"{len(fitted.gaps):,} gaps, each marked; every heading that fits is kept"
    )
    if fitted.logs:
        left = "its own text is whole; each pasted log is compressed in place, failures " + (
            "kept first: "
            + "; ".join(
                f"lines {g.start + 1}-{g.end} ({g.tokens:,} → {g.kept:,} tokens)"
                for g in fitted.logs
            )
        )
    view = "outline" if fitted.gaps else "prompt" if fitted.logs else "whole"
    return {
        "view": view,
        "text": fitted.text,
        "tokens": fitted.tokens,
        "file_tokens": file_tokens,
        "left_out": left if fitted.gaps or fitted.logs else "",
        "omitted": [
            {"start_line": g.start + 1, "end_line": g.end, "tokens": g.tokens} for g in fitted.gaps
        ],
    }


def _first_chars(chunks: Iterator[str], limit: int) -> str:
    taken: list[str] = []
    size = 0
    for chunk in chunks:
        taken.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return "".join(taken)[:limit]
