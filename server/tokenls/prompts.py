"""Prompt files outside an editor: the command line's view of what the server shows.

``tokenls count`` and ``tokenls check`` open each prompt in the same ``Session`` the
language server uses, so a CI gate and the editor agree on every total, budget and
reference; only the presentation differs.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from tokenls.budget import Severity
from tokenls.config import Settings, load_config_for
from tokenls.counting import Count
from tokenls.files import DecodeReport, decode_bytes
from tokenls.references.resolve import count_key, store_count

if TYPE_CHECKING:
    from tokenls.references.resolve import UrlSource
    from tokenls.references.urls import UrlFetcher
    from tokenls.session import Finding, Session


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


class PromptChecker:
    """Counts prompts with their references; safe to call from the counting threads."""

    def __init__(self, root: Path, encoding: str | None = None) -> None:
        self.root = root.resolve()
        self.encoding = encoding
        # Built on the first prompt: trees of code never need it.
        self._session: Session | None = None
        self._lock = threading.Lock()
        self._settings: dict[Path, Settings] = {}

    @property
    def session(self) -> Session:
        if self._session is None:
            from tokenls.session import Session

            self._session = Session("utf-32", encoding_override=self.encoding, urls=_blocking_urls)
            self._session.roots = [self.root]
        return self._session

    def is_prompt(self, path: Path) -> bool:
        """Whether ``path`` matches the configured ``include`` globs (prompt-like files)."""
        directory = path.resolve().parent
        settings = self._settings.get(directory)
        if settings is None:
            settings = self._settings[directory] = load_config_for(directory)[0]
        return matches_include(path, settings, self.root)

    def report(self, path: Path, data: bytes | None = None) -> PromptReport:
        if data is None:
            data = path.read_bytes()
        decoded = DecodeReport()
        text = decode_bytes(data, decoded)
        uri = path.resolve().as_uri()
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            cache = self.session.cache()
            known = None
            if self.encoding:  # own text counted exactly before, under this encoding: reuse it
                cached, _ = cache.get(count_key(self.encoding, digest))
                if cached is not None and Count(*cached).exact:
                    known = (self.encoding, Count(*cached))
            doc = self.session.open(uri, text, 0, known)
            try:
                analysis = self.session.analyse(uri)
                store_count(cache, doc.document.counter, digest, doc.document.total)
                payload = self.session.document_tokens(uri)
                findings = self.session.findings(uri)
            finally:
                self.session.close(uri)
        over = analysis.finding is not None and analysis.finding.severity == Severity.ERROR
        return PromptReport(
            analysis.total.tokens,
            analysis.own.tokens,
            analysis.total.exact,
            payload["references"],
            findings,
            over,
            len(text),
            decoded.replaced,
        )


def _blocking_urls(fetcher: UrlFetcher) -> UrlSource:
    from tokenls.references.url_sources import BlockingUrls  # httpx loads only when needed

    return BlockingUrls(fetcher)


def matches_include(path: Path, settings: Settings, root: Path) -> bool:
    try:
        relative = PurePosixPath(path.resolve().relative_to(root).as_posix())
    except ValueError:
        relative = PurePosixPath(path.name)
    for pattern in settings.include:
        if relative.match(pattern) or (pattern.startswith("**/") and relative.match(pattern[3:])):
            return True
    return False
