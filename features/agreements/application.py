"""The content of the 司法确认申请书 (民事诉讼法 第二百零五条) from an effective agreement.

Attachments follow 最高人民法院关于人民调解协议司法确认程序的若干规定 (法释〔2011〕5号) 第三条
(secondary source: the agreement, identity documents, evidence of the property rights concerned,
and both parties' service addresses and phone numbers). Terms a court will not confirm
(mediation.confirmability, as flagged when 司法确认 was offered) are left out: the request names
the confirmable clauses by their numbers in the agreement, the facts name the others and why, and
the declaration speaks of the clauses applied for, so the application never asks a court for what
it cannot grant nor declares what the agreement contradicts.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from documents.clauses import dispute_label
from features.agreements.contexts import PartyInfo, person
from mediation.agreement import CourtChoice, confirmation_deadline
from mediation.confirmability import Category, clause_numbers
from mediation.parties import parse_signer_id
from mediation.replies import Msg
from storage.document_models import ConfirmationConsent, Document, JudicialConfirmation

if TYPE_CHECKING:
    from services.room import Room
    from services.turn import Turn


def application_content(
    turn: Turn,
    room: Room,
    jc: JudicialConfirmation,
    agreement: Document,
    consents: list[ConfirmationConsent],
    parties: list[PartyInfo],
    court: CourtChoice,
) -> dict[str, Any]:
    """The 司法确认申请书 (民事诉讼法 第二百零五条; attachments per 法释〔2011〕5号 第三条)."""
    today = turn.now.astimezone(turn.settings.tz).date()
    named = {str(e.get("signer")): e for e in agreement.content.get("parties", [])}
    by_member = {p.member_id: p for p in parties if p.member_id is not None}
    by_party = {p.party_id: p for p in parties}
    applicants = []
    for c in consents:
        entry = named.get(c.signer_id)
        party_id, _ = parse_signer_id(c.signer_id)
        p = by_party.get(party_id) if party_id is not None else by_member.get(c.member_id)
        if entry is not None and party_id is not None:
            # The party exactly as the agreement names them (full identity, who signed).
            data = {k: v for k, v in entry.items() if k not in ("signer", "seal_key")}
            data["role"] = "申请人"
        elif p is not None:
            data = person(p, today, role="申请人", court=True)
        else:
            continue
        data.pop("signer", None)
        data["phone"] = data.get("phone") or (p.phone if p else "") or ""
        data["service_address"] = c.service_address or data.get("address") or ""
        applicants.append(data)
    content = agreement.content
    terms = [str(t) for t in content.get("terms", [])]
    excluded = {int(i): str(g[0]) for i, g in jc.flags.items() if g}
    confirmed = [n for n in range(1, len(terms) + 1) if n - 1 not in excluded]
    names = "、".join(a["name"] for a in applicants)
    committee = str(content.get("committee", {}).get("name", ""))
    facts = (
        f"申请人{names}因{dispute_label(room.case.dispute_type)}，"
        f"于{_cn(room.case.created_at.astimezone(turn.settings.tz).date())}向{committee}申请调解。"
    )
    if room.case.source == "court_referral" and room.case.referring_court:
        facts += f"本案系{room.case.referring_court}委派调解的案件。"
    for index, ground in sorted(excluded.items()):
        facts += (
            f"调解协议第{index + 1}条{_WHY.get(ground, _WHY['other'])}，不在本次申请确认的范围内。"
        )
    effective = jc.effective_on.isoformat()
    return {
        "court": court.court,
        "parties": applicants,
        "agreement": {
            "case_no": content.get("case_no", ""),
            "committee": committee,
            "signed_on": effective,
            "effective_on": effective,
            "summary": "\n".join(f"第{n}条　{terms[n - 1]}" for n in confirmed),
            "clauses": [{"n": n, "text": terms[n - 1]} for n in confirmed],
            # Empty when every clause is applied for: the request then names the agreement.
            "confirm_numbers": clause_numbers(confirmed) if excluded else "",
        },
        "facts": facts,
        "attachments": [
            {"name": f"人民调解协议书（{content.get('case_no', '')}）", "copies": 1},
            {"name": "申请人身份证明", "copies": len(applicants)},
            *authorities(applicants),
            {"name": "与调解协议相关的财产权利证明等证明材料", "copies": 1},
            {"name": "当事人送达地址确认书", "copies": len(applicants)},
        ],
        "date": today.isoformat(),
        # Not printed: the offer it answers (the parties' "submitted to the court" button).
        "confirmation": jc.id,
    }


#: Why a clause is left out, as the facts say it (the grounds of mediation.confirmability).
_WHY = {
    Category.IDENTITY.value: "涉及身份关系",
    Category.PROPERTY_RIGHT.value: "涉及权属的确认",
    Category.SPECIAL_PROCEDURE.value: "涉及特别程序、公示催告程序或者破产程序的事项",
    Category.OUTSIDE_REMIT.value: "不属于人民法院受理民事案件的范围",
    Category.NON_PARTY.value: "涉及调解协议当事人以外的人",
    Category.UNCLEAR.value: "内容不够明确",
    "other": "不属于司法确认的范围",
}


def authorities(applicants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What shows that whoever signed for a party could (民诉法解释 第三百五十一条: an agent
    applies under 民事诉讼法 第六十一条, and 第六十二条 asks for the signed 授权委托书)."""
    out: list[dict[str, Any]] = []
    for a in applicants:
        signed_by = str(a.get("signed_by", ""))
        if signed_by.startswith("委托代理人"):
            name = f"授权委托书（{a['name']}委托{signed_by.removeprefix('委托代理人').strip()}，特别授权）"
            out.append({"name": name, "copies": 1})
        elif signed_by.startswith("法定代理人"):
            out.append({"name": f"法定代理人身份及监护关系证明（{a['name']}）", "copies": 1})
        if a.get("kind") == "org":
            out.append(
                {"name": f"营业执照（副本）及法定代表人身份证明书（{a['name']}）", "copies": 1}
            )
            if signed_by.startswith("签署人"):
                out.append({"name": f"授权委托书（{a['name']}）", "copies": 1})
    return out


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def application_notice(doc: Document) -> Msg:
    return Msg(
        "agreements.jc_application_ready",
        {"court": doc.content.get("court", ""), "deadline": _deadline_of(doc)},
    )


def _deadline_of(doc: Document) -> str:
    effective = str(doc.content.get("agreement", {}).get("effective_on", ""))
    try:
        return confirmation_deadline(date.fromisoformat(effective)).isoformat()
    except ValueError:
        return ""
