"""What the court-facing papers say of each party, asked for during the draft.

民诉法解释 第三百五十四条: an application for 司法确认 gives both parties' identity, domicile and
contacts, and a court identifies a party by them; the 协议书 states the parties' basic details
(人民调解法 第二十九条（一）). So before the terms, the draft asks for whatever of these a bound
party's record lacks: for a person the 公民身份号码 (which gives sex and birth date), 民族,
职业 (人民调解法 第二十九条（一）), 住所 and 联系电话 — each party may have given them already
(``services.particulars``); for an organisation its 住所地 and 联系电话 (its code, 法定代表人 and seal are
recorded on the parties panel, ``party_setup``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from features.agreements.contexts import PartyInfo
from mediation import particulars
from mediation.parties import AgentKind, SigningPlan
from mediation.replies import Button, Msg, Reply, button
from mediation.validation import (
    clean_text,
    normalise_phone,
    parse_ethnicity,
    parse_gender,
    validate_id_number,
)
from storage.models import CaseParty, PartyAgent


def bound(parties: list[PartyInfo], plan: SigningPlan) -> list[PartyInfo]:
    """The parties the agreement binds (absent ones are named, not identified in full)."""
    return [p for p in parties if plan.seat_of(p.party_id) is not None]


#: What the court-facing papers print for each party (民诉法解释 第三百五十四条), asked in order.
PERSON_FIELDS = ("id_number", "ethnicity", "occupation", "address", "phone")
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
        for agent in p.agents:  # whoever acts for the party is identified too (第三百五十四条)
            if agent.kind in AGENT_KINDS and agent.name and not agent.id_number:
                return p, f"{AGENT_FIELD}{agent.kind}"
    return None


#: Agents the court-facing papers identify in full: 法定代理人, 委托代理人, an organisation's 签署人.
AGENT_KINDS = (AgentKind.LEGAL.value, AgentKind.ENTRUSTED.value, AgentKind.SIGNATORY.value)
#: The field name of an agent's ID number: ``agent_id:<kind>``.
AGENT_FIELD = "agent_id:"
_AGENT_TITLE = {
    AgentKind.LEGAL.value: "法定代理人",
    AgentKind.ENTRUSTED.value: "委托代理人",
    AgentKind.SIGNATORY.value: "签署人",
}


def no_id_yet(p: PartyInfo) -> bool:
    """居民身份证法 第二条: a citizen under sixteen *may* have an ID card, so a child whose age was
    stated (and is under sixteen) may be identified without a number: the papers print the age."""
    return not p.id_number and p.stated_age is not None and p.stated_age < ID_CARD_AGE


#: 居民身份证法 第二条: from sixteen a citizen must apply for an ID card.
ID_CARD_AGE = 16


def prompt(p: PartyInfo, name: str, cancel: tuple[Button, ...], case_id: int = 0) -> Reply:
    if name.startswith(AGENT_FIELD):
        kind = name.removeprefix(AGENT_FIELD)
        agent = next(a for a in p.agents if a.kind == kind)
        params = {"label": p.label, "name": p.name, "title": _AGENT_TITLE[kind]}
        return Reply(
            Msg("agreements.ask_agent_id_number", {**params, "agent": agent.name}),
            buttons=(cancel,),
        )
    key = "agreements.ask_address" if name == "address" else f"agreements.ask_party_{name}"
    rows: tuple[tuple[Button, ...], ...] = (cancel,)
    if name in PARTY_GIVES and p.member_id is not None:  # in the room: they can answer it
        ask = button("agreements.btn_ask_party_particulars", f"ag:pq:{case_id}", label=p.label)
        rows = ((ask,), cancel)
    return Reply(Msg(key, {"label": p.label, "name": p.name}), buttons=rows)


#: What a party gives themselves in the chat (services.particulars): the mediator may ask them
#: instead of typing it.
PARTY_GIVES = frozenset({"gender", "ethnicity", "occupation", "address", "phone"})


async def set_agent_id(
    session: AsyncSession, party: CaseParty, name: str, text: str, today: date
) -> None:
    """An agent's 公民身份号码 as typed (validated), on the party's agent of that kind."""
    found = await session.execute(
        select(PartyAgent).where(
            PartyAgent.party_id == party.id, PartyAgent.kind == name.removeprefix(AGENT_FIELD)
        )
    )
    agent = found.scalar_one_or_none()
    if agent is not None:
        agent.id_number = validate_id_number(text, today=today)


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
        party.ethnicity = parse_ethnicity(text)
    elif name == "occupation":
        party.occupation = particulars.read(particulars.Field.OCCUPATION, text, today)["occupation"]
    elif name == "phone":
        party.phone = normalise_phone(text)
        party.phone_hash = party.phone_hash or crypto.blind_index(party.phone)
    else:
        party.address = clean_text(text, max_len=200, min_len=4)
