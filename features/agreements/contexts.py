"""From the case record to document contexts (the dicts the templates in ``documents/`` take).

Why here and not in the templates: the same party details feed the 协议书, the 司法确认申请书, the
申请书 and the 笔录, and they must agree with each other and with the case record. Documents
are written in Chinese (the templates exist in zh-CN only), so the wording put into contexts
here — 申请人, 被申请人, 线上 — is document text, not interface text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from documents.formats import cn_count
from mediation.agreement import AgreementTerms, details_from_id
from mediation.parties import (
    Acting,
    Agent,
    AgentKind,
    Authority,
    Capacity,
    PartyFacts,
    PartyKind,
    Seat,
    SigningPlan,
    plan_signing,
)
from mediation.room import Role
from mediation.units import UnitInfo
from services.room import Room
from storage.models import Case, CaseParty, PartyAgent, StaffAccount

SIDE_LABEL = {Role.APPLICANT.value: "申请人", Role.RESPONDENT.value: "被申请人"}


#: A name the applicant did not know (不知道), as documents print it.
NAME_UNKNOWN = "不详"


@dataclass(frozen=True)
class AgentInfo:
    """A party_agents row as the documents and the rules need it."""

    kind: str
    name: str
    member_id: int | None
    authority: str | None
    checked: bool
    relation: str = ""
    id_number: str | None = None


@dataclass(frozen=True)
class PartyInfo:
    """A party of the case with their own present room seat (if any), identity and agents."""

    party_id: int
    member_id: int | None
    side: str
    ordinal: int
    name: str
    address: str | None
    phone: str | None
    id_number: str | None
    representative: bool = False
    kind: str = PartyKind.PERSON.value
    gender: str | None = None
    birth_date: str | None = None
    ethnicity: str | None = None
    stated_age: int | None = None
    occupation: str | None = None
    capacity: str = Capacity.FULL.value
    absent_reason: str | None = None
    credit_code: str | None = None
    legal_rep: str | None = None
    legal_rep_title: str | None = None
    seal_path: str | None = None
    agents: tuple[AgentInfo, ...] = ()

    @property
    def shown_name(self) -> str:
        """The name as a document prints it: 不详 where the applicant did not know it (the
        intake's 不知道, ``CaseParty.unknown``) and nobody has recorded it since."""
        return self.name or NAME_UNKNOWN

    @property
    def label(self) -> str:
        base = SIDE_LABEL.get(self.side, self.side)
        return base if self.ordinal <= 1 else f"{base}{cn_count(self.ordinal)}"

    @property
    def is_org(self) -> bool:
        return self.kind == PartyKind.ORGANISATION.value

    def agent(self, kind: AgentKind) -> AgentInfo | None:
        return next((a for a in self.agents if a.kind == kind.value), None)

    def born(self) -> date | None:
        """The birth date: from the ID number (GB 11643) when there is one, else as recorded."""
        if self.id_number and len(self.id_number) == 18:
            try:
                return date(
                    int(self.id_number[6:10]),
                    int(self.id_number[10:12]),
                    int(self.id_number[12:14]),
                )
            except ValueError:
                pass
        try:
            return date.fromisoformat(self.birth_date) if self.birth_date else None
        except ValueError:
            return None

    def facts(self) -> PartyFacts:
        """What :mod:`mediation.parties` needs to decide who may bind this party."""
        return PartyFacts(
            party_id=self.party_id,
            side=self.side,
            name=self.name,
            kind=PartyKind(self.kind),
            member_id=self.member_id,
            birth_date=self.born(),
            stated_age=self.stated_age,
            capacity=Capacity(self.capacity),
            absent_reason=self.absent_reason or "",
            agents=tuple(
                Agent(
                    AgentKind(a.kind),
                    a.name,
                    a.member_id,
                    Authority(a.authority) if a.authority else None,
                    a.checked,
                )
                for a in self.agents
            ),
            credit_code=self.credit_code or "",
            legal_rep=self.legal_rep or "",
            has_seal=bool(self.seal_path),
        )


async def load_parties(session: AsyncSession, room: Room) -> list[PartyInfo]:
    """Every party of the case, applicants first, with their present room seat if any and the
    people who act for them (an agent's seat counts only while that member is present)."""
    rows = await session.execute(
        select(CaseParty)
        .where(CaseParty.case_id == room.case.id)
        .order_by(CaseParty.side, CaseParty.ordinal, CaseParty.id)
    )
    members = {m.party_id: m for m in room.present() if m.party_id is not None}
    present = {m.id for m in room.present()}
    parties = list(rows.scalars())
    # An agent who is a party of the case themselves is identified by their own record.
    own_ids = {
        (members[p.id].id, p.name): p.id_number for p in parties if p.id in members and p.id_number
    }
    agent_rows = await session.execute(
        select(PartyAgent).where(PartyAgent.case_id == room.case.id).order_by(PartyAgent.id)
    )
    agents: dict[int, list[AgentInfo]] = {}
    for a in agent_rows.scalars():
        seat = a.member_id if a.member_id in present else None
        if seat is None and a.agent_party_id in members:
            # A party acting for others (a group's representative) acts from their own seat.
            seat = members[a.agent_party_id].id
        agents.setdefault(a.party_id, []).append(
            AgentInfo(
                kind=a.kind,
                name=a.name,
                member_id=seat,
                authority=a.authority,
                checked=a.checked_at is not None,
                relation=a.relation or "",
                id_number=a.id_number or own_ids.get((seat or 0, a.name)),
            )
        )
    out = []
    for party in parties:
        member = members.get(party.id)
        out.append(
            PartyInfo(
                party_id=party.id,
                member_id=member.id if member else None,
                side=party.side,
                ordinal=party.ordinal,
                name=party.name,
                address=party.address,
                phone=party.phone,
                id_number=party.id_number,
                representative=bool(member and member.is_representative),
                kind=party.kind or PartyKind.PERSON.value,
                gender=party.gender,
                birth_date=party.birth_date,
                ethnicity=party.ethnicity,
                stated_age=party.stated_age,
                occupation=party.occupation,
                capacity=party.capacity or Capacity.FULL.value,
                absent_reason=party.absent_reason,
                credit_code=party.credit_code,
                legal_rep=party.legal_rep,
                legal_rep_title=party.legal_rep_title,
                seal_path=party.seal_path,
                agents=tuple(agents.get(party.id, ())),
            )
        )
    return sorted(out, key=lambda p: (p.side != Role.APPLICANT.value, p.ordinal, p.party_id))


def signing_plan(parties: Sequence[PartyInfo], today: date) -> SigningPlan:
    return plan_signing([p.facts() for p in parties], today)


_ACTING = {
    Acting.ENTRUSTED: "委托代理人",
    Acting.LEGAL: "法定代理人",
    Acting.SIGNATORY: "签署人",
}


def person(
    p: PartyInfo,
    today: date,
    *,
    role: str | None = None,
    seat: Seat | None = None,
    court: bool = False,
    basics: bool = False,
) -> dict[str, Any]:
    """A party's basic details (人民调解法 第二十九条（一）). ``court``: the full identity a court
    files the party under (民诉法解释 第三百五十四条: identity, domicile, contacts) — the 协议书
    and the 司法确认申请书; ``basics``: the 人民调解申请书's 姓名、性别、民族、年龄、职业或职务、
    联系方式、单位或住址 without the ID number; other papers keep to name, sex, age and address."""
    data: dict[str, Any] = {
        "role": role or p.label,
        "kind": "org" if p.is_org else "person",
        "name": p.shown_name,
        "address": p.address or "",
    }
    if p.is_org:
        data["legal_rep"] = p.legal_rep or ""
        data["legal_rep_title"] = p.legal_rep_title or ""
        if court:
            data["credit_code"] = p.credit_code or ""
            data["phone"] = p.phone or ""
    else:
        details = details_from_id(p.id_number, today)
        if details is not None:
            data["gender"], data["age"] = details.gender, details.age
        elif p.gender:
            data["gender"] = p.gender
        if details is None and p.birth_date and not court:
            born = p.born()
            if born is not None:  # given as a birth date (no ID number): the age from it
                data["age"] = _age(born, today)
        if details is None and "age" not in data and p.stated_age is not None:
            data["age"] = p.stated_age
        if basics or court:
            data["ethnicity"] = p.ethnicity or ""
            data["occupation"] = p.occupation or ""
            data["phone"] = p.phone or ""
        if court:
            born = p.born()
            data["birth_date"] = born.isoformat() if born else ""
            if born is None and p.stated_age is not None:
                data["age"] = p.stated_age  # no ID number yet (under sixteen): the stated age
            data["ethnicity"] = p.ethnicity or ""
            data["id_number"] = p.id_number or ""
            data["phone"] = p.phone or ""
            if born is not None:
                data.pop("age", None)
    for kind, title in ((AgentKind.LEGAL, "法定代理人"), (AgentKind.ENTRUSTED, "委托代理人")):
        agent = p.agent(kind)
        if agent is None:
            continue
        line = f"{title}：{agent.name}"
        if agent.relation:
            line += f"（{agent.relation}）"
        if (
            court and agent.id_number
        ):  # the court identifies the agent too (民诉法解释 第三百五十四条)
            line += f"，公民身份号码：{agent.id_number}"
        if kind is AgentKind.ENTRUSTED:
            line += "，特别授权" if agent.authority == Authority.SPECIAL.value else "，一般授权"
        data.setdefault("agents", []).append(line)
    signatory = p.agent(AgentKind.SIGNATORY) if p.is_org else None
    if signatory is not None and signatory.name:
        basis = "法定代表人" if signatory.authority == Authority.LEGAL_REP.value else "授权委托书"
        title = f"（{signatory.relation}）" if signatory.relation else ""
        ident = f"，公民身份号码：{signatory.id_number}" if court and signatory.id_number else ""
        data.setdefault("agents", []).append(
            f"签署人：{signatory.name}{title}{ident}，依据：{basis}"
        )
    if seat is not None:
        data["signer"] = seat.signer_id
        if seat.acting is not Acting.SELF:
            data["signed_by"] = f"{_ACTING[seat.acting]} {seat.agent_name}"
            data["signatory"] = seat.agent_name
        else:
            data["signatory"] = p.name
        if p.is_org and p.seal_path:
            data["seal_key"] = p.seal_path
    return data


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def committee(unit: UnitInfo) -> dict[str, str]:
    return {"name": unit.name, "address": unit.address}


def agreement_content(
    *,
    case: Case,
    unit: UnitInfo,
    parties: Sequence[PartyInfo],
    plan: SigningPlan,
    mediator: StaffAccount,
    terms: AgreementTerms,
    version: int,
    today: date,
) -> dict[str, Any]:
    """The content of one version of the 协议书: what the parties approve by signing. Every
    party bound is named with their full identity and who signs for them; a party recorded as
    absent is named with the reason and is not bound. A case a court entrusted after
    registration names that court: the agreement goes to it for a 调解书, so the 协议书 does
    not promise 司法确认 (features.agreements.referral)."""
    entrusted = case.source == "court_entrusted" and case.referring_court
    absent = dict(plan.absent)
    return {
        **({"entrusted_by": case.referring_court} if entrusted else {}),
        "case_no": case.number,
        "version": version,
        "committee": committee(unit),
        "dispute_type": case.dispute_type,
        "parties": [
            person(p, today, seat=plan.seat_of(p.party_id), court=True)
            for p in parties
            if plan.seat_of(p.party_id) is not None
        ],
        "absent": [
            {"role": p.label, "name": p.name, "reason": absent[p.party_id]}
            for p in parties
            if p.party_id in absent
        ],
        "mediators": [{"name": mediator.display_name, "signer": f"s{mediator.id}"}],
        "facts": terms.facts,
        "disputes": terms.disputes,
        "responsibilities": terms.responsibilities,
        "terms": list(terms.terms),
        "performance": {"method": terms.method, "place": terms.place, "deadline": terms.deadline},
        "copies": terms.copies,
        "date": today.isoformat(),
    }


def terms_of(content: Mapping[str, Any]) -> AgreementTerms:
    """The mediator's part of a version, to start a revision from: the terms as
    :meth:`AgreementTerms.from_json` reads them, the manner, place and deadline of performance
    kept under ``performance`` (:func:`agreement_content`)."""
    return AgreementTerms.from_json({**content, **(content.get("performance") or {})})


@dataclass(frozen=True)
class Mark:
    """How one signature is printed: a drawn image or a typed name, and the day it was made."""

    signed_on: date
    image_png: bytes | None = None
    typed_name: str | None = None
    #: Signed by hand on the printed version (the scan is kept with the case file).
    on_paper: bool = False

    def as_context(self) -> dict[str, Any]:
        if self.on_paper:
            return {
                "method": "handwritten",
                "typed_name": self.typed_name or "",
                "on_paper": True,
                "signed_at": self.signed_on.isoformat(),
            }
        if self.image_png is not None:
            return {
                "method": "canvas",
                "image_png": self.image_png,
                "signed_at": self.signed_on.isoformat(),
            }
        return {
            "method": "typed",
            "typed_name": self.typed_name or "",
            "signed_at": self.signed_on.isoformat(),
        }


def signed_context(
    content: Mapping[str, Any],
    marks: Mapping[str, Mark],
    *,
    verify_url: str,
    sealed_on: date | None = None,
    seals: Mapping[str, bytes] | None = None,
) -> dict[str, Any]:
    """The final 协议书: the approved content plus signatures, seal and verify link.

    Only keys :data:`mediation.signing.VOLATILE_KEYS` names are added, so the version hash of
    the result equals the hash the parties signed. The seal block prints ``sealed_on``: the day
    the seal was affixed, which is the day the agreement took effect (第二十九条) and the day
    the 30 days for 司法确认 count from; the approved text's own date stays in the content.
    ``seals``: an organisation's seal image by its key in the file store, printed with its
    signatory's signature.
    """
    ctx = dict(content)
    found = seals or {}

    def signed(p: Mapping[str, Any]) -> Mapping[str, Any]:
        if p.get("signer") not in marks:
            return p
        signature = marks[p["signer"]].as_context()
        if p.get("seal_key") in found:  # an organisation signs and seals (民法典 第四百九十条)
            signature["seal"] = {"image_png": found[p["seal_key"]]}
        return {**p, "signature": signature}

    ctx["parties"] = [signed(p) for p in content.get("parties", [])]
    ctx["mediators"] = [
        {**m, "signature": marks[m["signer"]].as_context()} if m.get("signer") in marks else m
        for m in content.get("mediators", [])
    ]
    ctx["sealed"] = True
    ctx["verify_url"] = verify_url
    if sealed_on is not None:
        ctx["sealed_on"] = sealed_on.isoformat()
    return ctx
