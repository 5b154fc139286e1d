"""Inviting the other side, joining by link or code, accepting or declining.

人民调解法 第十七条: if one party clearly refuses mediation, it must not go ahead — a decline (or
an invitation left to expire) closes the case as 不予受理, and the applicant is told the other
routes for that kind of dispute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from mediation import invitations as inv
from mediation.case_state import CaseEvent, CaseStatus, transition
from mediation.disputes import OTHER_ROUTES, DisputeType
from mediation.masking import mask_name
from mediation.replies import Button, Msg, Reply, button
from services.cases import add_event
from services.delivery import Address, Outgoing, staff_addresses
from services.room import Room, announce, load_room
from services.timers import cancel_timers, schedule
from storage.models import Case, CaseMember, CaseParty, Invitation, StaffAccount


@dataclass(frozen=True)
class IssuedInvite:
    invitation: Invitation
    token: str
    code: str


async def issue(
    session: AsyncSession,
    case: Case,
    party: CaseParty,
    *,
    created_by: str,
    now: datetime,
    ttl: timedelta,
    phone: str | None = None,
) -> IssuedInvite:
    """A fresh single-use invitation for one party row; an expiry timer goes with it."""
    new = inv.new_invitation(now, ttl)
    row = Invitation(
        case_id=case.id,
        party_id=party.id,
        role=party.side,
        token_digest=new.token_digest,
        code_digest=new.code_digest,
        phone_hash=crypto.blind_index(phone) if phone else None,
        created_by=created_by,
        created_at=now,
        expires_at=new.expires_at,
    )
    session.add(row)
    await session.flush()
    await schedule(
        session, f"invite:{row.id}", "invite_expiry", new.expires_at, {"invitation_id": row.id}
    )
    return IssuedInvite(row, new.token, new.code)


def invite_replies(issued: IssuedInvite, link: str | None) -> list[Reply]:
    """What the inviter receives: the link, the same link as a QR image, and the short code."""
    params = {
        "code": inv.format_code(issued.code),
        "days": max(
            1,
            round(
                (issued.invitation.expires_at - issued.invitation.created_at).total_seconds()
                / 86400
            ),
        ),
    }
    if link is None:
        return [Reply(Msg("invite.code_only", params))]
    return [Reply(Msg("invite.link", {**params, "link": link}))]


async def find(session: AsyncSession, secret: str) -> Invitation | None:
    """By deep-link token or by short code (as typed or pasted: see ``secret_in``)."""
    secret = inv.secret_in(secret) or secret
    if inv.is_token(secret):
        digest = inv.digest(secret)
        stmt = select(Invitation).where(Invitation.token_digest == digest)
    else:
        code = inv.normalise_code(secret)
        if code is None:
            return None
        stmt = select(Invitation).where(Invitation.code_digest == inv.digest(code))
    return (await session.execute(stmt.with_for_update())).scalar_one_or_none()


def problem(invitation: Invitation | None, now: datetime) -> str | None:
    """Catalog key explaining why this invitation cannot be used, or None."""
    if invitation is None:
        return "invite.invalid"
    status = inv.InvitationStatus(invitation.status)
    if status is inv.InvitationStatus.PENDING and now >= invitation.expires_at:
        return "invite.expired"
    if status is not inv.InvitationStatus.PENDING:
        return f"invite.already_{status.value}"
    return None


async def summary(session: AsyncSession, invitation: Invitation) -> Reply:
    """The neutral summary and voluntary-mediation notice the invitee sees first."""
    case = await session.get_one(Case, invitation.case_id)
    applicant = (
        (
            await session.execute(
                select(CaseParty)
                .where(CaseParty.case_id == case.id, CaseParty.side == "applicant")
                .order_by(CaseParty.id)
            )
        )
        .scalars()
        .first()
    )
    if case.source == "street":
        return await _recorded_summary(session, case, invitation)
    return Reply(
        Msg(
            "invite.summary",
            {
                "number": case.number,
                "type": Msg(f"dispute.{case.dispute_type}"),
                "applicant": mask_name(applicant.name if applicant else ""),
                "claims": case.claims,
                "role": Msg(f"role.{invitation.role}"),
            },
        ),
        buttons=answer_buttons(invitation),
    )


async def _recorded_summary(session: AsyncSession, case: Case, invitation: Invitation) -> Reply:
    """A case staff registered for the parties (features.street): nobody consented yet, so the
    invitee sees the record as it was written down about them and confirms it (and consents to
    mediation) or declines; nothing is presumed (人民调解法 第十七条)."""
    party = await session.get(CaseParty, invitation.party_id) if invitation.party_id else None
    return Reply(
        Msg(
            "invite.summary_recorded",
            {
                "number": case.number,
                "type": Msg(f"dispute.{case.dispute_type}"),
                "place": case.place,
                "facts": case.facts,
                "name": (party.name if party is not None else "") or Msg("invite.name_unknown"),
                "role": Msg(f"role.{invitation.role}"),
            },
        ),
        buttons=(
            (button("invite.btn_confirm_record", f"j:accept:{invitation.id}"),),
            (button("invite.btn_record_wrong", f"j:wrong:{invitation.id}"),),
            (button("invite.btn_decline", f"j:decline:{invitation.id}"),),
        ),
    )


def answer_buttons(invitation: Invitation) -> tuple[tuple[Button, ...], ...]:
    """Taking part or not, asked again after the invitee corrected the record."""
    return (
        (button("invite.btn_accept", f"j:accept:{invitation.id}"),),
        (button("invite.btn_decline", f"j:decline:{invitation.id}"),),
    )


async def correct_record(
    session: AsyncSession,
    invitation: Invitation,
    user_id: int,
    text: str,
    out: Outgoing,
    now: datetime,
) -> None:
    """The invitee says the record staff wrote about them is wrong (``记录有误``), and how.

    The record a staff member wrote stays as it was (it is the case file's); the correction
    is kept beside it on the case's timeline (``record_corrected``) and goes to whoever can
    check it: the case's mediators in the room and the staff member who registered it. The
    applicant of a party-filed case corrects their own record before filing (the intake's
    confirmation step); this is the invitee's way to do the same for a record made for them.
    """
    room = await _room_of(session, invitation)
    case = room.case
    add_event(
        session,
        case.id,
        now,
        f"user:{user_id}",
        kind="record_corrected",
        data={"side": invitation.role, "reason": text},
    )
    notice = Reply(
        Msg(
            "invite.record_corrected",
            {"number": case.number, "role": Msg(f"role.{invitation.role}"), "text": text},
        )
    )
    to: dict[tuple[str, str], Address] = {}
    for member in room.present():
        address = room.addresses.get(member.id)
        if member.role == "mediator" and address is not None:
            to[(address.channel, address.chat_id)] = address
    registrar = invitation.created_by.removeprefix("staff:")
    staff = await session.get(StaffAccount, int(registrar)) if registrar.isdigit() else None
    if staff is not None:
        for address in (await staff_addresses(session, [staff])).values():
            to[(address.channel, address.chat_id)] = address
    for address in to.values():
        out.send(address, notice)


async def accept(
    session: AsyncSession,
    invitation: Invitation,
    user_id: int,
    out: Outgoing,
    now: datetime,
    mediation_period: timedelta,
) -> Room:
    """Join: the party row is bound to the user, a room member is created, others are told."""
    invitation.status = inv.InvitationStatus.ACCEPTED.value
    invitation.used_at, invitation.used_by_user_id = now, user_id
    await cancel_timers(session, [f"invite:{invitation.id}"])
    party = await session.get_one(CaseParty, invitation.party_id)
    party.user_id, party.status, party.joined_at = user_id, "joined", now
    room = await _room_of(session, invitation, lock=True)
    member = CaseMember(
        case_id=room.case.id,
        role=party.side,
        ordinal=party.ordinal,
        party_id=party.id,
        user_id=user_id,
        joined_at=now,
    )
    session.add(member)
    await session.flush()
    room = await _room_of(session, invitation)
    case = room.case
    add_event(
        session,
        case.id,
        now,
        f"user:{user_id}",
        kind="joined",
        data={"role": party.side, "ordinal": party.ordinal},
    )
    if case.status == CaseStatus.SUBMITTED.value and _each_side_joined(room):
        await _accept_case(session, case, now, mediation_period)
    others = [m for m in room.present() if m.id != member.id]
    await announce(
        session,
        room,
        Msg(
            "room.joined",
            {
                "who": Msg(
                    f"role.{party.side}" if party.ordinal == 1 else f"role.{party.side}_n",
                    {"n": party.ordinal},
                )
            },
        ),
        out,
        now,
        audience=others,
    )
    return room


async def _accept_case(
    session: AsyncSession, case: Case, now: datetime, mediation_period: timedelta
) -> None:
    """受理: the mediation period starts when the case is accepted."""
    case.status = transition(CaseStatus(case.status), CaseEvent.RESPONDENT_ACCEPTS).value
    case.updated_at = now
    case.deadline_at = now + mediation_period
    await schedule_deadline(session, case)


def _each_side_joined(room: Room) -> bool:
    """The case is accepted (受理) once someone on each side has consented: at once for a case a
    party filed (the applicant consented by filing), and only then for one staff registered
    for the parties."""
    present = {m.role for m in room.present()}
    return {"applicant", "respondent"} <= present


async def schedule_deadline(session: AsyncSession, case: Case) -> None:
    assert case.deadline_at is not None
    for days in (3, 1):
        await schedule(
            session,
            f"deadline:{case.id}:{days}d",
            "deadline_reminder",
            case.deadline_at - timedelta(days=days),
            {"case_id": case.id, "days": days},
        )
    await schedule(
        session,
        f"deadline:{case.id}:due",
        "deadline_reminder",
        case.deadline_at,
        {"case_id": case.id, "days": 0},
    )


async def decline(
    session: AsyncSession,
    invitation: Invitation,
    user_id: int | None,
    reason: str | None,
    out: Outgoing,
    now: datetime,
    *,
    expired: bool = False,
) -> None:
    """Refusal or expiry. The case ends as 不予受理 if nobody on the other side joined."""
    invitation.status = (
        inv.InvitationStatus.EXPIRED if expired else inv.InvitationStatus.DECLINED
    ).value
    invitation.used_at, invitation.used_by_user_id = now, user_id
    invitation.decline_reason = reason
    await cancel_timers(session, [f"invite:{invitation.id}"])
    room = await _room_of(session, invitation, lock=True)
    case = room.case
    add_event(
        session,
        case.id,
        now,
        f"user:{user_id}" if user_id else "system",
        kind="invite_expired" if expired else "declined",
        data={"reason": reason or ""},
    )
    if case.status != CaseStatus.SUBMITTED.value or await _side_still_open(
        session, room, invitation
    ):
        await announce(
            session,
            room,
            Msg("room.invite_declined_one", {"reason": reason or Msg("intake.not_given")}),
            out,
            now,
            audience=[m for m in room.present() if m.role in ("applicant", "mediator")],
        )
        return
    await _reject_case(session, room, user_id, reason, out, now, expired=expired)


async def _side_still_open(session: AsyncSession, room: Room, invitation: Invitation) -> bool:
    """Someone on the invitation's side has joined, or another invitation to it is pending."""
    if any(m.role == invitation.role for m in room.present()):
        return True
    still_waiting = (
        await session.execute(
            select(func.count())
            .select_from(Invitation)
            .where(
                Invitation.case_id == room.case.id,
                Invitation.status == "pending",
                Invitation.role == invitation.role,
            )
        )
    ).scalar_one()
    return bool(still_waiting)


async def _reject_case(
    session: AsyncSession,
    room: Room,
    user_id: int | None,
    reason: str | None,
    out: Outgoing,
    now: datetime,
    *,
    expired: bool,
) -> None:
    """不予受理: nobody on the side invited joined; the parties are told where else to go."""
    case = room.case
    event = CaseEvent.INVITATION_EXPIRES if expired else CaseEvent.RESPONDENT_DECLINES
    before = case.status
    case.status = transition(CaseStatus(case.status), event).value
    # The status change in the case's own history (``main.py check`` replays it in order).
    add_event(
        session,
        case.id,
        now,
        f"user:{user_id}" if user_id else "system",
        kind="status",
        data={"from": before, "to": case.status, "event": event.value},
    )
    case.outcome = "rejected"
    case.outcome_reason = reason or ("invitation expired" if expired else "declined")
    case.closed_at = case.updated_at = now
    routes = [Msg(f"route.{r}") for r in OTHER_ROUTES[DisputeType(case.dispute_type)]]
    key = "room.rejected_expired" if expired else "room.rejected_declined"
    await announce(
        session,
        room,
        Msg(key, {"reason": reason or Msg("intake.not_given"), "routes": routes}),
        out,
        now,
    )


async def _room_of(session: AsyncSession, invitation: Invitation, *, lock: bool = False) -> Room:
    """The room of the case the invitation was made for (the case outlives its invitations)."""
    room = await load_room(session, invitation.case_id, lock=lock)
    assert room is not None
    return room
