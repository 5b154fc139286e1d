"""What the court-facing papers say of each party, asked for during the draft.

民诉法解释 第三百五十四条: an application for 司法确认 gives both parties' identity, domicile and
contacts, and a court identifies a party by them; the 协议书 states the parties' basic details
(人民调解法 第二十九条（一）). So before the terms, the draft asks for whatever of these a bound
party's record lacks: for a person the 公民身份号码 (which gives sex and birth date), 民族,
住所 and 联系电话; for an organisation its 住所地 and 联系电话 (its code, 法定代表人 and seal are
recorded on the parties panel, ``party_setup``).
"""

from __future__ import annotations

from datetime import date

from core import crypto
from features.agreements.contexts import PartyInfo
from mediation.parties import SigningPlan
from mediation.replies import Button, Msg, Reply
from mediation.validation import clean_text, normalise_phone, parse_gender, validate_id_number
from storage.models import CaseParty


def bound(parties: list[PartyInfo], plan: SigningPlan) -> list[PartyInfo]:
    """The parties the agreement binds (absent ones are named, not identified in full)."""
    return [p for p in parties if plan.seat_of(p.party_id) is not None]


#: What the court-facing papers print for each party (民诉法解释 第三百五十四条), asked in order.
PERSON_FIELDS = ("id_number", "ethnicity", "address", "phone")
ORG_FIELDS = ("address", "phone")


def lacking(parties: list[PartyInfo], plan: SigningPlan) -> tuple[PartyInfo, str] | None:
    """The first bound party and field still empty, in the order the papers print them."""
    for p in bound(parties, plan):
        for name in ORG_FIELDS if p.is_org else PERSON_FIELDS:
            if name == "id_number" and no_id_yet(p):
                if not p.gender:  # otherwise the number gives it
                    return p, "gender"
                continue
            if not getattr(p, name):
                return p, name
    return None


def no_id_yet(p: PartyInfo) -> bool:
    """居民身份证法 第二条: a citizen under sixteen *may* have an ID card, so a child whose age was
    stated (and is under sixteen) may be identified without a number: the papers print the age."""
    return not p.id_number and p.stated_age is not None and p.stated_age < ID_CARD_AGE


#: 居民身份证法 第二条: from sixteen a citizen must apply for an ID card.
ID_CARD_AGE = 16


def prompt(p: PartyInfo, name: str, cancel: tuple[Button, ...]) -> Reply:
    key = "agreements.ask_address" if name == "address" else f"agreements.ask_party_{name}"
    return Reply(Msg(key, {"label": p.label, "name": p.name}), buttons=(cancel,))


def set_field(party: CaseParty, name: str, text: str, today: date) -> None:
    """One identity field as typed, validated; the ID number gives sex and birth date."""
    if name == "id_number":
        party.id_number = validate_id_number(text, today=today)
        party.gender = "男" if int(party.id_number[16]) % 2 else "女"
        party.birth_date = (
            f"{party.id_number[6:10]}-{party.id_number[10:12]}-{party.id_number[12:14]}"
        )
    elif name == "gender":
        party.gender = parse_gender(text)
    elif name == "ethnicity":
        party.ethnicity = clean_text(text, max_len=12, min_len=2)
    elif name == "phone":
        party.phone = normalise_phone(text)
        party.phone_hash = party.phone_hash or crypto.blind_index(party.phone)
    else:
        party.address = clean_text(text, max_len=200, min_len=4)
