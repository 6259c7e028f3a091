"""Every request to the real ``tokenls serve`` is answered, whatever its params; a change
that cannot be applied never leaves the server counting a text the editor does not have."""

from __future__ import annotations

import copy
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import truth
from tests.reliability.stdio_client import StdioClient

pytestmark = pytest.mark.e2e

INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND = -32602, -32600, -32601
FUZZED_REQUESTS = 600
SEED = 20240612
GARBAGE: list[Any] = [-1, -(2**40), 2**40, "x", None, [], {}, 1.5, True, {"line": -1}]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[StdioClient, str]]:
    root = tmp_path / "ws"
    root.mkdir()
    doc = root / "prompt.md"
    doc.write_text("# Title\n\nhello world\n")
    client = StdioClient(root, dict(os.environ))
    try:
        answer = client.call(
            0,
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "capabilities": {},
                "initializationOptions": {"debounceMs": 0, "inlayHints": "all"},
            },
        )
        assert "result" in answer
        client.notify("initialized", {})
        uri = doc.as_uri()
        client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "markdown",
                    "version": 1,
                    "text": doc.read_text(),
                }
            },
        )
        yield client, uri
    finally:
        client.close()


def _valid_requests(uri: str) -> list[tuple[str, Any]]:
    position = {"line": 2, "character": 3}
    span = {"start": {"line": 0, "character": 0}, "end": {"line": 3, "character": 0}}
    doc = {"uri": uri}
    return [
        ("textDocument/hover", {"textDocument": doc, "position": position}),
        ("textDocument/inlayHint", {"textDocument": doc, "range": span}),
        ("tokenls/documentTokens", {"textDocument": doc}),
        (
            "textDocument/codeAction",
            {"textDocument": doc, "range": span, "context": {"diagnostics": []}},
        ),
        ("inlayHint/resolve", {"position": position, "label": "x", "data": {"uri": uri}}),
        ("tokenls/cacheStats", None),
        ("tokenls/rateStatus", None),
        ("textDocument/completion", {"textDocument": doc, "position": position}),
        ("tokenls/noSuchMethod", {}),
    ]


def _mutate(params: Any, rng: random.Random) -> Any:
    """Replace or drop one value somewhere in ``params`` (or all of it)."""
    if not isinstance(params, dict) or not params or rng.random() < 0.15:
        return rng.choice(GARBAGE)
    params = copy.deepcopy(params)
    node = params
    while True:
        key = rng.choice(list(node))
        child = node[key]
        if isinstance(child, dict) and child and rng.random() < 0.7:
            node = child
            continue
        if rng.random() < 0.25:
            del node[key]
        else:
            node[key] = rng.choice(GARBAGE)
        return params


def _change(uri: str, version: int, rng: random.Random) -> dict[str, Any]:
    def pos() -> dict[str, Any]:
        return {"line": rng.choice([0, 1, 2, 3, -1, 99]), "character": rng.choice([0, 2, -5])}

    return {
        "textDocument": {"uri": uri, "version": version},
        "contentChanges": [
            {"range": {"start": pos(), "end": pos()}, "text": rng.choice(["", "a"])}
        ],
    }


def test_fuzzed_requests_are_all_answered(server: tuple[StdioClient, str]) -> None:
    client, uri = server
    rng = random.Random(SEED)
    valid = _valid_requests(uri)
    ids: list[Any] = []
    for n in range(1, FUZZED_REQUESTS + 1):
        method, params = rng.choice(valid)
        if rng.random() < 0.7:
            params = _mutate(params, rng)
        msg_id: Any = n if n % 3 else f"req-{n}"
        client.request(msg_id, method, params)
        ids.append(msg_id)
        roll = rng.random()
        if roll < 0.2:
            client.notify("textDocument/didChange", _change(uri, n + 1, rng))
        elif roll < 0.25:
            client.send_raw(rng.choice([b"{not json", b"[]", b"5", b'{"jsonrpc": "2.0"}']))
        elif roll < 0.3:
            client.notify(
                rng.choice(["$/cancelRequest", "textDocument/didSave", "x/y"]),
                _mutate({"id": n}, rng),
            )
    answers = client.wait_for(ids, timeout=40)
    missing = [i for i in ids if i not in answers]
    assert missing == [], f"{len(missing)} of {len(ids)} requests never answered"
    assert all(len(answers[i]) == 1 for i in ids)  # exactly one answer each
    codes = {a[0]["error"]["code"] for a in answers.values() if "error" in a[0]}
    assert INVALID_PARAMS in codes and METHOD_NOT_FOUND in codes
    # The server survived it all and counts a fully re-sent text exactly.
    text = "# Back in sync\n\nthe editor sent everything again\n"
    client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": 10_000}, "contentChanges": [{"text": text}]},
    )
    result = client.call("final", "tokenls/documentTokens", {"textDocument": {"uri": uri}})
    assert result["result"]["tokens"] == truth(text, "o200k_base")
    assert result["result"]["level"] != "unknown"


def test_hover_at_line_minus_one_gets_invalid_params(server: tuple[StdioClient, str]) -> None:
    client, uri = server
    answer = client.call(
        1,
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": {"line": -1, "character": 0}},
    )
    assert answer["error"]["code"] == INVALID_PARAMS and "position" in answer["error"]["message"]


@pytest.mark.parametrize(
    "position",
    [{"line": -1, "character": 0}, {"line": 99, "character": 0}],
    ids=["negative", "past-the-end"],
)
def test_a_change_that_cannot_be_applied_marks_counts_unknown_until_a_full_sync(
    server: tuple[StdioClient, str], position: dict[str, int]
) -> None:
    client, uri = server
    client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": {"start": position, "end": position}, "text": "lost "}],
        },
    )
    unknown = client.call(1, "tokenls/documentTokens", {"textDocument": {"uri": uri}})["result"]
    assert unknown["level"] == "unknown" and unknown["exact"] is False
    assert "token counts unknown" in unknown["error"]
    hint = client.call(
        2,
        "textDocument/inlayHint",
        {
            "textDocument": {"uri": uri},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}},
        },
    )["result"]
    assert [h["label"] for h in hint] == ["? tok"]
    text = "resynced text\n"
    client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": text}]},
    )
    known = client.call(3, "tokenls/documentTokens", {"textDocument": {"uri": uri}})["result"]
    assert known["tokens"] == truth(text, "o200k_base") and known["level"] != "unknown"


def test_requests_after_shutdown_get_invalid_request(server: tuple[StdioClient, str]) -> None:
    client, uri = server
    assert client.call(1, "shutdown")["result"] is None
    for n, method in enumerate(["textDocument/hover", "tokenls/documentTokens", "shutdown"], 2):
        answer = client.call(n, method, {"textDocument": {"uri": uri}})
        assert answer["error"]["code"] == INVALID_REQUEST
    client.notify("exit")
    assert client.proc.wait(timeout=10) == 0
