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


# --------------------------------------------------------------- numbers typed into the room
#
# What a party types into the mediation room reaches the other side. A mobile number, a
# 居民身份证号码 or a bank card number in it is personal data the other party has no need of
# unless the sender means to share it (issue 19), so the relay shows it masked and the sender
# may choose to send it in full. The rules here find such numbers as people type them and
# leave alone what only looks long: amounts (12000, 12,000.00), dates (2026-12-31, 20261231),
# case numbers (（2026）示调字第0001号), landlines.

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
#: A run of digits (with the separators people type inside one number) not glued to other
#: digits, letters or a decimal point: what might be one number.
_RUN = re.compile(r"(?<![0-9A-Za-z.])\+?\d(?:[ \-]?\d)*[Xx]?(?![0-9A-Za-z]|\.\d)")
#: 1[3-9]x-xxxx-xxxx, optionally after +86 / 86: the shape of a mainland mobile number.
#: A mobile written with dots (138.1234.5678): dots only in this shape, never in a run (a
#: decimal like 3.1415926535897932 is no number of a person).
_DOTTED_MOBILE = re.compile(
    r"(?<![0-9A-Za-z.+])(?:\+?86[ .]?)?1[3-9]\d\.\d{4}\.\d{4}(?![0-9A-Za-z]|\.\d)"
)
_GROUP = re.compile(r"\+?\d+[Xx]?")
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")


def _id_checksum_ok(value: str) -> bool:
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17].upper()


def _plausible_birth(value: str) -> bool:
    """Positions 7–14 of a 居民身份证号码 are the birth date (GB 11643)."""
    year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
    return 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31


def luhn_ok(digits: str) -> bool:
    """The Luhn check bank cards carry (ISO/IEC 7812)."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _kind(compact: str) -> str | None:
    """What a run of digits (separators removed) is, if it is personal: ``phone``, ``id``
    or ``card``; None for anything else."""
    body = compact.lstrip("+")
    shaped_id = len(body) == 18 and body[:17].isdigit() and (body[17].isdigit() or body[17] in "Xx")
    # A checksum that fails is often a typo: a birth date in place still makes it an ID.
    if shaped_id and (_id_checksum_ok(body) or _plausible_birth(body)):
        return "id"
    if not body.isdigit():
        return None
    if 16 <= len(body) <= 19 and luhn_ok(body):
        return "card"
    if _MOBILE.fullmatch(body) and (len(body) == 11 or not compact.startswith("1")):
        return "phone"
    return None


def _masked(kind: str, compact: str) -> str:
    body = compact.lstrip("+")
    if kind == "phone":
        local = body[-11:]
        return local[:3] + "****" + local[-4:]
    return body[:4] + "*" * (len(body) - 8) + body[-4:]


def find_personal_numbers(text: str) -> list[tuple[str, int, int]]:
    """Each personal number in ``text`` as (kind, start, end): mobile phones (``phone``),
    居民身份证号码 (``id``: 18 characters with a valid check character or a birth date in
    place) and bank cards (``card``: 16–19 digits passing the Luhn check).

    A run like ``12000 13912345678 2026`` is tried group by group (longest first), so a
    number typed in groups (``139 1234 5678``) is found whole and its neighbours are not
    swallowed into it."""
    found = []
    for match in _RUN.finditer(text):
        groups = [(g.start(), g.end()) for g in _GROUP.finditer(match.group(0))]
        i = 0
        while i < len(groups):
            # A number has at most 19 digits: a window wider than that never matches.
            for j in range(min(len(groups) - 1, i + 20), i - 1, -1):
                start, end = groups[i][0], groups[j][1]
                kind = _kind(re.sub(r"[ \-]", "", match.group(0)[start:end]))
                if kind is not None:
                    found.append((kind, match.start() + start, match.start() + end))
                    i = j + 1
                    break
            else:
                i += 1
    found += [("phone", m.start(), m.end()) for m in _DOTTED_MOBILE.finditer(text)]
    return sorted(found, key=lambda f: f[1])


def mask_personal_numbers(text: str) -> str:
    """``我电话13912345678`` → ``我电话139****5678``; ID numbers and bank cards keep their first
    and last four digits (``5001**********1234``); everything else is left as typed."""
    out, last = [], 0
    for kind, start, end in find_personal_numbers(text):
        out.append(text[last:start])
        out.append(_masked(kind, re.sub(r"[ .\-]", "", text[start:end])))
        last = end
    out.append(text[last:])
    return "".join(out)
