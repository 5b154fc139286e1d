"""Fault injection for crash tests: die abruptly at a named point, like ``kill -9`` would.

Set ``MEDIATION_FAULT=<point>`` in a process's environment and it exits with status 137 the
first time it reaches that point. Production never sets it; the crash tests do, so that a
crash between two exact steps is reproducible instead of a matter of timing.
"""

from __future__ import annotations

import os

POINTS = ("after_inbox_accept", "before_send", "after_send_before_mark")


def crash_point(name: str) -> None:
    if os.environ.get("MEDIATION_FAULT") == name:
        os._exit(137)
