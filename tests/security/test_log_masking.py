"""Exception tracebacks are masked like log messages (core.logs).

The real logging set-up (``configure_logging``) writes to a captured stderr; exceptions carry
phone and ID numbers in their text, in a ``repr`` of local data, in a chained cause, and in
grouped spellings. The output keeps the traceback (type, frames) and none of the numbers.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from core.logs import configure_logging
from tests.e2e.test_intake import ID

PHONE, GROUPED = "13812345678", "139 8765 4321"
SECRETS = (PHONE, GROUPED, "13987654321", ID, ID[:10])


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """What the service's log handler writes (``configure_logging``, at DEBUG)."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging("DEBUG", stream)
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def _parse(answers: dict[str, str]) -> int:
    phone = answers["phone"]
    raise ValueError(f"not a phone number: {phone!r} in {answers!r}")


def _clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def test_exception_text_and_local_repr_are_masked(output: io.StringIO) -> None:
    log = logging.getLogger("services.test")
    answers = {"phone": PHONE, "other_phone": GROUPED, "id_number": ID}
    try:
        _parse(answers)
    except ValueError:
        log.exception("intake step failed for %s", answers)
    err = output.getvalue()
    assert "Traceback (most recent call last)" in err and "ValueError: not a phone" in err
    assert "_parse" in err and "138******78" in err  # the frames and a masked number remain
    _clean(err)


def test_chained_causes_and_exc_info_argument_are_masked(output: io.StringIO) -> None:
    log = logging.getLogger("bot.test")
    try:
        try:
            {"id_number": ID}["phone"]
        except KeyError as exc:
            raise RuntimeError(f"lookup of {GROUPED} failed") from exc
    except RuntimeError as exc:
        log.error("handling update %s failed", 7, exc_info=exc)
        log.warning("again", exc_info=True, stack_info=True)
    err = output.getvalue()
    assert "KeyError" in err and "direct cause" in err and "Stack (most recent call last)" in err
    _clean(err)


def test_libraries_that_dump_payloads_stay_quiet(output: io.StringIO) -> None:
    """PTB logs whole updates at DEBUG (a typed address cannot be masked by pattern)."""
    logging.getLogger("telegram.ext.ExtBot").debug("update {'text': '西郊路88号3单元502室'}")
    logging.getLogger("aiosqlite").debug("executing INSERT ... ('西郊路88号',)")
    logging.getLogger("services.ours").debug("our own debug line")
    err = output.getvalue()
    assert "西郊路" not in err and "our own debug line" in err


def test_a_failing_handler_reports_its_error_masked(
    output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    """``handleError`` prints the original exception as context: masked as well."""
    output.close()  # the stream breaks (a closed pipe, a full disk)
    try:
        raise ValueError(f"bad {PHONE} / {ID}")
    except ValueError:
        logging.getLogger("services.test").exception("failed for %s", GROUPED)
    err = capsys.readouterr().err
    assert "--- Logging error ---" in err and "I/O operation on closed file" in err
    _clean(err)
