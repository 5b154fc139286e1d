"""Logging set-up: personal data never reaches a log line.

Phone and ID numbers (long digit runs) are masked in every record by a filter on the root
handler, whatever code produced the message.
"""

from __future__ import annotations

import logging

from mediation.masking import scrub_digits


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        scrubbed = scrub_digits(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Quiet the libraries' per-request chatter.
    for name in ("httpx", "telegram.ext.Application", "aiohttp.access", "alembic"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
