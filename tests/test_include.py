"""The include globs match as ``PurePosixPath.match`` does on Python 3.11, compiled once."""

from __future__ import annotations

import sys
from pathlib import PurePosixPath

import pytest

from tokenls.workspace.include import include_matcher

PATTERNS = ["**/*.md", "*.txt", "prompts/*.prompt", "**/docs/**/*.mdc", "a?c.[ch]", "/abs.md", ""]
PATHS = [
    "README.md",
    "docs/guide.md",
    "a/b/c/d.md",
    "notes.txt",
    "deep/notes.txt",
    "prompts/x.prompt",
    "src/prompts/x.prompt",
    "x.prompt",
    "docs/a/b.mdc",
    "docs/b.mdc",
    "abc.c",
    "abc.h",
    "abbc.c",
    "abs.md",
    "README.MD",
    "dir.md/file.py",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_each_pattern_matches_what_the_standard_library_matches(pattern: str) -> None:
    if sys.version_info[:2] != (3, 11):
        pytest.skip("the reference semantics are Python 3.11's PurePath.match")
    matcher = include_matcher((pattern,))
    for path in PATHS:
        relative = PurePosixPath(path)
        try:
            expected = relative.match(pattern) or (
                pattern.startswith("**/") and relative.match(pattern[3:])
            )
        except ValueError:  # the empty pattern: the standard library refuses it
            expected = False
        assert matcher(relative.parts) == expected, (pattern, path)


def test_the_default_globs_on_hand_picked_paths() -> None:
    matcher = include_matcher(("**/*.md", "**/*.prompt"))
    assert matcher(("CLAUDE.md",))
    assert matcher(("a", "b", "c.prompt"))
    assert not matcher(("a", "b.md", "c.py"))
    assert not matcher(("README.MD",))  # case-sensitive, as on POSIX
    assert not matcher(())
