"""The content of the 司法确认申请书 (民事诉讼法 第二百零五条) from an effective agreement.

Attachments follow 最高人民法院关于人民调解协议司法确认程序的若干规定 (法释〔2011〕5号) 第三条
(secondary source: the agreement, identity documents, evidence of the property rights concerned,
and both parties' service addresses and phone numbers). Terms a court will not confirm
(mediation.agreement.confirmability) are left out of the summary and named in the facts, so the
application never asks a court for what it cannot grant.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from documents.clauses import dispute_label
from features.agreements.contexts import PartyInfo, person
from mediation.agreement import CourtChoice, confirmability, confirmation_deadline
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
    parties: dict[int | None, PartyInfo],
    court: CourtChoice,
) -> dict[str, Any]:
    """The 司法确认申请书 (民事诉讼法 第二百零五条; attachments per 法释〔2011〕5号 第三条)."""
    today = turn.now.astimezone(turn.settings.tz).date()
    applicants = []
    for c in consents:
        p = parties.get(c.member_id)
        if p is None:
            continue
        data = person(p, today, role="申请人")
        data.pop("signer", None)
        data["phone"] = p.phone or ""
        data["service_address"] = c.service_address or p.address or ""
        applicants.append(data)
    content = agreement.content
    terms = [str(t) for t in content.get("terms", [])]
    check = confirmability(terms)
    names = "、".join(a["name"] for a in applicants)
    committee = str(content.get("committee", {}).get("name", ""))
    facts = (
        f"申请人{names}因{dispute_label(room.case.dispute_type)}，"
        f"于{_cn(room.case.created_at.astimezone(turn.settings.tz).date())}向{committee}申请调解。"
    )
    if check.flags:
        left_out = "、".join(f"第{i + 1}条" for i in sorted(check.flags))
        facts += f"调解协议{left_out}涉及身份关系或权属确认，不在本次申请确认的范围内。"
    effective = jc.effective_on.isoformat()
    return {
        "court": court.court,
        "parties": applicants,
        "agreement": {
            "case_no": content.get("case_no", ""),
            "committee": committee,
            "signed_on": effective,
            "effective_on": effective,
            "summary": "\n".join(check.confirmable_terms),
        },
        "facts": facts,
        "attachments": [
            {"name": f"人民调解协议书（{content.get('case_no', '')}）", "copies": 1},
            {"name": "申请人身份证明", "copies": len(applicants)},
            {"name": "与调解协议相关的财产权利证明等证明材料", "copies": 1},
            {"name": "当事人送达地址确认书", "copies": len(applicants)},
        ],
        "date": today.isoformat(),
    }


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
