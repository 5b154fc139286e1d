"""Worker processes end with the process that started them.

The render pool and the speech worker are ``spawn``-ed children. When the service dies without
closing them (kill -9, the OOM killer, a crashed test harness) they were re-parented to init and
lived on, idle, ~120 MB each: the test suite's kill -9 runs left dozens. Linux can deliver a
signal to a child when its parent dies (``prctl(PR_SET_PDEATHSIG)``); elsewhere this is a no-op
and an orphan exits when its parent's pipes close at its next task.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None = None) -> bool:
    """Ask the kernel to SIGKILL this process when its parent exits; True when arranged.

    ``parent_pid`` closes the race where the parent died before the call: then exit at once.
    """
    if not sys.platform.startswith("linux"):
        return False
    path = ctypes.util.find_library("c")
    if path is None:
        return False
    try:
        libc = ctypes.CDLL(path, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(0)
    return True
