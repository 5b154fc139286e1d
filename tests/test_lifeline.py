"""Pool workers end with the service: a service killed with SIGKILL leaves no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

CHILD = textwrap.dedent(
    """
    import multiprocessing, os, sys, time
    from concurrent.futures import ProcessPoolExecutor
    sys.path.insert(0, {root!r})
    from core.lifeline import die_with_parent

    if __name__ == "__main__":
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=die_with_parent if {arm} else None,
            initargs=(os.getpid(),) if {arm} else (),
        )
        print(pool.submit(os.getpid).result(timeout=60), flush=True)
        time.sleep(600)
    """
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead, only not yet reaped
        return stat.read().split(") ")[1][0] != "Z"


def worker_of_killed_parent(tmp_path: Path, arm: bool) -> int:
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(root=os.getcwd(), arm=arm))
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    worker = int(child.stdout.readline())
    assert alive(worker)
    child.send_signal(signal.SIGKILL)
    child.wait()
    return worker


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux only")
def test_a_worker_dies_with_its_killed_parent(tmp_path: Path) -> None:
    worker = worker_of_killed_parent(tmp_path, arm=True)
    deadline = time.monotonic() + 10
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(worker)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux only")
def test_without_the_lifeline_the_worker_is_orphaned(tmp_path: Path) -> None:
    """The control: the same pool without it outlives its parent (what the suite used to leave)."""
    worker = worker_of_killed_parent(tmp_path, arm=False)
    try:
        time.sleep(1)
        assert alive(worker)
    finally:
        os.kill(worker, signal.SIGKILL)
