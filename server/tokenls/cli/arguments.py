"""Value types of command-line arguments: each parses one value or says why it cannot."""

from __future__ import annotations

import argparse
from pathlib import Path


def positive(text: str) -> int:
    """A whole number of at least 1 (``--top``, ``--jobs``, ``log -n``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def budget_tokens(text: str) -> int:
    """A budget: a whole number of tokens within the range a config's budget allows."""
    from tokenls.workspace.budget import TOKENS

    value = positive(text)
    if not TOKENS.allows(value):
        raise argparse.ArgumentTypeError(f"must be {TOKENS.describe()}, not {value}")
    return value


def config_file(text: str) -> Path:
    """``--config``: a config file that exists (tokenls.toml, or pyproject.toml)."""
    path = Path(text).expanduser()
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such config file: {text}")
    return path.resolve()


def tiktoken_name(text: str) -> str:
    """One of tiktoken's encodings that ship offline."""
    from tokenls.engine.encodings import ENCODINGS, unavailable_encoding

    if text not in ENCODINGS:
        raise argparse.ArgumentTypeError(unavailable_encoding(text, files=False))
    return text


def encoding_name(text: str) -> str:
    """A tiktoken name, a packaged tokenizer, or a tokenizer.json path (made absolute)."""
    from tokenls.engine.encodings import ENCODINGS, unavailable_encoding
    from tokenls.engine.tokenizer_files import (
        PACKAGED,
        TokenizerFileError,
        is_tokenizer_file,
        load_tokenizer,
    )

    if text in ENCODINGS:
        return text
    if not is_tokenizer_file(text):
        raise argparse.ArgumentTypeError(unavailable_encoding(text, tuple(PACKAGED)))
    chosen = text if text in PACKAGED else str(Path(text).expanduser().resolve())
    try:
        load_tokenizer(chosen)
    except TokenizerFileError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return chosen
