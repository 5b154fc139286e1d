"""scripts/pip_audit.py: a known vulnerability fails the check; an audit that could look up
nothing warns loudly instead of passing silently; a clean audit passes with a summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.conftest import repo_root


def run_with(tmp_path: Path, report: dict[str, object]) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "pip-audit"
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(report)}\nEOF\nexit 1\n")
    fake.chmod(0o755)
    return subprocess.run(
        [sys.executable, str(repo_root() / "scripts" / "pip_audit.py")],
        env={**os.environ, "PIP_AUDIT": str(fake)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("deps", "code", "needle"),
    [
        (
            [
                {
                    "name": "aiohttp",
                    "version": "3.8.0",
                    "vulns": [{"id": "GHSA-x", "fix_versions": ["3.9.2"]}],
                }
            ],
            1,
            "VULNERABLE aiohttp 3.8.0: GHSA-x (fixed in 3.9.2)",
        ),
        ([{"name": "aiohttp", "version": "3.14.5", "skip_reason": "not found"}], 0, "SKIPPED"),
        (
            [
                {"name": "aiohttp", "version": "3.14.5", "vulns": []},
                {"name": "x", "version": "1", "skip_reason": "not found"},
            ],
            0,
            "1 packages audited, 1 skipped, no known vulnerabilities",
        ),
    ],
)
def test_outcomes(tmp_path: Path, deps: list[object], code: int, needle: str) -> None:
    done = run_with(tmp_path, {"dependencies": deps, "fixes": []})
    assert done.returncode == code
    assert needle in done.stdout + done.stderr
