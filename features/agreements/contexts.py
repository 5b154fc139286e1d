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
from mediation.agreement import AgreementTerms, details_from_id, signer_id_of_member
from mediation.room import Role
from mediation.units import UnitInfo
from services.room import Room
from storage.models import Case, CaseParty, StaffAccount

SIDE_LABEL = {Role.APPLICANT.value: "申请人", Role.RESPONDENT.value: "被申请人"}


@dataclass(frozen=True)
class PartyInfo:
    """A party of the case with the room member who speaks (and signs) for them."""

    party_id: int
    member_id: int | None
    side: str
    ordinal: int
    name: str
    address: str | None
    phone: str | None
    id_number: str | None
    representative: bool = False

    @property
    def label(self) -> str:
        base = SIDE_LABEL.get(self.side, self.side)
        return base if self.ordinal <= 1 else f"{base}{cn_count(self.ordinal)}"

    @property
    def signer_id(self) -> str | None:
        return signer_id_of_member(self.member_id) if self.member_id is not None else None


async def load_parties(session: AsyncSession, room: Room) -> list[PartyInfo]:
    """Every party of the case, applicants first, with their present room member if any."""
    rows = await session.execute(
        select(CaseParty)
        .where(CaseParty.case_id == room.case.id)
        .order_by(CaseParty.side, CaseParty.ordinal, CaseParty.id)
    )
    members = {m.party_id: m for m in room.present() if m.party_id is not None}
    out = []
    for party in rows.scalars():
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
            )
        )
    return sorted(out, key=lambda p: (p.side != Role.APPLICANT.value, p.ordinal, p.party_id))


def person(p: PartyInfo, today: date, *, role: str | None = None) -> dict[str, Any]:
    """A party's basic details as 人民调解法 第二十九条（一） asks (no phone: the agreement is
    handed to every party; the 司法确认 application adds it)."""
    data: dict[str, Any] = {
        "role": role or p.label,
        "kind": "person",
        "name": p.name,
        "address": p.address or "",
    }
    details = details_from_id(p.id_number, today)
    if details is not None:
        data["gender"], data["age"] = details.gender, details.age
    if p.signer_id:
        data["signer"] = p.signer_id
    return data


def committee(unit: UnitInfo) -> dict[str, str]:
    return {"name": unit.name, "address": unit.address}


def agreement_content(
    *,
    case: Case,
    unit: UnitInfo,
    parties: Sequence[PartyInfo],
    mediator: StaffAccount,
    terms: AgreementTerms,
    version: int,
    today: date,
) -> dict[str, Any]:
    """The content of one version of the 协议书: what the parties approve by signing. A case a
    court entrusted after registration names that court: the agreement goes to it for a 调解书,
    so the 协议书 does not promise 司法确认 (features.agreements.referral)."""
    entrusted = case.source == "court_entrusted" and case.referring_court
    return {
        **({"entrusted_by": case.referring_court} if entrusted else {}),
        "case_no": case.number,
        "version": version,
        "committee": committee(unit),
        "dispute_type": case.dispute_type,
        "parties": [person(p, today) for p in parties if p.member_id is not None],
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
    """The mediator's part of a version, to start a revision from."""
    performance = content.get("performance") or {}
    return AgreementTerms(
        facts=str(content.get("facts", "")),
        disputes=str(content.get("disputes", "")),
        responsibilities=str(content.get("responsibilities", "")),
        terms=tuple(str(t) for t in content.get("terms", ())),
        method=str(performance.get("method", "")),
        place=str(performance.get("place", "")),
        deadline=str(performance.get("deadline", "")),
        copies=int(content.get("copies", 0) or 0),
    )


@dataclass(frozen=True)
class Mark:
    """How one signature is printed: a drawn image or a typed name, and the day it was made."""

    signed_on: date
    image_png: bytes | None = None
    typed_name: str | None = None

    def as_context(self) -> dict[str, Any]:
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
) -> dict[str, Any]:
    """The final 协议书: the approved content plus signatures, seal and verify link.

    Only keys :data:`mediation.signing.VOLATILE_KEYS` names are added, so the version hash of
    the result equals the hash the parties signed. The seal block prints ``sealed_on``: the day
    the seal was affixed, which is the day the agreement took effect (第二十九条) and the day
    the 30 days for 司法确认 count from; the approved text's own date stays in the content.
    """
    ctx = dict(content)
    ctx["parties"] = [
        {**p, "signature": marks[p["signer"]].as_context()} if p.get("signer") in marks else p
        for p in content.get("parties", [])
    ]
    ctx["mediators"] = [
        {**m, "signature": marks[m["signer"]].as_context()} if m.get("signer") in marks else m
        for m in content.get("mediators", [])
    ]
    ctx["sealed"] = True
    ctx["verify_url"] = verify_url
    if sealed_on is not None:
        ctx["sealed_on"] = sealed_on.isoformat()
    return ctx
