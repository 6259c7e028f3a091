"""Three ``tokenls count`` processes against a server that rejects any request closer than
the configured spacing to the one before: the shared tracker must never let that happen,
and must not be much slower than the spacing allows."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from tests.http_fixture import Upstream
from tests.reliability.processes import count_in_processes

PROCESSES = 3
URLS_EACH = 12
SPACING_MS = 150


@pytest.mark.e2e
def test_three_processes_keep_the_configured_spacing(tmp_path: Path) -> None:
    with Upstream(spacing_s=SPACING_MS / 1000) as upstream:
        work = tmp_path / "ws"
        (work / ".git").mkdir(parents=True)
        # Network access is the user's to allow; the workspace sets the spacing.
        Path(os.environ["TOKENLS_CONFIG"]).write_text(
            f'[http]\nallow_hosts = ["{upstream.host}"]\nallow_http = true\n'
        )
        (work / "tokenls.toml").write_text(f"[rate]\nmin_interval_ms = {SPACING_MS}\n")
        for p in range(PROCESSES):
            (work / f"p{p}.prompt.md").write_text(
                "".join(f"- #url:{upstream.url(f'/spaced/{p}-{i}')}\n" for i in range(URLS_EACH))
            )
        prompts = [f"p{p}.prompt.md" for p in range(PROCESSES)]
        for entry in count_in_processes(work, tmp_path / "cache", prompts):
            assert [r["status"] for r in entry["references"]] == ["ok"] * URLS_EACH
        arrivals = upstream.arrivals
        gaps = [b - a for a, b in itertools.pairwise(arrivals)]
        span = arrivals[-1] - arrivals[0]
        allowed = (len(arrivals) - 1) * SPACING_MS / 1000
        print(
            f"spacing: {len(arrivals)} requests from {PROCESSES} processes, "
            f"{upstream.spacing_rejections} rejected, smallest gap {min(gaps) * 1000:.0f} ms, "
            f"span {span:.2f} s vs {allowed:.2f} s the spacing allows ({span / allowed:.2f}x)"
        )
        assert upstream.spacing_rejections == 0
        assert len(arrivals) == PROCESSES * URLS_EACH
        assert span <= 1.5 * allowed
