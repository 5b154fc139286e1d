"""Settings a service run by the harness gets: the stand-in Bot API's addresses, a free port.

One place for them, so that a test, a benchmark and the demo that start the service (in this
process or as ``main.py serve``) point it at the stand-in the same way.
"""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

from standin import StandinBotAPI

#: The bot token the tests and benchmarks give the service (the stand-in accepts any).
TOKEN = "123456:TEST-token_for-the-standin"


#: ``HARNESS_PORTS=LOW-HIGH``: take :func:`free_port`'s ports from this range. The test suite
#: gives each of its parallel workers its own range below the kernel's ephemeral ports, so that
#: a port one worker picked cannot be handed to the other worker (or to any outgoing
#: connection) before the service it was picked for binds it.
PORTS_ENV = "HARNESS_PORTS"


#: Ports this process handed out: two services started together (the replicas of one test)
#: must not both be given a port neither has bound yet.
_GIVEN: set[int] = set()


def free_port() -> int:
    """A TCP port nothing listens on now and not given out before by this process, for a web
    server or a second stand-in."""
    span = os.environ.get(PORTS_ENV, "")
    if span:
        low, high = (int(part) for part in span.split("-", 1))
        for _ in range(200):
            port = random.randint(low, high)
            if port in _GIVEN:
                continue
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue  # in use, or lingering from an earlier test: another one
                _GIVEN.add(port)
                return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def standin_env(standin: StandinBotAPI, token: str = TOKEN) -> dict[str, str]:
    """Telegram settings that send every Bot API call to ``standin``, unthrottled (the stand-in
    does not throttle; the limiter is tested on its own)."""
    return {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": standin.bot_api_url,
        "TELEGRAM_API_FILE_URL": standin.file_url,
        "TELEGRAM_RATE_GLOBAL": "0",
        "TELEGRAM_RATE_PER_CHAT": "0",
    }


def service_env(
    standin: StandinBotAPI, data_dir: Path, database_url: str | None = None
) -> dict[str, str]:
    """The environment of a service under test: its data in ``data_dir``, Telegram at the
    stand-in, and no statutes imported per start (the tests and benchmarks are about the
    conversation, not the laws). Staff alerts have no quiet hours: a run at any hour of the
    day sees the same messages (a test of the quiet hours sets ``STAFF_QUIET_HOURS``)."""
    env = {
        "DATA_DIR": str(data_dir),
        **standin_env(standin),
        "KB_ENABLED": "0",
        "STAFF_QUIET_HOURS": "off",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return env
