"""The 回访记录 (follow-up record) from the performance data: the context of
``documents/templates/zh-CN/follow_up_record.html``.

人民调解法 第三十一条: the committee supervises performance and urges the parties to perform; the
回访记录 is where that supervision is written down. What the records know — what was due, what
was confirmed and when, which transfer records are on file, whether reminders and escalations
were needed — is filled in here; what only a conversation with the parties can tell
(satisfaction, lawsuits, signs of the conflict returning) is left for the visitor to write, and
says so, rather than being invented.

The text is document text (the record is a Chinese document), not interface text.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from documents.registry import get_spec, missing_fields
from features.agreements.common import wake_after_commit
from features.agreements.contexts import SIDE_LABEL
from features.agreements.records import queue_issued_document
from features.negotiation.common import money
from features.negotiation.models import FollowUp, PaymentEvent, PaymentInstalment
from mediation.replies import Reply, reply
from mediation.units import UnitDirectory
from services.room import Room
from services.turn import Turn
from storage.models import Case, CaseParty, StaffAccount

TO_BE_FILLED = "（待回访人填写）"
FOLLOW_UP = "follow_up_record"


async def follow_up_context(
    session: AsyncSession, case_id: int, tz: ZoneInfo, units: UnitDirectory
) -> dict[str, Any]:
    case = await session.get_one(Case, case_id)
    follow = (
        await session.execute(
            select(FollowUp)
            .where(FollowUp.case_id == case_id)
            .order_by(FollowUp.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    parties = list(
        await session.scalars(
            select(CaseParty)
            .where(CaseParty.case_id == case_id)
            .order_by(CaseParty.side, CaseParty.ordinal)
        )
    )
    mediator = await session.get(StaffAccount, case.mediator_id) if case.mediator_id else None
    instalments = list(
        await session.scalars(
            select(PaymentInstalment)
            .where(PaymentInstalment.case_id == case_id)
            .order_by(PaymentInstalment.schedule_id, PaymentInstalment.seq)
        )
    )
    events = list(
        await session.scalars(
            select(PaymentEvent)
            .where(PaymentEvent.instalment_id.in_([i.id for i in instalments] or [-1]))
            .order_by(PaymentEvent.at)
        )
    )
    by_id = {i.id: i for i in instalments}
    evidence = [
        f"转账记录（第{by_id[e.instalment_id].seq}期，{e.at.astimezone(tz).date().isoformat()}"
        f"上传，证据编号{e.evidence_id}）"
        for e in events
        if e.kind == "receipt" and e.evidence_id is not None
    ]
    evidence += [
        f"收款方确认收到第{by_id[e.instalment_id].seq}期"
        f"{money(by_id[e.instalment_id].amount_fen)}（{e.at.astimezone(tz).date().isoformat()}）"
        for e in events
        if e.kind == "confirmed"
    ]
    kinds = {e.kind for e in events}
    if "escalated" in kinds:
        measures = (
            "逾期后提醒付款方履行，通知调解员督促，并告知收款方司法确认、申请强制执行的途径。"
        )
    elif "missed" in kinds:
        measures = "逾期后提醒付款方履行。"
    else:
        measures = "到期前提醒付款方按期履行。"
    today = follow.visited_on if follow else date.today()
    unit = units.by_code.get(case.unit_code, units.default)
    return {
        "case_no": case.number,
        "agreement_no": case.number,
        "committee": {"name": unit.name},
        "parties": [
            {"role": SIDE_LABEL.get(p.side, p.side), "name": p.name, "phone": p.phone or ""}
            for p in parties
        ],
        "visited_on": today.isoformat(),
        "method": follow.method if follow else "线上（履行跟踪）",
        "visitor": {"name": mediator.display_name if mediator else TO_BE_FILLED},
        "reason": "调解协议约定的款项已履行完毕，了解履行情况及当事人意见。",
        "performance": follow.performance if follow else TO_BE_FILLED,
        "satisfaction": (follow.satisfaction if follow and follow.satisfaction else TO_BE_FILLED),
        "lawsuit": TO_BE_FILLED,
        "conflict_signs": TO_BE_FILLED,
        "measures": measures,
        "evidence": evidence,
        "date": today.isoformat(),
    }


async def issue(turn: Turn, staff: StaffAccount, room: Room) -> list[Reply]:
    """``/followup``: the 回访记录 as a PDF for the case's mediator (rendered and delivered by the
    agreements' document job, like the 申请书 and 笔录); the fields only a visit can fill are
    left for the visitor to complete on paper."""
    if room.case.mediator_id != staff.id:
        return [reply("staff.not_allowed")]
    content = await follow_up_context(turn.session, room.case.id, turn.settings.tz, turn.units)
    missing = missing_fields(get_spec(FOLLOW_UP), content)
    if missing:
        return [reply("agreements.err_missing_fields", fields=", ".join(missing))]
    await queue_issued_document(turn, room, staff, FOLLOW_UP, content)
    wake_after_commit(turn.session, turn.shared)
    return [reply("negotiation.followup_generating", number=room.case.number)]
