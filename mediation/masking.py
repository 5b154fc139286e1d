"""Masking of personal data for lists, logs and people who may not see it in full."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_phone(phone: str | None) -> str:
    """``13812345678`` → ``138****5678``; short or odd values keep only the last 2 characters."""
    if not phone:
        return ""
    digits = phone.replace(" ", "")
    if len(digits) >= 11:
        return digits[:-8] + "****" + digits[-4:]
    if len(digits) <= 2:
        return "*" * len(digits)
    return "*" * (len(digits) - 2) + digits[-2:]


def mask_id_number(id_number: str | None) -> str:
    """``110101199003077777`` → ``110***********7777`` (region prefix and last 4 kept)."""
    if not id_number:
        return ""
    if len(id_number) <= 7:
        return "*" * len(id_number)
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:]


def mask_name(name: str | None) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``, ``Alice Smith`` → ``A**** S****``."""
    if not name:
        return ""
    if name.isascii():
        return " ".join(w[:1] + "*" * (len(w) - 1) for w in name.split())
    return name[0] + "*" * (len(name) - 1)


def mask_address(address: str | None, keep: int = 6) -> str:
    """Keep the first characters (district/street level), hide the rest."""
    if not address:
        return ""
    if len(address) <= keep:
        return address[:2] + "*" * max(0, len(address) - 2)
    return address[:keep] + "*" * min(8, len(address) - keep)


#: Phone and ID numbers as people type them, in groups: ``138 1234 5678``, ``138-1234-5678``,
#: ``+86 138 1234 5678``, ``110105 19491231 0021``.
#: Also dots (``138.1234.5678``) and any single separator between digits
#: (``1 3 8 1 2 3 4 5 6 7 8``): issue 21 found such spellings reaching staff whole.
_GROUPED = re.compile(
    r"(?<![\d+])(?:\+?86[ .-]?)?1\d{2}[ .-]\d{4}[ .-]\d{4}(?!\d)"
    r"|(?<!\d)\d{6}[ .-]\d{8}[ .-]\d{3}[\dXx](?!\d)"
    r"|(?<![\d+])\+?\d(?:[ .-]?\d){10,}(?![\d])"
)


def _hide(match: re.Match[str]) -> str:
    value = match.group(0)
    return value[:3] + "".join("*" if c.isalnum() else c for c in value[3:-2]) + value[-2:]


def scrub_digits(text: str) -> str:
    """Hide long digit runs (phones, ID numbers) in free text before it reaches a log.

    Also the grouped spellings (spaces or hyphens between the groups), which a digit-run
    pattern alone misses.
    """
    text = _GROUPED.sub(_hide, text)
    return re.sub(
        r"\d{7,}[\dXx]?",
        lambda m: m.group(0)[:3] + "*" * (len(m.group(0)) - 5) + m.group(0)[-2:],
        text,
    )
