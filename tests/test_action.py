"""The GitHub Action (``action.yml``) run as a runner runs it: each ``run:`` step with bash
(``-eo pipefail``), its ``${{ … }}`` expressions replaced, in the environment a runner gives
(``GITHUB_WORKSPACE``, ``GITHUB_BASE_REF``, ``GITHUB_STEP_SUMMARY``, ``GITHUB_ENV``), on a real
repository with a base branch. pip is stood in for (installing would change this
environment); everything after it runs tokenls for real."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import truth
from tests.repos import Repo

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash"
)

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
BASE = "Review the change line by line and name each problem you find.\n" * 10
GROWN = BASE + "Also check the tests, the names and the docs of every public function.\n" * 3


def t(text: str) -> int:
    return truth(text, "o200k_base")


def test_the_action_is_a_composite_with_its_inputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {"paths", "budget", "encoding", "model", "max-increase", "sarif-file"} <= set(
        ACTION["inputs"]
    )
    assert all(step.get("shell") == "bash" for step in ACTION["runs"]["steps"])


@pytest.fixture
def pull_request(tmp_path: Path) -> Repo:
    """A base branch ``main`` and a pull request's branch checked out on top of it."""
    repo = Repo(tmp_path / "workspace")
    repo.commit("base", {"prompts/review.prompt.md": BASE, "README.md": "# Project\n"})
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("grow the review prompt", {"prompts/review.prompt.md": GROWN})
    return repo


def run_action(
    tmp_path: Path, workspace: Path, inputs: dict[str, str], base_ref: str = "main"
) -> dict[str, subprocess.CompletedProcess[str]]:
    runner = tmp_path / "runner"
    runner.mkdir()
    shim = runner / "python"  # pip stands in; tokenls itself runs in this interpreter
    shim.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then printf "%s\\n" "$@" > "$PIP_LOG"; exit 0; fi\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    shim.chmod(0o755)
    values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    values.update(inputs, python=str(shim))
    env = {
        **os.environ,
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_BASE_REF": base_ref,
        "GITHUB_STEP_SUMMARY": str(runner / "summary.md"),
        "GITHUB_ENV": str(runner / "env"),
        "GITHUB_OUTPUT": str(runner / "output"),
        "RUNNER_TEMP": str(runner),
        "PIP_LOG": str(runner / "pip.log"),
    }
    for name in ("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        Path(env[name]).touch()
    context = {f"inputs.{k}": v for k, v in values.items()}
    context.update({"github.action_path": str(ROOT), "github.workspace": str(workspace)})

    def substitute(text: str) -> str:
        return EXPRESSION.sub(lambda m: context[m.group(1)], text)

    results = {}
    for step in ACTION["runs"]["steps"]:
        script = runner / "step.sh"
        script.write_text(substitute(step["run"]))
        step_env = {**env, **{k: substitute(str(v)) for k, v in step.get("env", {}).items()}}
        cwd = substitute(step.get("working-directory", str(workspace)))
        results[step["name"]] = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        for line in Path(env["GITHUB_ENV"]).read_text().splitlines():
            name, _, value = line.partition("=")
            env[name] = value
    return results


def test_a_pull_request_that_grew_too_much_fails_with_sarif_and_a_summary(
    tmp_path, pull_request
) -> None:
    inputs = {"max-increase": "10%", "budget": "100000", "sarif-file": "out/tokenls.sarif"}
    (pull_request.root / "out").mkdir()
    steps = run_action(tmp_path, pull_request.root, inputs)
    install, base, check, summary, verdict = steps.values()
    pip = (tmp_path / "runner" / "pip.log").read_text().splitlines()
    assert pip[:3] == ["-m", "pip", "install"] and pip[-1] == str(ROOT)
    assert install.returncode == base.returncode == check.returncode == 0, check.stderr
    assert summary.returncode == 0, summary.stderr
    assert verdict.returncode == 1

    before, after = t(BASE), t(GROWN)
    sarif = json.loads((pull_request.root / "out" / "tokenls.sarif").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "increase"]
    assert result["level"] == "error"
    assert f"{before:,} → {after:,}" in result["message"]["text"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "prompts/review.prompt.md"
    assert "::error file=prompts/review.prompt.md" in check.stdout
    assert "title=tokenls increase" in check.stdout

    table = (tmp_path / "runner" / "summary.md").read_text()
    share = (after - before) / before * 100
    assert "### Token cost:" in table
    row = f"| `prompts/review.prompt.md` | {before:,} | {after:,} | {after - before:+,} | {share:+.1f}% |"
    assert any(line.startswith(row) for line in table.splitlines()), table


def test_growth_within_the_limit_passes(tmp_path, pull_request) -> None:
    steps = run_action(tmp_path, pull_request.root, {"max-increase": "50%"})
    assert list(steps.values())[-1].returncode == 0
    sarif = json.loads((pull_request.root / "tokenls.sarif").read_text())
    assert not [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "increase"]
    assert "prompts/review.prompt.md" in (tmp_path / "runner" / "summary.md").read_text()


def test_without_a_pull_request_base_only_budgets_are_checked(tmp_path, pull_request) -> None:
    steps = run_action(
        tmp_path, pull_request.root, {"max-increase": "1%", "budget": "10"}, base_ref=""
    )
    *_, summary, verdict = steps.values()
    assert verdict.returncode == 1  # over the budget of 10
    assert "no pull request base" in summary.stdout
    assert (tmp_path / "runner" / "summary.md").read_text() == ""
    sarif = json.loads((pull_request.root / "tokenls.sarif").read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"budget"}
