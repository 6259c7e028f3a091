"""Whole-text compression (temporary entry point while the pipeline is rebuilt)."""

from __future__ import annotations

from tokenls.compress.normalize import clean_line
from tokenls.compress.render import fit
from tokenls.compress.select import plan
from tokenls.encodings import get_encoding

_MARKER_SHARE = 0.03


def compress_text(text: str, budget: int, encoding: str = "o200k_base") -> str:
    enc = get_encoding(encoding)
    count = lambda s: len(enc.encode_ordinary(s))  # noqa: E731
    if count(text) <= budget:
        return text
    lines = [c.text for raw in text.splitlines() if (c := clean_line(raw)) is not None]
    tokens = [len(t) + 1 for t in enc.encode_ordinary_batch(lines)] if lines else []
    p = plan(lines, tokens, int(budget * (1 - _MARKER_SHARE)))
    out, _, _ = fit(lines, p.kinds, p.kept, p.values, tokens, budget, count)
    return out
