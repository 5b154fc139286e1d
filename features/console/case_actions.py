"""What staff do to a case: reveal personal data, assign, set risk, escalate, note, change status.

Each action is one write transaction that locks the case row, checks the role and the unit,
changes the case, appends a ``CaseEvent`` (the timeline: who, when, why) and, where the issue
asks for it, an audit entry — all or nothing. Problems a person can fix (an empty reason, a
status change the state machine forbids) raise :class:`ActionError` with a catalog key, so the
page explains them in the reader's language; status changes go through
``mediation.case_state.transition`` only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from core.clock import Clock
from features.console import audit
from features.console.case_view import PII_FIELDS, STAFF_EVENTS, load_case
from features.console.context import NotFound, StaffContext
from features.console.risk import AlertNotice, RiskService
from mediation import particulars
from mediation import risk as domain
from mediation.case_state import TERMINAL, CaseStatus, InvalidTransition, transition
from mediation.case_state import CaseEvent as Transition
from mediation.replies import Msg
from mediation.room import MemberStatus, Role
from mediation.staff_permissions import Action, related_units
from mediation.units import UnitDirectory
from mediation.validation import InvalidInput
from services import case_watch
from services.cases import add_event
from services.delivery import Address, Outgoing
from services.outbox import QueuedMessage
from services.room import announce, load_room
from services.timers import cancel_timers
from storage.db import Database
from storage.document_models import Document
from storage.models import Case, CaseMember, CaseMessage, CaseParty, StaffAccount

MAX_NOTE = 2000
MAX_REASON = 500
#: ``Case.outcome`` in the words the mediation room uses (features.room.staff_cases.OUTCOMES).
OUTCOME_OF: dict[CaseStatus, str] = {
    CaseStatus.AGREED: "success",
    CaseStatus.CLOSED: "success",
    CaseStatus.FAILED: "failed",
    CaseStatus.WITHDRAWN: "withdrawn",
    CaseStatus.TRANSFERRED: "transferred",
    CaseStatus.REJECTED: "rejected",
}
#: The room's deadline reminders, cancelled when a case ends (as features.room.staff does).
DEADLINES = ("3d", "1d", "due")


@dataclass
class ActionError(Exception):
    """A refusal to explain to the user: ``key`` is a catalog key, ``params`` its values.
    A refused form may list every problem found at once (``problems``: each a catalogue key,
    the form field it is about, "" for none, and its values); ``key`` then sums them up."""

    key: str
    params: dict[str, object] = field(default_factory=dict)
    problems: tuple[tuple[str, str, dict[str, object]], ...] = ()


#: Documents that record the parties' own assent: a 协议书 every party signed (人民调解法
#: 第二十九条), an oral agreement each confirmed in the chat (第二十八条、第三十条), a 治安调解协议书
#: both signed (治安管理处罚法 第九条; 公安机关办理行政案件程序规定 第一百八十四条).
ASSENT_KINDS = ("mediation_agreement", "oral_agreement", "police_agreement")


async def _parties_confirmed(session: AsyncSession, case_id: int) -> bool:
    """Whether the case has an agreement in force that its parties signed or confirmed: staff
    cannot mark a case agreed on their own word, the parties' assent is what binds them."""
    found = await session.execute(
        select(Document.id).where(
            Document.case_id == case_id,
            Document.kind.in_(ASSENT_KINDS),
            Document.status == "effective",
        )
    )
    return found.first() is not None


def _reason(text: str, *, required: bool) -> str:
    text = text.strip()
    if required and len(text) < 2:
        raise ActionError("console.case.error.reason_required")
    if len(text) > MAX_REASON:
        raise ActionError("console.case.error.too_long", {"max": MAX_REASON})
    return text


class CaseActions:
    def __init__(
        self,
        db: Database,
        units: UnitDirectory,
        clock: Clock,
        risk: RiskService,
        deliver: Callable[[list[QueuedMessage]], None] | None = None,
    ) -> None:
        self.db = db
        self.units = units
        self.clock = clock
        self.risk = risk
        #: Hands room announcements to the bot's sender (None: recorded, not sent).
        self.deliver = deliver

    async def assign_lawyer(
        self, staff: StaffContext, case_id: int, lawyer_id: int | None, ip: str
    ) -> None:
        """Seat a volunteer lawyer in the case's room (labelled 律师); the room is told."""
        staff.require(Action.ASSIGN)
        async with acting(self.db, self.clock, staff, case_id, ip, open_only=True) as act:
            session, case, now = act.session, act.case, act.now
            lawyer = await self._eligible(session, case, lawyer_id, "lawyer")
            room = await load_room(session, case.id)
            assert room is not None
            if room.of_staff(lawyer.id) is not None:
                return
            member = CaseMember(
                case_id=case.id, role=Role.LAWYER.value, staff_id=lawyer.id, joined_at=now
            )
            session.add(member)
            await session.flush()
            act.trace(
                kind="lawyer_assigned",
                event_data={"to": lawyer.id, "to_name": lawyer.display_name},
                action="assign_lawyer",
                audit_data={"to": lawyer.id},
            )
            queued = await self._tell_room(
                session, case.id, Msg("room.joined", {"who": Msg("role.lawyer")}), now
            )
        self._send(queued)

    async def reveal(
        self, staff: StaffContext, case_id: int, party_id: int, field_name: str, ip: str
    ) -> None:
        """Record that the staff member is about to see one field in full (the page shows it)."""
        staff.require(Action.REVEAL_PII)
        if field_name not in PII_FIELDS:
            raise ActionError("console.case.error.bad_field")
        async with self.db.write() as session:
            case = await load_case(session, staff, case_id)
            party = await session.get(CaseParty, party_id)
            if party is None or party.case_id != case.id:
                raise NotFound()
            target, data = f"party:{party.id}:{field_name}", {"side": party.side}
            self._audit_reveal(session, staff, case, ip, target, data)

    async def reveal_message(
        self, staff: StaffContext, case_id: int, message_id: int, ip: str
    ) -> None:
        """Record that the staff member is about to see one room message as typed (its
        phone, ID or bank card numbers unmasked; the page shows it)."""
        staff.require(Action.REVEAL_PII)
        async with self.db.write() as session:
            case = await load_case(session, staff, case_id)
            row = await session.get(CaseMessage, message_id)
            if row is None or row.case_id != case.id or row.kind == "event":
                raise NotFound()
            self._audit_reveal(session, staff, case, ip, f"message:{row.id}")

    def _audit_reveal(
        self,
        session: AsyncSession,
        staff: StaffContext,
        case: Case,
        ip: str,
        target: str,
        data: dict[str, Any] | None = None,
        action: str = "reveal",
    ) -> None:
        """Who saw (or, with ``action``, changed) what in full, and when: the audit entry it
        leaves, in its transaction."""
        audit.record(
            session,
            at=self.clock.now(),
            action=action,
            staff=staff,
            ip=ip,
            case_id=case.id,
            target=target,
            data={"case": case.number, **(data or {})},
        )

    async def assign(
        self, staff: StaffContext, case_id: int, mediator_id: int | None, ip: str
    ) -> None:
        staff.require(Action.ASSIGN)
        async with acting(self.db, self.clock, staff, case_id, ip, open_only=True) as act:
            session, case, now = act.session, act.case, act.now
            name = ""
            if mediator_id is not None:
                name = (await self._eligible(session, case, mediator_id, "mediator")).display_name
            if case.mediator_id == mediator_id:
                return
            before = case.mediator_id
            case.mediator_id, case.updated_at = mediator_id, now
            await _seat_mediator(session, case.id, before, mediator_id, now)
            act.trace(
                kind="assigned",
                event_data={"from": before, "to": mediator_id, "to_name": name},
                action="assign",
                audit_data={"from": before, "to": mediator_id},
            )

    async def set_risk(
        self, staff: StaffContext, case_id: int, level_value: str, reason: str, ip: str
    ) -> None:
        staff.require(Action.SET_RISK)
        try:
            level = domain.RiskLevel(level_value)
        except ValueError:
            raise ActionError("console.case.error.bad_level") from None
        why = _reason(reason, required=True)
        notices: list[AlertNotice] = []
        async with acting(self.db, self.clock, staff, case_id, ip, open_only=True) as act:
            session, case, now = act.session, act.case, act.now
            before = domain.parse_level(case.risk)
            if before == level:
                return
            case.risk, case.updated_at = level.value, now
            act.trace(
                kind="risk",
                event_data={"from": before.value, "to": level.value, "reason": why},
                action="risk_change",
                audit_data={"from": before.value, "to": level.value},
            )
            await case_watch.risk_raised(session, case, before, now)
            if domain.needs_alert(level) and domain.RANK[level] > domain.RANK[before]:
                notices.append(
                    await self.risk.raise_alerts(
                        session,
                        case,
                        level,
                        "risk",
                        ("manual",),
                        data={"reason": why, "by": staff.display_name},
                    )
                )
        await self.risk.notify(notices)

    async def escalate(self, staff: StaffContext, case_id: int, reason: str, ip: str) -> str:
        """Move the case to the parent unit; returns the new unit's code."""
        staff.require(Action.ESCALATE)
        why = _reason(reason, required=True)
        notices: list[AlertNotice] = []
        async with acting(self.db, self.clock, staff, case_id, ip, open_only=True) as act:
            session, case, now = act.session, act.case, act.now
            target = domain.escalation_target(self.units, case.unit_code)
            if target is None:
                raise ActionError("console.case.error.top_unit")
            before = case.unit_code
            case.unit_code, case.updated_at = target, now
            act.trace(
                kind="escalated",
                event_data={"from": before, "to": target, "reason": why},
                action="escalate",
                audit_data={"from": before, "to": target, "reason": why},
                unit_code=before,
            )
            notices.append(
                await self.risk.raise_alerts(
                    session,
                    case,
                    domain.parse_level(case.risk),
                    "escalated",
                    (),
                    units=(target,),
                    data={"from": before, "reason": why, "by": staff.display_name},
                )
            )
        await self.risk.notify(notices)
        return target

    async def add_note(self, staff: StaffContext, case_id: int, text: str) -> None:
        """A staff-only note (never shown to parties): a ``note`` event on the timeline."""
        staff.require(Action.ADD_NOTE)
        text = text.strip()
        if not text:
            raise ActionError("console.case.error.note_empty")
        if len(text) > MAX_NOTE:
            raise ActionError("console.case.error.too_long", {"max": MAX_NOTE})
        async with self.db.write() as session:
            case = await load_case(session, staff, case_id)
            add_event(
                session,
                case.id,
                self.clock.now(),
                staff.actor,
                kind="note",
                data={"text": text, "staff_only": True},
            )

    async def record_particulars(
        self, staff: StaffContext, case_id: int, party_id: int, typed: dict[str, str], ip: str
    ) -> list[str]:
        """Staff enter or correct a party's particulars (性别、出生日期或年龄、民族、职业、住址、
        电话) as the 申请书 and the 协议书 print them — for a party not in the chat, or one who
        told them in person. Each filled field is read by the same rules as the party's own
        answer (``mediation.particulars``); an empty field leaves the record as it is. The
        timeline and the audit name the fields, never the values. Returns the fields set."""
        staff.require(Action.REVEAL_PII)
        today = self.clock.now().date()  # (only to refuse a birth date in the future)
        values: dict[str, Any] = {}
        for name in particulars.Field:
            text = typed.get(name.value, "").strip()
            if not text:
                continue
            try:
                values.update(particulars.read(name, text, today))
            except InvalidInput as exc:
                raise ActionError(exc.key, dict(exc.params)) from None
        if not values:
            raise ActionError("console.case.error.particulars_empty")
        async with self.db.write() as session:
            case = await load_case(session, staff, case_id)
            party = await session.get(CaseParty, party_id)
            if party is None or party.case_id != case.id:
                raise NotFound()
            for column, value in values.items():
                setattr(party, column, value)
            if values.get("phone"):  # as the draft does: an invitation's hash stays
                party.phone_hash = party.phone_hash or crypto.blind_index(values["phone"])
            fields = [f.value for f in particulars.Field if typed.get(f.value, "").strip()]
            add_event(
                session,
                case.id,
                self.clock.now(),
                staff.actor,
                kind="particulars",
                data={"side": party.side, "ordinal": party.ordinal, "fields": fields},
            )
            self._audit_reveal(
                session, staff, case, ip, f"party:{party.id}", {"fields": fields}, "particulars"
            )
        return fields

    async def change_status(
        self, staff: StaffContext, case_id: int, event_value: str, reason: str, ip: str
    ) -> str:
        """Apply a state-machine event; returns the new status."""
        staff.require(Action.CHANGE_STATUS)
        if not event_value.strip():  # the form preselects no step (nothing recorded unasked)
            raise ActionError("console.case.error.no_event")
        try:
            event = Transition(event_value)
        except ValueError:
            raise ActionError("console.case.error.bad_event") from None
        if event not in STAFF_EVENTS:
            raise ActionError("console.case.error.bad_event")
        async with acting(self.db, self.clock, staff, case_id, ip, open_only=False) as act:
            session, case, now = act.session, act.case, act.now
            before = CaseStatus(case.status)
            try:
                after = transition(before, event)
            except InvalidTransition:
                raise ActionError(
                    "console.case.error.transition",
                    {
                        "status": Msg(f"status.{before.value}"),
                        "event": Msg(f"console.event.{event.value}"),
                    },
                ) from None
            if after is CaseStatus.AGREED and not await _parties_confirmed(session, case.id):
                raise ActionError("console.case.error.agreed_needs_parties")
            why = _reason(reason, required=after in TERMINAL)
            case.status, case.updated_at = after.value, now
            if after in OUTCOME_OF:
                case.outcome, case.outcome_reason = OUTCOME_OF[after], why or case.outcome_reason
            if after in TERMINAL:
                case.closed_at, case.session_open = now, False
                await cancel_timers(session, [f"deadline:{case.id}:{k}" for k in DEADLINES])
            change = {"from": before.value, "to": after.value, "event": event.value}
            act.trace(
                kind="status",
                event_data={**change, "reason": why},
                action="status_change",
                audit_data=change,
            )
            # The people in the room learn of it at once, as when the mediator acts in chat.
            note: str | Msg = why or Msg("intake.not_given")
            message = Msg(
                "room.status_changed", {"status": Msg(f"status.{after.value}"), "reason": note}
            )
            queued = await self._tell_room(session, case.id, message, now)
        self._send(queued)
        return after.value

    async def _eligible(
        self, session: AsyncSession, case: Case, staff_id: int | None, role: str
    ) -> StaffAccount:
        """An active ``role`` account of the case's unit or one above or below it."""
        account = await session.get(StaffAccount, staff_id) if staff_id else None
        if (
            account is None
            or account.role != role
            or not account.active
            or account.unit_code not in related_units(self.units, case.unit_code)
        ):
            raise ActionError(f"console.case.error.bad_{role}")
        return account

    async def _tell_room(
        self, session: AsyncSession, case_id: int, message: Msg, now: datetime
    ) -> list[QueuedMessage]:
        """Announce in the case's room (recorded, and queued for everyone present)."""
        room = await load_room(session, case_id)
        out = Outgoing(Address("console", "-", "zh-CN"))
        if room is not None:
            await announce(session, room, message, out, now)
        return await out.flush(session)

    def _send(self, queued: list[QueuedMessage]) -> None:
        if self.deliver is not None and queued:
            self.deliver(queued)


async def _seat_mediator(
    session: AsyncSession, case_id: int, before: int | None, after: int | None, now: datetime
) -> None:
    """Keep the room's membership in step: the new mediator joins the room (as taking a case
    from the queue does), the one replaced leaves it."""
    members = list(
        (
            await session.execute(
                select(CaseMember).where(
                    CaseMember.case_id == case_id,
                    CaseMember.role == Role.MEDIATOR.value,
                    CaseMember.status != MemberStatus.REMOVED.value,
                )
            )
        ).scalars()
    )
    for m in members:
        if before is not None and m.staff_id == before:
            m.status, m.left_at = MemberStatus.REMOVED.value, now
    if after is not None and not any(m.staff_id == after for m in members):
        session.add(
            CaseMember(case_id=case_id, role=Role.MEDIATOR.value, staff_id=after, joined_at=now)
        )


@dataclass(frozen=True)
class StaffAct:
    """One staff action on one case, inside its write transaction with the case row locked:
    what the action's traces need, gathered once instead of passed to every call."""

    session: AsyncSession
    case: Case
    staff: StaffContext
    ip: str
    now: datetime

    def trace(
        self,
        *,
        kind: str,
        event_data: dict[str, Any],
        action: str,
        audit_data: dict[str, Any],
        unit_code: str | None = None,
    ) -> None:
        """A staff action leaves two traces: an event on the case's timeline (what happened,
        for everyone working the case) and an audit entry (who did it from where, for
        admins). ``kind`` is written literally at each call (the timeline labels test reads
        it there)."""
        case = self.case
        add_event(self.session, case.id, self.now, self.staff.actor, kind=kind, data=event_data)
        audit.record(
            self.session,
            at=self.now,
            action=action,
            staff=self.staff,
            ip=self.ip,
            case_id=case.id,
            unit_code=unit_code or case.unit_code,
            target=case.number,
            data=audit_data,
        )


@asynccontextmanager
async def acting(
    db: Database, clock: Clock, staff: StaffContext, case_id: int, ip: str, *, open_only: bool
) -> AsyncIterator[StaffAct]:
    """The write transaction of one staff action: the case locked and in the staff member's
    scope (a case out of reach is :class:`NotFound`), and with ``open_only`` still open."""
    now = clock.now()
    async with db.write() as session:
        case = await load_case(session, staff, case_id, lock=True)
        if open_only and CaseStatus(case.status) in TERMINAL:
            raise ActionError("console.case.error.closed")
        yield StaffAct(session, case, staff, ip, now)


async def staff_names(db: Database, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    async with db.read() as session:
        rows = await session.execute(
            select(StaffAccount.id, StaffAccount.display_name).where(StaffAccount.id.in_(ids))
        )
        return {i: n for i, n in rows}
