"""Hypothesis strategies for text that stresses tokenizer boundaries."""

from __future__ import annotations

from hypothesis import strategies as st

# Fragments chosen to sit on pre-token boundaries: line breaks of every kind, blank-line
# runs, `/` line starts, contractions, combining marks, digits, CJK, emoji, other numbers.
FRAGMENTS = [
    "\n", "\r\n", "\r", "\n\n", "\n\n\n", "  ", "\t", " \n", "\n  ", "\n\t", "\n/", "/",
    "//", "# ", "## Heading", "- item", "def f(x):", "    return x", "{", "}", "()", "'s",
    "'ll", "don't", "'", '"', "a", "Z", "word", " word", "WORD", "CamelCase", "123",
    "4567", "1,000", "3.14", "é", "e\u0301", "\u0301", "日本語", "中文", "😀", "²", "½",
    "Ⅻ", "\u00a0", "_", "__init__", "->", "!!", "...", "==", "http://x.io/a", "$", "@",
    "```", "`x`", "\x0b", "\x0c", "\u2028", "ǅ", "ﬁ",
]

fragment = st.one_of(st.sampled_from(FRAGMENTS), st.text(min_size=1, max_size=4))
texts = st.lists(fragment, max_size=60).map("".join)
