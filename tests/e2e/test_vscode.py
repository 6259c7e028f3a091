"""A real VS Code (code-server) with the packaged extension, driven by Chromium.

``scripts/vscode-e2e-setup`` (run by the test command) builds the .vsix and installs
code-server and Chromium; this test only runs them. Without them it is skipped, except
in CI, where it must run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import truth

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "vscode-extension"
CODE_SERVER = ROOT / ".tools" / "code-server" / "node_modules" / ".bin" / "code-server"
VSIX = EXTENSION / "tokenls.vsix"
FIXTURE = ROOT / "tests" / "fixtures" / "vscode-ws"


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


@pytest.mark.e2e
def test_real_vscode_shows_hints_problems_status_bar_and_hover() -> None:
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
    seen = json.loads(lines[-1])
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
