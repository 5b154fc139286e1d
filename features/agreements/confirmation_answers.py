"""司法确认: each party's answers to the offer, and the joint application once they agree.

The offer itself, its standing and what follows the application (handed in, the court's
ruling) are :mod:`features.agreements.confirmation`. Here a party consents or declines, gives a
service address (送达地址) and a phone (法释〔2011〕5号 第三条), and chooses the court; someone
who signed for several parties answers once for all of them; when every party consented to
the same court the 司法确认申请书 is generated (人民调解法 第三十三条: the parties apply jointly).
"""

from __future__ import annotations

from typing import Any

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
    question,
    send,
    wake_after_commit,
)
from features.agreements.confirmation import (
    by_inviting_court,
    consents_of,
    record_ruling,
    status_reply,
    submitted,
)
from features.agreements.contexts import load_parties
from features.agreements.store import issue_document
from mediation.agreement import CourtBasis, CourtChoice, check_court, joint_court
from mediation.replies import Msg, Reply, button, reply
from mediation.validation import InvalidInput, clean_text, normalise_phone
from services import features
from services.room import Room, announce, label_of, load_room
from services.turn import Turn
from storage.document_models import ConfirmationConsent, Document, JudicialConfirmation
from storage.models import CaseParty


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
        return await submitted(turn, who, jc_id)
    if verb == "r" and len(parts) == 3 and parts[2] in ("y", "n"):
        return await record_ruling(turn, who, jc_id, valid=parts[2] == "y")
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
    if not by_inviting_court(jc):
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
        chosen = CourtBasis.INVITING_COURT if by_inviting_court(jc) else CourtBasis.ORGANISATION
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
    if basis is None or by_inviting_court(jc):
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
    mediator = room.of_staff(room.case.mediator_id) if room.case.mediator_id else None
    doc = await issue_document(
        turn.session,
        room.case.id,
        APPLICATION,
        content,
        deliver_to=[c.member_id for c in consents] + ([mediator.id] if mediator else []),
        created_by="system",
        now=turn.now,
    )
    await turn.session.flush()
    jc.status, jc.court, jc.court_basis = "applied", court.court, court.basis.value
    jc.application_id, jc.updated_at = doc.id, turn.now
    wake_after_commit(turn.session, turn.shared)
    return [reply("agreements.jc_generating", court=court.court)]
