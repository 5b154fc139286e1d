"""Logging set-up: personal data never reaches a log line.

Phone and ID numbers (long digit runs, and the grouped spellings ``138 1234 5678``) are masked
in every record by a filter on the root handler, whatever code produced the message — and in
the traceback of ``log.exception`` too: an exception's text often repeats its input (``invalid
phone '13812345678'``, a ``KeyError`` showing a dict), and the formatted traceback is a
separate part of the record that a message filter alone never sees. The formatter scrubs its
whole output as a last line of defence (a handler's formatter may render the traceback itself).

Free text (an address, a name) cannot be recognised by pattern. It reaches logs only where a
library dumps whole payloads: PTB's ``ExtBot`` logs every update and every request's arguments
at DEBUG, aiosqlite logs every statement with its bound values. Those loggers are held at
WARNING even when ``LOG_LEVEL=DEBUG``; our own code logs ids and kinds, not what people typed.
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import TextIO

from mediation.masking import scrub_digits

#: Libraries whose DEBUG output carries message texts or SQL parameters (see above), and
#: per-request chatter.
QUIET = (
    "httpx",
    "telegram.ext.Application",
    "telegram.ext.ExtBot",
    "telegram.Bot",
    "aiosqlite",
    "aiohttp.access",
    "alembic",
)


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = None
        if message is not None:
            scrubbed = scrub_digits(message)
            if scrubbed != message:
                record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            # Rendered here once and cached on the record: every formatter uses exc_text.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_digits(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_digits(record.stack_info)
        return True


class ScrubFormatter(logging.Formatter):
    """Scrubs the complete line (message, traceback, stack) after formatting."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub_digits(super().format(record))


class ScrubHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler whose own failure report is masked too.

    ``logging.Handler.handleError`` prints the failing record's message and, as the context of
    the handling error, the original exception's traceback — in clear.
    """

    def handleError(self, record: logging.LogRecord) -> None:
        if not logging.raiseExceptions or sys.stderr is None:
            return
        try:
            report = "".join(traceback.format_exc())
            sys.stderr.write(scrub_digits(f"--- Logging error ---\n{report}"))
        except Exception:
            pass


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    handler = ScrubHandler(stream)
    handler.setFormatter(ScrubFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
