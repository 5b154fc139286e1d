"""Dates, times and small counts as Chinese documents write them.

Contexts carry ISO strings (``2026-11-27``, ``2026-11-27T14:30``) because they come from JSON and
the database; documents print ``2026年11月27日`` and ``14时30分``. A value that is not ISO is
printed as given: mediators sometimes write "2026年12月底前", which is a valid deadline.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

__all__ = ["add_days", "cn_count", "cn_date", "cn_datetime"]

_DIGITS = "〇一二三四五六七八九"


def _parse(value: str | date) -> date | datetime | None:
    if isinstance(value, date):
        return value
    text = value.strip()
    for parser in (date.fromisoformat, datetime.fromisoformat):
        try:
            return parser(text)
        except ValueError:
            continue
    return None


def cn_date(value: str | date) -> str:
    """``2026-11-27`` → ``2026年11月27日``; non-ISO text is returned unchanged."""
    parsed = _parse(value)
    if parsed is None:
        return str(value)
    return f"{parsed.year}年{parsed.month}月{parsed.day}日"


def cn_datetime(value: str | date) -> str:
    """``2026-11-27T14:30`` → ``2026年11月27日14时30分``; a bare date prints as :func:`cn_date`."""
    parsed = _parse(value)
    if parsed is None:
        return str(value)
    if not isinstance(parsed, datetime):
        return cn_date(parsed)
    return f"{cn_date(parsed)}{parsed.hour}时{parsed.minute:02d}分"


def add_days(value: str | date, days: int) -> str:
    """ISO date ``days`` after ``value`` (e.g. the 30-day 司法确认 window); '' if not ISO."""
    parsed = _parse(value)
    if parsed is None:
        return ""
    day = parsed.date() if isinstance(parsed, datetime) else parsed
    return (day + timedelta(days=days)).isoformat()


def cn_count(value: int | str) -> str:
    """Small counts in lowercase numerals, as in 一式三份: 3 → 三, 12 → 十二, 20 → 二十."""
    number = int(value)
    if not 0 <= number < 100:
        return str(number)
    tens, ones = divmod(number, 10)
    if tens == 0:
        return "零" if ones == 0 else _DIGITS[ones]
    head = "" if tens == 1 else _DIGITS[tens]
    return f"{head}十{_DIGITS[ones] if ones else ''}"
