"""core.allocator: applied once at start, and an operator's own glibc tunables win."""

from __future__ import annotations

import os
import subprocess
import sys


def _run(env_extra: dict[str, str]) -> str:
    code = "from core.allocator import keep_large_blocks_apart as k; print(k())"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(env_extra)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return done.stdout.strip()


def test_the_policy_is_applied_on_glibc() -> None:
    assert _run({}) == "True"


def test_an_operators_own_malloc_tunable_wins() -> None:
    assert _run({"MALLOC_MMAP_THRESHOLD_": "131072"}) == "False"
    assert _run({"MALLOC_TRIM_THRESHOLD_": "131072"}) == "False"
