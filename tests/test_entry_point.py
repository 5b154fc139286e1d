"""``main.py`` imports the service only when it is run.

Why: the render pool's workers are spawned processes, and a spawned process imports its parent's
main module again under the name ``__mp_main__``. If ``main.py`` imported the app at the top,
every render worker would load every feature, SQLAlchemy and the bot it never uses (measured
180 MB against 72 MB per worker; docs/benchmarks.md, "The restructuring (issue 17): behaviour
and cost, quiet host").
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_AS_A_SPAWNED_WORKER_SEES_IT = """
import runpy, sys
runpy.run_path(sys.argv[1], run_name="__mp_main__")
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"app", "features", "sqlalchemy", "telegram"})
print(" ".join(loaded))
"""


def test_a_spawned_worker_does_not_load_the_service() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", _AS_A_SPAWNED_WORKER_SEES_IT, str(ROOT / "main.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.split()
    assert loaded == []


def test_run_as_a_program_it_still_serves_the_commands() -> None:
    shown = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert "serve" in shown
