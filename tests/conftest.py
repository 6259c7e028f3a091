from __future__ import annotations

import pytest

from tokenls.encodings import ENCODINGS, get_encoding


@pytest.fixture(params=ENCODINGS)
def encoding(request: pytest.FixtureRequest) -> str:
    return request.param


def truth(text: str, encoding: str) -> int:
    """tiktoken's own count: the reference every figure is checked against."""
    return len(get_encoding(encoding).encode_ordinary(text))
