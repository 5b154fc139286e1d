"""``python main.py serve`` as a child process: for crash tests (SIGKILL), replicas and the
throughput benchmarks, where the service must be a process of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

#: The checkout: ``main.py`` lives here.
ROOT = Path(__file__).resolve().parents[1]


class ServiceProcess:
    """The service as a child process, its output appended to ``log_path``."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "serve"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
