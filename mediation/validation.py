"""Validation of what parties type: names, phone numbers, ID numbers, amounts, free text.

Each validator returns the cleaned value or raises :class:`InvalidInput` carrying a catalog key,
so that the adapter can explain the problem in the user's language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from mediation import ethnicity


@dataclass
class InvalidInput(Exception):
    """``key`` is a message-catalog key; ``params`` fill its placeholders."""

    key: str
    params: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.key} {self.params}"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
# Name: Chinese characters (incl. the middle dot of minority names), or Latin letters.
_NAME_RE = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff·•]{2,20}$|^[A-Za-z][A-Za-z .'-]{1,59}$")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_INTL = re.compile(r"^\+\d{8,15}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def clean_text(text: str, *, max_len: int, min_len: int = 1) -> str:
    """Normalise (NFC), drop control/bidi characters, collapse blank runs, enforce length."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text).replace("\u2011", "-").strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    if len(text) < min_len:
        raise InvalidInput("error.too_short", {"min": min_len})
    if len(text) > max_len:
        raise InvalidInput("error.too_long", {"max": max_len, "length": len(text)})
    return text


def clean_name(text: str) -> str:
    name = clean_text(text, max_len=60)
    name = re.sub(r"\s+", " ", name)
    if not _NAME_RE.match(name):
        raise InvalidInput("error.bad_name")
    return name


def normalise_phone(text: str) -> str:
    """Mainland mobile numbers as 11 digits; others in E.164 (+…).

    Accepts spaces, dashes and a +86/0086 prefix, as people type them.
    """
    raw = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", text.strip()))
    if raw.startswith("0086"):
        raw = "+86" + raw[4:]
    if raw.startswith("+86"):
        raw = raw[3:]
    elif raw.startswith("86") and len(raw) == 13:
        raw = raw[2:]
    if _CN_MOBILE.match(raw):
        return raw
    if _INTL.match(raw):
        return raw
    if raw.isdigit() and len(raw) > 11 and not raw.startswith("1"):
        # Telegram shares contacts without "+": 447700900123 → +447700900123.
        candidate = "+" + raw
        if _INTL.match(candidate):
            return candidate
    raise InvalidInput("error.bad_phone")


def id_check_digit(first17: str) -> str:
    """GB 11643: ISO 7064 MOD 11-2 check character of a resident ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(text: str, *, today: date | None = None) -> str:
    """An 18-character 居民身份证号码: digits, check character, real birth date."""
    value = unicodedata.normalize("NFKC", text).strip().replace(" ", "").upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise InvalidInput("error.bad_id_format")
    if id_check_digit(value[:17]) != value[17]:
        raise InvalidInput("error.bad_id_checksum")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidInput("error.bad_id_birthdate") from exc
    if born.year < 1900 or born > (today or date.today()):
        raise InvalidInput("error.bad_id_birthdate")
    return value


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}


def _chinese_number(text: str) -> Decimal:
    """Chinese numerals, including the spoken shorthand 一万二 = 12000, 三千五 = 3500."""
    total, section, digit = 0, 0, 0
    last_unit, after_zero = 0, False
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
            after_zero = after_zero or digit == 0
        elif ch in ("十", "百", "千"):
            section += (digit or 1) * _CN_UNITS[ch]
            digit, last_unit, after_zero = 0, _CN_UNITS[ch], False
        elif ch in ("万", "亿"):
            total = (total + section + digit) * _CN_UNITS[ch]
            section = digit = 0
            last_unit, after_zero = _CN_UNITS[ch], False
        else:
            raise InvalidInput("error.bad_amount")
    if digit and last_unit >= 100 and not after_zero and text[-1] in _CN_DIGITS:
        digit *= last_unit // 10  # a bare trailing digit counts in the next lower unit
    return Decimal(total + section + digit)


def parse_amount(text: str) -> Decimal:
    """Money as people type it: ``12000``, ``1.2万``, ``12,000元``, ``一万二千``, ``￥800``."""
    raw = unicodedata.normalize("NFKC", text).strip()
    raw = re.sub(r"[,\s]", "", raw)
    raw = re.sub(r"^(?:[￥¥]|人民币|RMB|CNY)", "", raw, flags=re.IGNORECASE)
    raw = re.sub(r"(?:元整?|块钱?|RMB|CNY)$", "", raw, flags=re.IGNORECASE)
    multiplier = Decimal(1)
    if raw.endswith("万") and re.fullmatch(r"[\d.]+万", raw):
        multiplier, raw = Decimal(10_000), raw[:-1]
    try:
        value = Decimal(raw) * multiplier if re.fullmatch(r"\d+(\.\d+)?", raw) else None
    except InvalidOperation:
        value = None
    if value is None:
        value = _chinese_number(raw) if raw else None
    if value is None or value <= 0:
        raise InvalidInput("error.bad_amount")
    if value > Decimal("100000000000"):
        raise InvalidInput("error.amount_too_large")
    return value.quantize(Decimal("0.01"))


#: GB 32100-2015 统一社会信用代码: the 31 characters it uses (no I, O, S, V, Z) and the weights
#: of the first 17 positions; the 18th is the check character.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check(first17: str) -> str:
    """GB 32100-2015: the check character, 31 − (Σ value × weight mod 31) (31 becomes 0)."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def validate_credit_code(text: str) -> str:
    """An organisation's 18-character 统一社会信用代码, as typed (spaces, lower case, full width
    allowed), with its check character verified: a court files the organisation under it, so a
    mistyped code would make the application name nobody."""
    value = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    if len(value) != 18 or any(c not in _USCC_CHARS for c in value):
        raise InvalidInput("error.bad_credit_code_format")
    if credit_code_check(value[:17]) != value[17]:
        raise InvalidInput("error.bad_credit_code_checksum")
    return value


def parse_age(text: str) -> int:
    """An age as stated ("16", "16岁"; digits only), 0–130: used to tell a
    minor (民法典 第十七条) when no ID number is known."""
    raw = (
        unicodedata.normalize("NFKC", text).strip().removesuffix("周岁").removesuffix("岁").strip()
    )
    if not raw.isdigit() or not 0 <= int(raw) <= 130:
        raise InvalidInput("error.bad_age")
    return int(raw)


def parse_ethnicity(text: str) -> str:
    """民族 as one of the 56 standard names (GB/T 3304, ``mediation.ethnicity``); free text
    that names none of them is refused rather than printed on a court-facing paper."""
    found = ethnicity.match(text)
    if found is None:
        raise InvalidInput("error.bad_ethnicity")
    return found


def parse_gender(text: str) -> str:
    """性别 as documents print it: 男 or 女 (also typed 男性/女性, M/F, male/female)."""
    raw = unicodedata.normalize("NFKC", text).strip().casefold().removesuffix("性")
    found = {"男": "男", "m": "男", "male": "男", "女": "女", "f": "女", "female": "女"}.get(raw)
    if found is None:
        raise InvalidInput("error.bad_gender")
    return found
