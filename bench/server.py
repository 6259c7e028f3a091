"""Language-server latency on a 1 MB prompt, against a full ``encode_ordinary`` of it.

Drives the real ``tokenls serve`` over stdio with pygls's client: after each one-character
``didChange``, the time until the diagnostics for that version arrive, and the time of an
``inlayHint`` request over the whole document. Debounce is set to 0 so the figures are the
server's own work (the editor default adds ``debounce_ms`` of deliberate waiting).

    python bench/server.py [--edits N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from engine import full_encode_cost, realistic_prompt
from tokenls.engine.encodings import get_encoding


async def run(edits: int) -> None:
    text = realistic_prompt(1_000_000)
    enc = get_encoding("o200k_base")
    full_cost = full_encode_cost(text)

    client = LanguageClient("tokenls-bench", "1")
    arrived: dict[int, float] = {}
    waiter: asyncio.Event = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: types.PublishDiagnosticsParams) -> None:
        if params.version is not None:
            arrived[params.version] = time.perf_counter()
            waiter.set()

    await client.start_io(sys.executable, "-m", "tokenls", "serve")
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            initialization_options={"budget": 1000, "debounceMs": 0},
        )
    )
    client.initialized(types.InitializedParams())
    uri = Path("/tmp/bench-prompt.md").as_uri()
    t = time.perf_counter()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="markdown", version=1, text=text)
        )
    )
    while 1 not in arrived:
        await asyncio.wait_for(waiter.wait(), 60)
        waiter.clear()
    open_cost = arrived[1] - t  # the server loaded its encoding in the background at start

    lines = text.split("\n")
    rng = random.Random(5)
    to_diagnostics, to_hints, to_visible = [], [], []
    whole = types.Range(types.Position(0, 0), types.Position(len(lines), 0))
    for version in range(2, edits + 2):
        line = rng.randrange(len(lines))
        col = rng.randrange(len(lines[line]) + 1)
        pos = types.Position(line, col)
        sent = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(range=types.Range(pos, pos), text="x")
                ],
            )
        )
        while version not in arrived:
            await asyncio.wait_for(waiter.wait(), 30)
            waiter.clear()
        to_diagnostics.append(arrived[version] - sent)
        t = time.perf_counter()
        await client.text_document_inlay_hint_async(
            types.InlayHintParams(text_document=types.TextDocumentIdentifier(uri), range=whole)
        )
        to_hints.append(time.perf_counter() - t)
        top = max(line - 30, 0)
        visible = types.Range(types.Position(top, 0), types.Position(top + 60, 0))
        t = time.perf_counter()
        await client.text_document_inlay_hint_async(
            types.InlayHintParams(text_document=types.TextDocumentIdentifier(uri), range=visible)
        )
        to_visible.append(time.perf_counter() - t)
        lines[line] = lines[line][:col] + "x" + lines[line][col:]

    result = await client.protocol.send_request_async(
        "tokenls/documentTokens", {"textDocument": {"uri": uri}}
    )
    assert result.tokens == len(enc.encode_ordinary("\n".join(lines))), "server count drifted"
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()

    d, h = statistics.median(to_diagnostics), statistics.median(to_hints)
    v = statistics.median(to_visible)
    print(f"language server, 1 MB prompt, {edits} edits (debounce 0)")
    print(f"  full encode_ordinary            {full_cost * 1e3:8.2f} ms")
    print(f"  didOpen -> diagnostics          {open_cost * 1e3:8.2f} ms")
    print(
        f"  didChange -> diagnostics median {d * 1e3:8.2f} ms   ratio {d / full_cost:.4f} (target <= 0.1)"
    )
    print(
        f"  inlayHint, 60 visible lines     {v * 1e3:8.2f} ms   ratio {v / full_cost:.4f} (target <= 0.1)"
    )
    print(
        f"  inlayHint, whole document       {h * 1e3:8.2f} ms   ratio {h / full_cost:.4f} (target <= 0.1)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=100)
    asyncio.run(run(parser.parse_args().edits))


if __name__ == "__main__":
    main()
