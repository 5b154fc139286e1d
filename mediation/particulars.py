"""A party's own particulars (基本情况) as the papers print them, and how a typed answer reads.

人民调解申请书: for the applicant and the respondent 姓名、性别、民族、年龄、职业或职务、联系方式、
单位或住址; 人民调解协议书 the same for a natural person (人民调解法 第二十九条（一）); an
organisation gives its 住所地 and phone (shared legal notes, documents 1 and 5). The intake used
to ask none of them but the phone, so a 申请书 came out with neither 住址 nor 民族. Each party now
gives their own (``services.particulars``): the applicant after filing, the respondent on
joining, anyone the mediator asks before the papers are made. The 公民身份号码 gives sex and
birth date (GB 11643), so with one on record those two are not asked.

Pure rules: which details are still missing, and each answer read or refused with a message key.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from mediation.agreement import iso_date_or_text
from mediation.validation import (
    InvalidInput,
    clean_text,
    normalise_phone,
    parse_age,
    parse_ethnicity,
    parse_gender,
)


class Field(StrEnum):
    GENDER = "gender"
    BIRTH = "birth"  # 出生日期, or the age as stated
    ETHNICITY = "ethnicity"
    OCCUPATION = "occupation"
    ADDRESS = "address"
    PHONE = "phone"


@dataclass(frozen=True)
class Known:
    """Which particulars a party's record holds (values are not needed to decide)."""

    is_org: bool = False
    id_number: bool = False
    gender: bool = False
    birth: bool = False
    ethnicity: bool = False
    occupation: bool = False
    address: bool = False
    phone: bool = False


def needed(known: Known) -> tuple[Field, ...]:
    """What the 申请书 and the 协议书 print for this party, in the order asked."""
    if known.is_org:
        return (Field.ADDRESS, Field.PHONE)
    by_id = () if known.id_number else (Field.GENDER, Field.BIRTH)
    return (*by_id, Field.ETHNICITY, Field.OCCUPATION, Field.ADDRESS, Field.PHONE)


def missing(known: Known) -> tuple[Field, ...]:
    """The details still empty, in the order asked."""
    return tuple(f for f in needed(known) if not getattr(known, f.value))


#: The earliest birth year taken (a typo such as 1085 is refused, not printed).
EARLIEST_BIRTH_YEAR = 1900
ADDRESS_LIMITS = (6, 200)
OCCUPATION_MAX = 50
#: Blanks between Chinese characters, digits and the usual address words are typing, not
#: content: "民生路 88号 3单元" is printed "民生路88号3单元"; between Latin words they stay.
_CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef0-9]"
_INNER_BLANKS = re.compile(rf"(?<={_CJK})\s+|\s+(?={_CJK})")


def read(field: Field, text: str, today: date) -> dict[str, Any]:
    """The record's columns an answer sets (``gender``, ``birth_date`` or ``stated_age``,
    ``ethnicity``, ``occupation``, ``address``, ``phone``); :class:`InvalidInput` with a key
    the person reads when it cannot be taken."""
    if field is Field.GENDER:
        return {"gender": parse_gender(text)}
    if field is Field.BIRTH:
        return _birth(text, today)
    if field is Field.ETHNICITY:
        return {"ethnicity": parse_ethnicity(text)}
    if field is Field.OCCUPATION:
        value = clean_text(text, max_len=OCCUPATION_MAX)
        if not any(ch.isalpha() for ch in value):
            raise InvalidInput("particulars.bad_occupation")
        return {"occupation": value}
    if field is Field.ADDRESS:
        return {"address": address(text)}
    return {"phone": normalise_phone(text)}


def address(text: str) -> str:
    """单位或住址 as typed, blanks between Chinese words dropped; too short to find anyone by
    (a bare "渝中区") is refused with an example."""
    low, high = ADDRESS_LIMITS
    value = _INNER_BLANKS.sub("", clean_text(text, max_len=high))
    value = re.sub(r"[ \t]{2,}", " ", value).replace("\n", "")
    if len(value) < low or not any(ch.isalpha() for ch in value):
        raise InvalidInput("particulars.bad_address")
    return value


def _birth(text: str, today: date) -> dict[str, Any]:
    """出生日期 (1985-03-02, 1985年3月2日, 1985.3.2, 19850302) or the age (39, 39岁)."""
    raw = unicodedata.normalize("NFKC", text).strip()
    compact = "".join(raw.split())
    if re.fullmatch(r"\d{8}", compact):
        compact = f"{compact[:4]}-{compact[4:6]}-{compact[6:]}"
    iso = iso_date_or_text(compact)
    if iso != compact or re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", compact):
        try:
            born = date.fromisoformat(iso)
        except ValueError:
            raise InvalidInput("particulars.bad_birth") from None
        if born > today or born.year < EARLIEST_BIRTH_YEAR:
            raise InvalidInput("particulars.bad_birth")
        return {"birth_date": born.isoformat(), "stated_age": None}
    try:
        return {"stated_age": parse_age(compact), "birth_date": None}
    except InvalidInput:
        raise InvalidInput("particulars.bad_birth") from None
