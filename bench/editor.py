"""Editor latency through the real ``tokenls serve``, each figure against its baseline.

* start → first count: from starting the server process to the answer of
  ``tokenls/documentTokens`` on a 1 MB prompt, against a process that imports tiktoken's
  encoder and counts the same text once (the least any counting process pays);
* edit → count, typing: a one-character ``didChange`` then ``tokenls/documentTokens``,
  round trip, median and p95, on a 1 MB and a 10 MB prompt, against one full
  ``encode_ordinary`` of the document. Edits come at typing speed (pauses of 0-250 ms,
  default debounce), so the debounced diagnostics run between keystrokes, as they do in
  an editor;
* edit → count, bursts: what paste, multi-cursor edits, undo and formatters send. Random
  inserts, deletes and replacements of 0-30 characters (newlines, CRLF, emoji, heading and
  fence marks among them) on a prompt of short sections (heading, prose, a fenced code
  block, logs or emoji lines, a quarter with CRLF breaks), each edit followed at once by
  ``tokenls/documentTokens`` and the next edit sent as soon as it is answered, so nothing
  debounced ever gets a quiet moment;
* 40k references: a keystroke on a reference line, then a hover on it, round trip.

The client is ``rpc_client.RpcClient``: it only frames and parses JSON, so a round trip is
the server's and the pipe's (pygls's Python client adds ~0.5 ms to each).

Every edit pattern checks the server's last count against tiktoken's count of the final
text, and reports the server's peak resident memory.

    python bench/editor.py [--edits N] [--bursts N] [--skip-large] [--only typing|burst]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import full_encode_cost, realistic_prompt
from rpc_client import RpcClient
from tokenls.engine.encodings import get_encoding

ENCODING = "o200k_base"
DOCUMENT_TOKENS = "tokenls/documentTokens"


def p95(values: list[float]) -> float:
    return sorted(values)[min(int(len(values) * 0.95), len(values) - 1)]


async def start(folder: Path, options: dict[str, object]) -> RpcClient:
    client = await RpcClient.start(sys.executable, "-m", "tokenls", "serve")
    await client.request(
        "initialize",
        {
            "processId": None,
            "rootUri": folder.as_uri(),
            "capabilities": {},
            "initializationOptions": options,
        },
    )
    client.notify("initialized", {})
    return client


async def stop(client: RpcClient) -> None:
    await client.stop()


def open_doc(client: RpcClient, uri: str, text: str) -> None:
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": text}},
    )


def edit(client: RpcClient, uri: str, version: int, line: int, col: int, text: str) -> None:
    replace(client, uri, version, (line, col), (line, col), text)


def replace(
    client: RpcClient,
    uri: str,
    version: int,
    start: tuple[int, int],
    end: tuple[int, int],
    text: str,
) -> None:
    client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [
                {
                    "range": {
                        "start": {"line": start[0], "character": start[1]},
                        "end": {"line": end[0], "character": end[1]},
                    },
                    "text": text,
                }
            ],
        },
    )


async def count(client: RpcClient, uri: str) -> dict[str, Any]:
    return await client.request(DOCUMENT_TOKENS, {"textDocument": {"uri": uri}})


async def bench_start(folder: Path, text: str) -> None:
    prompt = folder / "start.md"
    prompt.write_text(text)
    script = (
        "import sys; from tokenls.engine.encodings import get_encoding as g; "
        f"print(len(g('{ENCODING}').encode_ordinary(open(sys.argv[1]).read())))"
    )
    baseline = []
    ours = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", script, str(prompt)], check=True, capture_output=True)
        baseline.append(time.perf_counter() - t)
        t = time.perf_counter()
        client = await start(folder, {"budget": 100_000})
        open_doc(client, prompt.as_uri(), text)
        await count(client, prompt.as_uri())
        ours.append(time.perf_counter() - t)
        await stop(client)
    s, b = statistics.median(ours), statistics.median(baseline)
    print("server start -> first count, 1 MB prompt (median of 3)")
    print(f"  tiktoken script, start to count {b:8.3f} s")
    print(f"  tokenls serve, start to count   {s:8.3f} s   ratio {s / b:.2f}   (target <= 0.5 s)")


@dataclass
class Latency:
    """Round trips of one edit pattern on one prompt, and what they are measured against."""

    times: list[float]
    full: float  # one full encode_ordinary of the prompt, seconds
    peak_rss: int | None  # the server's peak resident memory, bytes

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        return p95(self.times)


async def bench_edits(folder: Path, size: int, edits: int, seed: int) -> Latency:
    """One-character ``didChange`` → ``documentTokens`` at typing speed on ``size`` chars."""
    text = realistic_prompt(size, seed=seed)
    full = full_encode_cost(text)
    prompt = folder / f"edits-{size}.md"
    prompt.write_text(text)
    uri = prompt.as_uri()
    client = await start(folder, {"budget": size})
    open_doc(client, uri, text)
    await count(client, uri)
    lines = text.split("\n")
    rng = random.Random(seed)
    times = []
    for version in range(2, edits + 2):
        line = rng.randrange(len(lines))
        col = rng.randrange(len(lines[line]) + 1)
        t = time.perf_counter()
        edit(client, uri, version, line, col, "x")
        result = await count(client, uri)
        times.append(time.perf_counter() - t)
        lines[line] = lines[line][:col] + "x" + lines[line][col:]
        await asyncio.sleep(rng.random() * 0.25)
    tokens = result["tokens"]
    assert tokens == len(get_encoding(ENCODING).encode_ordinary("\n".join(lines))), "drifted"
    rss = client.peak_rss()
    await stop(client)
    return Latency(times, full, rss)


# What bursts insert: letters and spaces mostly, with line breaks of every kind, emoji (a
# surrogate pair in UTF-16), accents, heading and fence marks, and a ``/`` after a newline.
_BURST_PIECES = [*"abcdefghijklmnopqrstuvwxyz     ,.()=_0123456789", "\n", "\n", "\r\n"]
_BURST_PIECES += ["\n\n", "\r", "# ", "## ", "🚀", "👍🏽", "é", "```", "/", "\t", "'s", "\n/"]
_EMOJI_LINES = [
    "Ship it 🚀 when the café's naïve tests pass ✅ 👍🏽\n",
    "Ответ: 42 — 日本語のテキスト 🧪 and more 🎉🎉\n",
]


def burst_prompt(size: int, seed: int) -> str:
    """Short sections, as in a hand-written prompt: a heading, prose, a short fenced code
    block, log lines or emoji lines, some sections with CRLF line breaks."""
    rng = random.Random(seed)
    source = realistic_prompt(size, seed=seed).split("\n")
    parts: list[str] = []
    total = 0
    while total < size:
        at = rng.randrange(len(source) - 20)
        code = "\n".join(source[at : at + rng.randint(3, 15)])
        kind = rng.choice(["python", "text", "json", ""])
        section = (
            f"{'#' * rng.randint(1, 4)} Step {len(parts)}\n\n"
            + "Summarise what changed and why it failed. Keep it short.\n" * rng.randint(1, 3)
            + f"\n```{kind}\n{code}\n```\n\n"
            + "".join(rng.choices(_EMOJI_LINES, k=rng.randint(0, 2)))
        )
        if rng.random() < 0.25:
            section = section.replace("\n", "\r\n")
        parts.append(section)
        total += len(section)
    return "".join(parts)[:size]


def lsp_position(text: str, index: int) -> tuple[int, int]:
    """The (line, UTF-16 column) of a string index: breaks are \\n, \\r\\n and \\r."""
    line = text.count("\n", 0, index) + text.count("\r", 0, index)
    line -= text.count("\r\n", 0, index)
    start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    return line, len(text[start:index].encode("utf-16-le")) // 2


def _boundary(text: str, index: int) -> int:
    """``index``, moved off the middle of a \\r\\n pair (no LSP position is there)."""
    if 0 < index < len(text) and text[index - 1] == "\r" and text[index] == "\n":
        return index - 1
    return index


def burst_edit(rng: random.Random, text: str) -> tuple[int, int, str]:
    """A random insert, delete or replacement of 0-30 characters: (start, end, new text)."""
    start = _boundary(text, rng.randrange(len(text) + 1))
    kind = rng.random()
    removed = 0 if kind < 0.4 else rng.randint(0, 30)
    end = max(_boundary(text, min(start + removed, len(text))), start)
    inserted = ""
    if kind < 0.4 or kind >= 0.7:
        want = rng.randint(0, 30)
        while len(inserted) < want:
            inserted += rng.choice(_BURST_PIECES)
    return start, end, inserted[:30]


async def bench_bursts(folder: Path, size: int, edits: int, seed: int) -> Latency:
    """Random edits back to back, each followed at once by ``documentTokens``."""
    text = burst_prompt(size, seed)
    full = full_encode_cost(text)
    prompt = folder / f"bursts-{size}.md"
    prompt.write_bytes(text.encode())
    uri = prompt.as_uri()
    client = await start(folder, {"budget": size})
    open_doc(client, uri, text)
    await count(client, uri)
    rng = random.Random(seed)
    times = []
    for version in range(2, edits + 2):
        a, b, new = burst_edit(rng, text)
        start_at, end_at = lsp_position(text, a), lsp_position(text, b)
        t = time.perf_counter()
        replace(client, uri, version, start_at, end_at, new)
        result = await count(client, uri)
        times.append(time.perf_counter() - t)
        text = text[:a] + new + text[b:]
    assert result["tokens"] == len(get_encoding(ENCODING).encode_ordinary(text)), "drifted"
    rss = client.peak_rss()
    await stop(client)
    return Latency(times, full, rss)


async def bench_references(folder: Path, references: int, edits: int) -> None:
    docs = folder / "docs"
    docs.mkdir(exist_ok=True)
    for i in range(400):
        (docs / f"part{i}.md").write_text(f"# Part {i}\n\nSome text for part {i}.\n" * 5)
    text = "".join(f"- step {i}: see #file:docs/part{i % 400}.md\n" for i in range(references))
    prompt = folder / "many-refs.prompt.md"
    prompt.write_text(text)
    uri = prompt.as_uri()
    client = await start(folder, {"budget": 10_000_000})
    open_doc(client, uri, text)
    await count(client, uri)
    rng = random.Random(7)
    times = []
    for version in range(2, edits + 2):
        line = rng.randrange(references)
        t = time.perf_counter()
        edit(client, uri, version, line, 2, "x")  # inside "step": a reference line
        await client.request(
            "textDocument/hover",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": 20}},
        )
        times.append(time.perf_counter() - t)
        await asyncio.sleep(rng.random() * 0.25)
    await stop(client)
    m = statistics.median(times)
    print(f"{references:,} references, keystroke on a reference line + hover ({edits} edits)")
    print(f"  median {m * 1e3:8.2f} ms   p95 {p95(times) * 1e3:8.2f} ms   (target <= 50 ms)")


def report(title: str, result: Latency, precise: bool = False) -> None:
    ratio = ".4f" if precise else ".3f"
    print(title)
    print(f"  full encode_ordinary            {result.full * 1e3:8.2f} ms")
    print(
        f"  median {result.median * 1e3:7.2f} ms  ratio {result.median / result.full:{ratio}}   "
        f"p95 {result.p95 * 1e3:7.2f} ms  ratio {result.p95 / result.full:{ratio}}"
    )
    if result.peak_rss is not None:
        print(f"  server peak RSS {result.peak_rss / 2**20:.0f} MiB")


async def run(edits: int, bursts: int, large: bool, only: str | None) -> None:
    typing, burst = only in (None, "typing"), only in (None, "burst")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp).resolve()
        if only is None:
            await bench_start(folder, realistic_prompt(1_000_000))
        if typing:
            result = await bench_edits(folder, 1_000_000, edits, seed=1)
            report(f"typing: edit -> count, 1 MB prompt ({edits} one-character edits)", result)
            print("  (targets: median ratio <= 0.03, p95 ratio <= 0.15)")
        if burst:
            result = await bench_bursts(folder, 1_000_000, bursts, seed=3)
            report(f"bursts: edit -> count, 1 MB prompt ({bursts} edits back to back)", result)
            print("  (targets: median ratio <= 0.03, p95 ratio <= 0.15)")
        if large and typing:
            result = await bench_edits(folder, 10_000_000, edits, seed=2)
            report(f"typing: edit -> count, 10 MB prompt ({edits} edits)", result, True)
            print("  (target: p95 <= 20 ms)")
        if large and burst:
            result = await bench_bursts(folder, 10_000_000, bursts, seed=4)
            report(f"bursts: edit -> count, 10 MB prompt ({bursts} edits)", result, True)
            print("  (target: p95 <= 20 ms)")
        if only is None:
            await bench_references(folder, 40_000, max(edits // 2, 10))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=60, help="typing edits per prompt")
    parser.add_argument("--bursts", type=int, default=150, help="burst edits per prompt")
    parser.add_argument("--skip-large", action="store_true", help="no 10 MB document")
    parser.add_argument("--only", choices=["typing", "burst"], help="one edit pattern only")
    args = parser.parse_args()
    asyncio.run(run(args.edits, args.bursts, not args.skip_large, args.only))


if __name__ == "__main__":
    main()
