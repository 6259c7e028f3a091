"""Every setting the VS Code extension declares is understood and honoured by the server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tokenls.config.validation import snake_case
from tokenls.engine.encodings import ENCODINGS
from tokenls.engine.tokenizer_files import PACKAGED
from tokenls.lsp.session import Session

PACKAGE = Path(__file__).resolve().parents[1] / "vscode-extension" / "package.json"
CLIENT_ONLY = {"tokenls.server.command"}  # how the extension starts the server


def _declared() -> dict[str, dict]:
    properties = json.loads(PACKAGE.read_text())["contributes"]["configuration"]["properties"]
    return {k: v for k, v in properties.items() if k not in CLIENT_ONLY}


def _example(schema: dict) -> object:
    """A valid value that differs from the declared default."""
    for listed in ("enum", "examples"):
        if listed in schema:
            return next(v for v in schema[listed] if v != schema.get("default"))
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if "integer" in kinds:
        return 4321
    if "array" in kinds:
        return ["**/*.prompt.md"]
    if "object" in kinds:
        return {key: share / 2 for key, share in schema["default"].items()}
    return "gpt-4o" if "model" in _description(schema).lower() else "/tmp/tokenls-cache"


def _description(schema: dict) -> str:
    return schema.get("markdownDescription") or schema["description"]


def test_each_declared_setting_reaches_the_server_and_changes_what_it_does(
    tmp_path: Path,
) -> None:
    declared = _declared()
    assert len(declared) >= 10
    for key, schema in declared.items():
        name = key.removeprefix("tokenls.")
        value = _example(schema)
        session = Session()
        assert session.configure({"tokenls": {name: value}}) == [], key
        uri = (tmp_path / "p.md").as_uri()
        session.open(uri, "hi\n", 1)
        if name == "configurationPreference":
            assert session.workspace(uri).shared.preference == value
            continue
        got = getattr(session.get(uri).settings, snake_case(name))
        if isinstance(value, dict):
            got = {k: getattr(got, k) for k in value}
        assert got == (tuple(value) if isinstance(value, list) else value), key
        assert got != schema.get("default"), key


ENCODING_VALUES = [
    *ENCODINGS,
    *PACKAGED,
    "tokenizer.json",
    "path/to/tokenizer.json",  # the README's example
    "models/tokenizer.json",
    "/opt/tokenizers/llama-3/tokenizer.json",
    "C:\\tokenizers\\tokenizer.json",
    "p50k_base",
    "gpt2",
    "O200K_BASE",
    "tokenizer.json.bak",
    "models/tokenizer.model",
    "",
]


@pytest.mark.parametrize("value", ENCODING_VALUES)
def test_the_encoding_setting_accepts_what_the_server_accepts(value: str) -> None:
    schema = _declared()["tokenls.encoding"]
    in_schema = re.search(schema["pattern"], value) is not None
    in_server = Session().configure({"tokenls": {"encoding": value}}) == []
    assert in_schema == in_server, value


def test_the_encoding_setting_names_every_encoding_and_tokenizer_files() -> None:
    schema = _declared()["tokenls.encoding"]
    assert set(schema["examples"]) >= {*ENCODINGS, *PACKAGED}
    assert any(example.endswith("tokenizer.json") for example in schema["examples"])
    assert all(re.search(schema["pattern"], example) for example in schema["examples"])
    assert "tokenizer.json" in _description(schema)
