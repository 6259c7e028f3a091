"""Keeping secrets out of messages built from what a server sent.

A server receives the API key or header it is sent, and may send it back: in an error's
type, a redirect's host name, a header value. Every message that quotes a response passes
through ``redact`` first, with the secrets of that request, so a key never reaches a
report, standard error or a log (which in CI may be public).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

REDACTED = "[redacted]"
MIN_SECRET = 8  # shorter values ("1", "json") are not secrets and would mangle messages


def secret_parts(values: Iterable[str]) -> list[str]:
    """Each value, and each long-enough word of it (the token of ``Bearer <token>``)."""
    parts: set[str] = set()
    for value in values:
        for part in (value.strip(), *value.split()):
            if len(part) >= MIN_SECRET:
                parts.add(part)
                parts.add(quote(part, safe=""))  # as it appears inside a URL
    return sorted(parts, key=len, reverse=True)  # the longest first: no partial leftovers


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced, whatever its case (a host name is lower-cased
    on the way, so a key echoed in one comes back changed)."""
    parts = secret_parts(secrets)
    if not parts or not text:
        return text
    pattern = re.compile("|".join(re.escape(p) for p in parts), re.IGNORECASE)
    return pattern.sub(REDACTED, text)
