"""A server that quotes the credential it was sent (the Anthropic key, a configured header)
never gets it into a report, standard error or the editor: every message built from a
response passes through ``redact`` with the request's secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.anthropic_standin import CountTokensStandIn
from tests.http_fixture import Upstream
from tokenls.redact import REDACTED, redact

KEY = "sk-ant-test-3f9c1e0b7d2a4c58a1e6b9d0f2c4e6a8"
MODEL = "claude-sonnet-4-5"
TOKEN = "Tok3nQ7x9EchoedBack"  # a valid host label, so a redirect can carry it


def _run(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokenls", *args],
        cwd=root,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_redact_catches_the_secret_in_any_case_word_or_url_form() -> None:
    secrets = ["Bearer Tok3n/Q7+x9==", "short"]
    text = "tok3n/q7+x9== then Tok3n%2FQ7%2Bx9%3D%3D, Bearer Tok3n/Q7+x9== and short"
    assert redact(text, secrets) == f"{REDACTED} then {REDACTED}, {REDACTED} and short"
    assert redact("nothing secret here", secrets) == "nothing secret here"


def test_an_endpoint_echoing_the_api_key_never_shows_it(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    (root / "a.md").write_text("# Plan\n\nSummarise the incident.\n")
    (root / "b.md").write_text("Another prompt.\n")
    with CountTokensStandIn(KEY, echo_key=True) as standin:
        env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": standin.base_url}
        run = _run(root, env, "count", "--json", "--model", MODEL, ".")
        assert standin.requests >= 1  # the endpoint was asked, and quoted the key back
    assert run.returncode == 0, run.stderr
    assert KEY not in run.stdout and KEY not in run.stderr
    reasons = [f["reason"] for f in json.loads(run.stdout)["files"]]
    assert len(reasons) == 2
    assert all(r.startswith(f"estimate (HTTP 400: {REDACTED}): ") for r in reasons), reasons


def test_a_url_server_echoing_a_header_secret_never_shows_it(
    tmp_path: Path, user_config: Path
) -> None:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    with Upstream() as upstream:
        user_config.write_text(
            f'[http]\nallow_hosts = ["{upstream.host}"]\nallow_http = true\n'
            f'[http.headers."{upstream.host}"]\nAuthorization = "env:ECHO_TOKEN"\n'
        )
        (root / "p.md").write_text(
            f"#url:{upstream.url('/echo-secret/redirect')}\n"
            f"#url:{upstream.url('/echo-secret/coding')}\n"
        )
        env = {"ECHO_TOKEN": f"Bearer {TOKEN}"}
        count = _run(root, env, "count", "--json", "p.md")
        check = _run(root, env, "check", "p.md")
    assert count.returncode == 0, count.stderr
    shown = (count.stdout + count.stderr + check.stdout + check.stderr).lower()
    assert TOKEN.lower() not in shown  # a host name comes back lower-cased
    errors = [r["error"] for r in json.loads(count.stdout)["files"][0]["references"]]
    assert errors == [
        f"{REDACTED}.example.invalid is not allowed (add it to http.allow_hosts)",
        f"response from {upstream.host}: Content-Encoding '{REDACTED}' is not decoded",
    ]
