"""A repository's config is untrusted: it shapes counts, never leaks secrets or reaches out."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tokenls.config import Settings, load_config_for
from tokenls.lsp.session import Session

SECRET = "s3cr3t-value-that-must-not-leave"


class Recorder:
    """A loopback HTTP server that keeps every request's headers."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                recorder.seen.append(dict(self.headers.items()))
                body = b"fetched body words\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _hostile_repo(root: Path, host: str) -> Path:
    (root / ".git").mkdir(parents=True)
    (root / "tokenls.toml").write_text(
        "budget = 1000\n"
        f'[http]\nallow_hosts = ["{host}"]\nallow_http = true\nallow_private_hosts = ["{host}"]\n'
        f'[http.headers."{host}"]\nX-Steal = "env:FAKE_CI_SECRET"\nX-Plain = "literal"\n'
    )
    (root / "p.md").write_text(f"Context: #url:http://{host}/doc\n")
    return root


def _check(root: Path, user_config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAKE_CI_SECRET": SECRET, "TOKENLS_CONFIG": str(user_config)}
    return subprocess.run(
        [sys.executable, "-m", "tokenls", "check", "."],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_repository_config_cannot_send_an_environment_secret(
    tmp_path: Path, recorder: Recorder, user_config: Path
) -> None:
    # The user allows the host, so the request does go out: without the secret.
    user_config.write_text(f'[http]\nallow_hosts = ["{recorder.host}"]\nallow_http = true\n')
    root = _hostile_repo(tmp_path / "repo", recorder.host)
    result = _check(root, user_config)
    assert result.returncode == 0, result.stderr
    assert len(recorder.seen) == 1
    assert SECRET not in repr(recorder.seen)
    assert recorder.seen[0].get("X-Plain") == "literal"  # literal headers are not secrets
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    [steal] = [line for line in warnings if "X-Steal" in line]  # one warning for the key
    assert str(root / "tokenls.toml") in steal
    assert f'http.headers."{recorder.host}".X-Steal' in steal
    assert [line for line in warnings if "X-Steal" not in line] == [
        line for line in warnings if "http.allow_private_hosts" in line
    ]
    assert SECRET not in result.stderr + result.stdout


def test_repository_config_cannot_widen_network_access(
    tmp_path: Path, recorder: Recorder, user_config: Path
) -> None:
    root = _hostile_repo(tmp_path / "repo", recorder.host)
    result = _check(root, user_config)
    assert result.returncode == 0, result.stderr
    assert recorder.seen == []  # nothing is fetched at all
    for key in ("http.allow_hosts", "http.allow_http", "http.allow_private_hosts", "X-Steal"):
        assert sum(key in line for line in result.stderr.splitlines()) == 1, (key, result.stderr)


def test_the_users_own_config_may_send_an_environment_secret(
    tmp_path: Path, recorder: Recorder, user_config: Path
) -> None:
    user_config.write_text(
        f'[http]\nallow_hosts = ["{recorder.host}"]\nallow_http = true\n'
        f'[http.headers."{recorder.host}"]\nX-Token = "env:FAKE_CI_SECRET"\n'
    )
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "p.md").write_text(f"#url:http://{recorder.host}/doc\n")
    result = _check(root, user_config)
    assert result.returncode == 0, result.stderr
    assert [seen.get("X-Token") for seen in recorder.seen] == [SECRET]
    assert "warning" not in result.stderr


def test_home_files_rate_store_and_outside_cache_need_the_users_config(
    tmp_path: Path, user_config: Path
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "tokenls.toml").write_text(
        'encoding = "cl100k_base"\ncache_dir = "../elsewhere"\n'
        '[files]\nallow_home = true\n[rate]\nstore = "redis://attacker.example:6379/0"\n'
    )
    settings, problems = load_config_for(root / "p.md")
    assert settings.encoding == "cl100k_base"  # what shapes counts is kept
    assert settings.files.allow_home is False
    assert settings.rate.store == "disk"
    assert settings.cache_dir is None
    assert sorted(p.key for p in problems) == ["cache_dir", "files.allow_home", "rate.store"]
    assert all(p.source == str(root / "tokenls.toml") for p in problems)

    user_config.write_text('[files]\nallow_home = true\n[rate]\nstore = "redis://127.0.0.1/0"\n')
    (root / "tokenls.toml").write_text('cache_dir = ".cache/tokenls"\n[files]\nallow_home = true\n')
    settings, problems = load_config_for(root / "p.md")
    assert problems == []
    assert settings.files.allow_home is True and settings.rate.store == "redis://127.0.0.1/0"
    assert settings.cache_dir == str(root / ".cache" / "tokenls")


def test_editor_settings_are_trusted_and_workspace_may_repeat_them(tmp_path: Path) -> None:
    (tmp_path / "tokenls.toml").write_text('[http]\nallow_hosts = ["api.example.com"]\n')
    session = Session()
    session.configure({"http": {"allowHosts": ["api.example.com"]}})
    uri = (tmp_path / "p.md").as_uri()
    doc = session.open(uri, "hi\n", 1)
    assert session.config_problems() == []
    assert doc.settings.http.allow_hosts == ("api.example.com",)
    assert Settings().http.allow_hosts == ()
