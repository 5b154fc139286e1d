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
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from documents.registry import get_spec, missing_fields
from features.agreements.application import application_content
from features.agreements.common import (
    APPLICATION,
    PENDING,
    AwaitCourtName,
    AwaitPhone,
    AwaitServiceAddress,
    Btn,
    new_public_id,
    question,
    send,
    wake_after_commit,
)
from features.agreements.contexts import load_parties
from features.agreements.terms import party_names, stored_flag_lines
from mediation.agreement import (
    CourtBasis,
    CourtChoice,
    check_court,
    confirmation_deadline,
    default_court,
    joint_court,
    reminder_days,
)
from mediation.confirmability import confirmability
from mediation.parties import parse_signer_id
from mediation.replies import Button, Msg, Reply, button, reply
from mediation.signing import version_hash
from mediation.units import UnitInfo
from mediation.validation import InvalidInput, clean_text, normalise_phone
from services import features
from services.delivery import Address, Outgoing
from services.room import Room, announce, label_of, load_room
from services.timers import schedule
from services.turn import Turn
from storage.document_models import ConfirmationConsent, Document, JudicialConfirmation
from storage.models import CaseMember, CaseParty

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
    basis = CourtBasis.INVITING_COURT if _by_inviting_court(jc) else CourtBasis.ORGANISATION
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


def _by_inviting_court(jc: JudicialConfirmation) -> bool:
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
        for days, day in reminder_days(effective_on, effective_on):
            due = datetime.combine(day, REMINDER_HOUR, tzinfo=tz)
            await schedule(
                session, f"jc:{jc.id}:{days}", "jc_reminder", due, {"jc": jc.id, "days": days}
            )
        end = datetime.combine(jc.deadline + timedelta(days=1), time(0, 0), tzinfo=tz)
        await schedule(session, f"jc:{jc.id}:end", "jc_deadline", end, {"jc": jc.id})
    return jc


async def consents_of(session: AsyncSession, jc_id: int) -> list[ConfirmationConsent]:
    rows = await session.execute(
        select(ConfirmationConsent)
        .where(ConfirmationConsent.confirmation_id == jc_id)
        .order_by(ConfirmationConsent.id)
    )
    return list(rows.scalars())


async def _mine(
    turn: Turn, jc_id: int, user_id: int
) -> tuple[JudicialConfirmation, Room, ConfirmationConsent] | Reply:
    jc = await turn.session.get(JudicialConfirmation, jc_id, with_for_update=True)
    room = await load_room(turn.session, jc.case_id) if jc else None
    member = room.of_user(user_id) if room else None
    if jc is None or room is None or member is None:
        return reply("bot.stale_button")
    consent = next(
        (c for c in await consents_of(turn.session, jc.id) if c.member_id == member.id), None
    )
    if consent is None:
        return reply("agreements.jc_not_applicant")
    if jc.status != "offered":
        return status_reply(jc)
    if turn.now.astimezone(turn.settings.tz).date() > jc.deadline:
        return reply("agreements.jc_status_expired", deadline=jc.deadline.isoformat())
    return jc, room, consent


async def on_action(turn: Turn, who: features.Who, parts: list[str]) -> list[Reply]:
    """``ag:jc:<y|n|ua|c>:<id>[:<d|o|p|s>]``."""
    if len(parts) < 2 or not parts[1].isdigit():
        return [reply("bot.stale_button")]
    verb, jc_id = parts[0], int(parts[1])
    if verb == "s":
        return await _submitted(turn, who, jc_id)
    if verb == "r" and len(parts) == 3 and parts[2] in ("y", "n"):
        return await _ruling(turn, who, jc_id, valid=parts[2] == "y")
    found = await _mine(turn, jc_id, who.user_id)
    if isinstance(found, Reply):
        return [found]
    jc, room, consent = found
    if verb == "y":
        consent.consent, consent.answered_at = True, turn.now
        turn.put(PENDING, AwaitServiceAddress(jc.id))
        use = (button("agreements.btn_jc_use_address", f"ag:jc:ua:{jc.id}"),)
        return [question("agreements.jc_ask_address", use)]
    if verb == "n":
        consent.consent, consent.answered_at, consent.court = False, turn.now, None
        turn.put(PENDING, None)
        member = room.by_id(consent.member_id)
        if member is not None:
            await announce(
                turn.session,
                room,
                Msg("agreements.jc_other_declined", {"who": label_of(member)}),
                turn.out,
                turn.now,
                audience=[m for m in room.present() if m.id != member.id],
                author=member,
            )
        return [reply("agreements.jc_declined_ok")]
    if verb == "ua":
        party = await _party(turn.session, room, consent)
        if party is None or not party.address:
            return [question("agreements.jc_ask_address")]
        consent.service_address = party.address
        return await _after_address(turn, jc, room, consent)
    if verb == "c" and len(parts) == 3:
        return await _courtbutton(turn, jc, room, consent, parts[2])
    return [reply("bot.stale_button")]


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


async def _submitted(turn: Turn, who: features.Who, jc_id: int) -> list[Reply]:
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


async def _ruling(turn: Turn, who: features.Who, jc_id: int, *, valid: bool) -> list[Reply]:
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


async def _party(
    session: AsyncSession, room: Room, consent: ConfirmationConsent
) -> CaseParty | None:
    member = room.by_id(consent.member_id)
    return await session.get(CaseParty, member.party_id) if member and member.party_id else None


async def _after_address(
    turn: Turn, jc: JudicialConfirmation, room: Room, consent: ConfirmationConsent
) -> list[Reply]:
    party = await _party(turn.session, room, consent)
    if party is not None and not party.phone:
        turn.put(PENDING, AwaitPhone(jc.id))
        return [question("agreements.jc_ask_phone")]
    return await _ask_court(turn, jc, consent)


async def _ask_court(
    turn: Turn, jc: JudicialConfirmation, consent: ConfirmationConsent
) -> list[Reply]:
    turn.put(PENDING, None)
    others = [
        c.court
        for c in await consents_of(turn.session, jc.id)
        if c.id != consent.id and c.court and c.court != jc.default_court
    ]
    rows: list[tuple[Any, ...]] = []
    if jc.default_court:
        rows.append(
            (
                button(
                    "agreements.btn_jc_default_court", f"ag:jc:c:{jc.id}:d", court=jc.default_court
                ),
            )
        )
    if others:
        rows.append(
            (button("agreements.btn_jc_same_court", f"ag:jc:c:{jc.id}:o", court=others[0]),)
        )
    if not _by_inviting_court(jc):
        rows.append(
            (
                button("agreements.btn_jc_domicile", f"ag:jc:c:{jc.id}:p"),
                button("agreements.btn_jc_subject", f"ag:jc:c:{jc.id}:s"),
            )
        )
    return [
        Reply(
            Msg("agreements.jc_ask_court", {"deadline": jc.deadline.isoformat()}),
            buttons=tuple(rows),
        )
    ]


async def _courtbutton(
    turn: Turn, jc: JudicialConfirmation, room: Room, consent: ConfirmationConsent, choice: str
) -> list[Reply]:
    if consent.consent is not True or not consent.service_address:
        return [reply("bot.stale_button")]
    if choice == "d" and jc.default_court:
        chosen = CourtBasis.INVITING_COURT if _by_inviting_court(jc) else CourtBasis.ORGANISATION
        consent.court, consent.court_basis = jc.default_court, chosen.value
        return await maybe_apply(turn, jc, room)
    if choice == "o":
        other = next(
            (c for c in await consents_of(turn.session, jc.id) if c.id != consent.id and c.court),
            None,
        )
        if other is None:
            return [reply("bot.stale_button")]
        consent.court, consent.court_basis = other.court, other.court_basis
        return await maybe_apply(turn, jc, room)
    basis = {"p": CourtBasis.PARTY_DOMICILE, "s": CourtBasis.SUBJECT_MATTER}.get(choice)
    if basis is None or _by_inviting_court(jc):
        return [reply("bot.stale_button")]
    turn.put(PENDING, AwaitCourtName(jc.id, basis.value))
    return [question("agreements.jc_ask_court_name", basis=Msg(f"agreements.basis_{basis.value}"))]


async def on_text(
    turn: Turn,
    who: features.Who,
    pending: AwaitServiceAddress | AwaitPhone | AwaitCourtName,
    text: str,
) -> list[Reply]:
    found = await _mine(turn, pending.jc, who.user_id)
    if isinstance(found, Reply):
        turn.put(PENDING, None)
        return [found]
    jc, room, consent = found
    try:
        if isinstance(pending, AwaitServiceAddress):
            consent.service_address = clean_text(text, max_len=200, min_len=4)
            return await _after_address(turn, jc, room, consent)
        if isinstance(pending, AwaitPhone):
            party = await _party(turn.session, room, consent)
            if party is not None:
                from core import crypto

                party.phone = normalise_phone(text)
                party.phone_hash = crypto.blind_index(party.phone)
            return await _ask_court(turn, jc, consent)
        if isinstance(pending, AwaitCourtName):
            choice = check_court(
                CourtChoice(text, CourtBasis(pending.basis)),
                referred_by_court=room.case.source == "court_referral",
            )
            consent.court, consent.court_basis = choice.court, choice.basis.value
            turn.put(PENDING, None)
            return await maybe_apply(turn, jc, room)
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)]
    turn.put(PENDING, None)
    return [reply("bot.stale_button")]


def _as_agent(consents: list[ConfirmationConsent]) -> list[ConfirmationConsent]:
    """Someone who signed for several parties (an agent, a guardian) answers once for all of
    them: their answer is copied to the other parties' consents they hold."""
    answered: dict[int, ConfirmationConsent] = {}
    for c in consents:
        if c.consent is not None and c.member_id not in answered:
            answered[c.member_id] = c
    for c in consents:
        first = answered.get(c.member_id)
        if first is not None and first is not c:
            c.consent, c.answered_at = first.consent, first.answered_at
            c.court, c.court_basis = first.court, first.court_basis
            c.service_address = c.service_address or first.service_address
    return consents


async def maybe_apply(turn: Turn, jc: JudicialConfirmation, room: Room) -> list[Reply]:
    """Generate the application once every party consented to the same court."""
    consents = _as_agent(await consents_of(turn.session, jc.id))
    choices = {
        c.signer_id: CourtChoice(c.court, CourtBasis(c.court_basis or "organisation"))
        if c.consent and c.court
        else None
        for c in consents
    }
    signers = [c.signer_id for c in consents]
    court = joint_court(choices, signers)
    if court is None:
        if all(choices.values()):
            courts = "、".join(dict.fromkeys(c.court for c in choices.values() if c))
            for c in consents:
                member = room.by_id(c.member_id)
                address = room.addresses.get(member.id) if member else None
                if address is not None:
                    send(
                        turn.out,
                        address,
                        Msg("agreements.jc_court_mismatch", {"courts": courts}),
                        [[Btn(Msg("agreements.btn_jc_change_court"), f"ag:jc:y:{jc.id}")]],
                    )
            return []
        return [reply("agreements.jc_recorded")]
    parties = await load_parties(turn.session, room)
    agreement = await turn.session.get_one(Document, jc.agreement_id)
    content = application_content(turn, room, jc, agreement, consents, parties, court)
    missing = missing_fields(get_spec(APPLICATION), content)
    if missing:
        return [reply("agreements.err_missing_fields", fields=", ".join(missing))]
    existing = (
        await turn.session.execute(
            select(Document.version).where(
                Document.case_id == room.case.id, Document.kind == APPLICATION
            )
        )
    ).scalars()
    mediator = room.of_staff(room.case.mediator_id) if room.case.mediator_id else None
    doc = Document(
        public_id=new_public_id(),
        case_id=room.case.id,
        kind=APPLICATION,
        version=max(existing, default=0) + 1,
        status="issued",
        content=content,
        sha256=version_hash(content),
        deliver_to=[c.member_id for c in consents] + ([mediator.id] if mediator else []),
        render_status="pending",
        created_by="system",
        created_at=turn.now,
    )
    turn.session.add(doc)
    await turn.session.flush()
    jc.status, jc.court, jc.court_basis = "applied", court.court, court.basis.value
    jc.application_id, jc.updated_at = doc.id, turn.now
    wake_after_commit(turn.session, turn.shared)
    return [reply("agreements.jc_generating", court=court.court)]


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
