"""司法确认: carrying an effective agreement to a court so that it becomes enforceable.

人民调解法 第三十三条 and 民事诉讼法 第二百零五条: the parties apply *jointly*, within 30 days of
the agreement taking effect, to a competent court (rules in mediation.agreement). So when an
agreement takes effect each party is asked for consent, a service address (送达地址) and a
phone number (法释〔2011〕5号 第三条 asks for both), and the court; once every party consented to
the same court the 司法确认申请书 is generated (documents template
``judicial_confirmation_application``) and sent to all. Terms a court will not confirm (身份关系
such as the divorce itself; 物权/知识产权确权) are flagged in the offer and left out of the
application. Durable timers remind both parties 7 and 2 days before the last day and close the
offer when it passes.

Here: the offer, where it stands, and what follows the application (handed in to the court, the
court's ruling). The parties' answers and the application: ``confirmation_answers``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.agreements.common import (
    Btn,
    send,
)
from features.agreements.terms import party_names, stored_flag_lines
from mediation.agreement import (
    CourtBasis,
    confirmation_deadline,
    default_court,
    reminder_days,
)
from mediation.confirmability import confirmability
from mediation.parties import parse_signer_id
from mediation.replies import Button, Msg, Reply, button, reply
from mediation.units import UnitInfo
from services import features
from services.delivery import Address, Outgoing
from services.room import Room, announce, label_of, load_room
from services.timers import schedule
from services.turn import Turn
from storage.document_models import ConfirmationConsent, Document, JudicialConfirmation
from storage.models import CaseMember

SYSTEM = Address("system", "-", "zh-CN")
REMINDER_HOUR = time(9, 0)


def buttons(jc: JudicialConfirmation) -> list[list[Btn]]:
    return [
        [
            Btn(Msg("agreements.btn_jc_yes"), f"ag:jc:y:{jc.id}"),
            Btn(Msg("agreements.btn_jc_no"), f"ag:jc:n:{jc.id}"),
        ]
    ]


def _flag_lines(jc: JudicialConfirmation) -> list[Msg] | str:
    return stored_flag_lines(jc.flags) or ""


def offer_msg(jc: JudicialConfirmation) -> Msg:
    key = {
        "not_confirmable": "agreements.jc_not_confirmable",
        "entrusted": "agreements.jc_entrusted",
    }.get(jc.status, "agreements.jc_offer")
    basis = CourtBasis.INVITING_COURT if by_inviting_court(jc) else CourtBasis.ORGANISATION
    return Msg(
        key,
        {
            "deadline": jc.deadline.isoformat(),
            "court": jc.default_court,
            "basis": Msg(f"agreements.offer_basis_{basis.value}"),
            "flags": _flag_lines(jc),
        },
    )


def status_reply(jc: JudicialConfirmation) -> Reply:
    """Where the offer stands, in its own words (its status, last day and court)."""
    court = jc.court or jc.default_court
    return reply(f"agreements.jc_status_{jc.status}", deadline=jc.deadline.isoformat(), court=court)


def by_inviting_court(jc: JudicialConfirmation) -> bool:
    """A 委派 case: its offer names the court that invited the mediation (第二百零五条（一）)."""
    return jc.court_basis == CourtBasis.INVITING_COURT.value and jc.status != "applied"


async def offer(
    session: AsyncSession,
    room: Room,
    doc: Document,
    unit: UnitInfo,
    now: datetime,
    tz: ZoneInfo,
    out: Outgoing,
) -> JudicialConfirmation:
    """Offer 司法确认 to every party of an agreement that just took effect."""
    effective_on = now.astimezone(tz).date()
    check = confirmability([str(t) for t in doc.content.get("terms", [])], party_names(doc.content))
    case = room.case
    referred = case.source == "court_referral" and bool(case.referring_court)
    if referred:  # 第二百零五条（一）: the court that invited the mediation, and no other
        court, basis = str(case.referring_court), CourtBasis.INVITING_COURT
    else:  # 第二百零五条（二）: by default the basic court where the organisation sits
        court = default_court(unit.court).court if unit.court else ""
        basis = CourtBasis.ORGANISATION
    if case.source == "court_entrusted":
        # 特邀调解规定 第二十条: the court makes a 调解书 itself; 司法确认 is not the route.
        status, court = "entrusted", str(case.referring_court or "")
    else:
        status = "offered" if check.anything_confirmable else "not_confirmable"
    jc = JudicialConfirmation(
        case_id=case.id,
        agreement_id=doc.id,
        status=status,
        effective_on=effective_on,
        deadline=confirmation_deadline(effective_on),
        default_court=court,
        # Until both chose, the basis of the court offered; then the basis of the one chosen.
        court_basis=basis.value,
        flags={str(i): [f.value for f in flags] for i, flags in check.flags.items()},
        created_at=now,
        updated_at=now,
    )
    session.add(jc)
    await session.flush()
    asked: set[int] = set()
    for signer in doc.signers:
        member_id = parse_signer_id(str(signer))[1]
        member = room.by_id(member_id) if member_id is not None else None
        if member is None:
            continue
        session.add(
            ConfirmationConsent(confirmation_id=jc.id, signer_id=signer, member_id=member.id)
        )
        address = room.addresses.get(member.id)
        if address is not None and member.id not in asked:  # an agent answers once for all
            asked.add(member.id)
            send(out, address, offer_msg(jc), buttons(jc) if jc.status == "offered" else [])
    if jc.status == "offered":
        await _schedule_reminders(session, jc, tz)
    return jc


async def _schedule_reminders(
    session: AsyncSession, jc: JudicialConfirmation, tz: ZoneInfo
) -> None:
    """Reminders before the last day, and the offer's end the day after it (durable timers)."""
    for days, day in reminder_days(jc.effective_on, jc.effective_on):
        due = datetime.combine(day, REMINDER_HOUR, tzinfo=tz)
        await schedule(
            session, f"jc:{jc.id}:{days}", "jc_reminder", due, {"jc": jc.id, "days": days}
        )
    end = datetime.combine(jc.deadline + timedelta(days=1), time(0, 0), tzinfo=tz)
    await schedule(session, f"jc:{jc.id}:end", "jc_deadline", end, {"jc": jc.id})


async def consents_of(session: AsyncSession, jc_id: int) -> list[ConfirmationConsent]:
    rows = await session.execute(
        select(ConfirmationConsent)
        .where(ConfirmationConsent.confirmation_id == jc_id)
        .order_by(ConfirmationConsent.id)
    )
    return list(rows.scalars())


async def _applicant_at(
    turn: Turn, who: features.Who, jc_id: int, status: str
) -> tuple[JudicialConfirmation, Room, CaseMember] | Reply:
    """The offer (locked), its room and the presser, when the presser is one of its applicants
    and the offer stands at ``status``; else what to tell them."""
    jc = await turn.session.get(JudicialConfirmation, jc_id, with_for_update=True)
    room = await load_room(turn.session, jc.case_id) if jc else None
    member = room.of_user(who.user_id) if room else None
    if jc is None or room is None or member is None:
        return reply("bot.stale_button")
    if not any(c.member_id == member.id for c in await consents_of(turn.session, jc.id)):
        return reply("agreements.jc_not_applicant")
    if jc.status != status:
        return status_reply(jc)
    return jc, room, member


async def submitted(turn: Turn, who: features.Who, jc_id: int) -> list[Reply]:
    """A party says the application was handed to the court: the reminders to submit it stop
    (no text promises a window for what is already done)."""
    found = await _applicant_at(turn, who, jc_id, "applied")
    if isinstance(found, Reply):
        return [found]
    jc, room, member = found
    jc.status, jc.updated_at = "submitted", turn.now
    await announce(
        turn.session,
        room,
        Msg("agreements.jc_submitted_event", {"who": label_of(member), "court": jc.court or ""}),
        turn.out,
        turn.now,
        author=member,
    )
    return [
        Reply(
            Msg("agreements.jc_submitted_ok", {"court": jc.court or ""}),
            buttons=ruling_buttons(jc.id),
        )
    ]


def ruling_buttons(jc_id: int) -> tuple[tuple[Button, ...], ...]:
    """For when the court has ruled: the parties say which way, so what the service says next
    (enforcement, or a new mediation or a suit) follows the ruling (人民调解法 第三十三条)."""
    return (
        (button("agreements.btn_jc_ruled_valid", f"ag:jc:r:{jc_id}:y"),),
        (button("agreements.btn_jc_ruled_invalid", f"ag:jc:r:{jc_id}:n"),),
    )


async def record_ruling(turn: Turn, who: features.Who, jc_id: int, *, valid: bool) -> list[Reply]:
    """An applicant records the court's ruling on the application: confirmed valid (a refusal
    to perform can then be enforced) or not (a new mediation or a suit). Only once, and only
    after the application was handed in; the room is told."""
    found = await _applicant_at(turn, who, jc_id, "submitted")
    if isinstance(found, Reply):
        return [found]
    jc, room, member = found
    jc.status, jc.updated_at = ("confirmed" if valid else "invalid"), turn.now
    court = jc.court or jc.default_court
    await announce(
        turn.session,
        room,
        Msg(f"agreements.jc_ruled_{jc.status}_event", {"who": label_of(member), "court": court}),
        turn.out,
        turn.now,
        author=member,
    )
    return [status_reply(jc)]


def submitted_button(jc_id: int) -> list[list[Btn]]:
    return [[Btn(Msg("agreements.btn_jc_submitted"), f"ag:jc:s:{jc_id}")]]


async def resend_offer(turn: Turn, user_id: int) -> list[Reply]:
    """``/confirm``: the offer again (a party who said "not now" may change their mind)."""
    jc = (
        await turn.session.execute(
            select(JudicialConfirmation)
            .join(
                ConfirmationConsent, ConfirmationConsent.confirmation_id == JudicialConfirmation.id
            )
            .join(CaseMember, CaseMember.id == ConfirmationConsent.member_id)
            .where(CaseMember.user_id == user_id, CaseMember.status != "removed")
            .order_by(JudicialConfirmation.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if jc is None:
        return [reply("agreements.jc_none")]
    if jc.status != "offered":
        return [status_reply(jc)]
    send(turn.out, turn.out.sender, offer_msg(jc), buttons(jc))
    return []
