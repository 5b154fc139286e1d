"""Chinese numerals and article numbers (第一千零八十四条之一 ↔ 1084, suffix 1).

Why our own: citations arrive written every way people write them (一千零八十四, 一〇八四,
1084, 两百, 十), and the article number is the join key between a citation and the database.
"""

from __future__ import annotations

import re

_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_DIGITS = "零一二三四五六七八九"

#: Characters that may form a number in a citation (Chinese or Arabic, incl. full-width).
NUMBER_CHARS = "零〇○一二两三四五六七八九十百千万0-9０-９"

_ARTICLE_NO_RE = re.compile(rf"^第\s*([{NUMBER_CHARS}]+)\s*条(?:之([{NUMBER_CHARS}]+))?$")


def cn_to_int(text: str) -> int | None:
    """Parse a Chinese or Arabic numeral; ``None`` when it is not one.

    Accepts positional forms (一〇八四) as well as the usual ones (一千零八十四, 十二, 两百).
    """
    s = text.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if all(ch in _DIGITS for ch in s):
        # Positional digits: 一〇八四 = 1084.
        if len(s) == 1:
            return _DIGITS[s]
        return int("".join(str(_DIGITS[ch]) for ch in s))
    total = 0
    section = 0
    digit: int | None = None
    for ch in s:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            section += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
        elif ch == "万":
            total += (section + (digit or 0)) * 10000
            section = 0
            digit = None
        else:
            return None
    return total + section + (digit or 0)


def int_to_cn(number: int) -> str:
    """Write ``number`` (0 ≤ n < 100000) as the law writes it: 1084 → 一千零八十四, 10 → 十."""
    if number < 0 or number >= 100000:
        raise ValueError(f"out of range: {number}")
    if number == 0:
        return "零"
    parts: list[str] = []
    units = [(10000, "万"), (1000, "千"), (100, "百"), (10, "十"), (1, "")]
    pending_zero = False
    started = False
    for value, name in units:
        digit = (number // value) % 10
        if digit == 0:
            if started:
                pending_zero = True
            continue
        if pending_zero:
            parts.append("零")
            pending_zero = False
        if not (value == 10 and digit == 1 and not started):
            parts.append(_CN_DIGITS[digit])
        parts.append(name)
        started = True
    return "".join(parts)


def format_article_no(number: int, suffix: int = 0) -> str:
    """第一千零八十四条, or 第一百二十条之一 when ``suffix`` is 1."""
    base = f"第{int_to_cn(number)}条"
    return f"{base}之{int_to_cn(suffix)}" if suffix else base


def parse_article_no(text: str) -> tuple[int, int] | None:
    """``第一千零八十四条之一`` → ``(1084, 1)``; ``None`` if it is not an article number."""
    match = _ARTICLE_NO_RE.match(text.strip())
    if match is None:
        return None
    number = cn_to_int(match.group(1))
    if number is None:
        return None
    suffix = cn_to_int(match.group(2)) if match.group(2) else 0
    if suffix is None:
        return None
    return number, suffix
