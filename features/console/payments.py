"""Payments in the console: the case's payment plan as staff read it, and correcting a payee's
confirmation with a reason (the negotiation feature's use case; here the role, the unit, the
reason and the audit entry, in one transaction)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from features.console import audit
from features.console.case_actions import ActionError, CaseActions, _reason
from features.console.case_view import load_case
from features.console.context import StaffContext
from features.negotiation.correction import (
    InstalmentLine,
    NotCorrectable,
    instalments_of,
    undo_confirmation,
)
from mediation.staff_permissions import Action
from services.delivery import Address, Outgoing
from services.room import load_room


async def payment_plan(
    actions: CaseActions, staff: StaffContext, case_id: int
) -> list[InstalmentLine]:
    staff.require(Action.VIEW_CASE)
    async with actions.db.read() as session:
        case = await load_case(session, staff, case_id)
        return await instalments_of(session, case.id)


async def correct_confirmation(
    actions: CaseActions,
    staff: StaffContext,
    case_id: int,
    instalment_id: int | None,
    reason: str,
    ip: str,
    tz: ZoneInfo,
) -> None:
    """Undo a payee's "received" on one instalment; a reason is required (audited)."""
    staff.require(Action.CHANGE_STATUS)
    now = actions.clock.now()
    async with actions.db.write() as session:
        case = await load_case(session, staff, case_id, lock=True)
        why = _reason(reason, required=True)
        room = await load_room(session, case.id, lock=True)
        if room is None or instalment_id is None:
            raise ActionError("console.case.error.payment_not_confirmed")
        out = Outgoing(Address("console", "-", "zh-CN"))
        try:
            inst = await undo_confirmation(
                session, room, instalment_id, reason=why, actor=staff.actor, now=now, tz=tz, out=out
            )
        except NotCorrectable:
            raise ActionError("console.case.error.payment_not_confirmed") from None
        audit.record(
            session,
            at=now,
            action="payment_correct",
            staff=staff,
            ip=ip,
            case_id=case.id,
            unit_code=case.unit_code,
            target=case.number,
            data={"instalment": inst.seq, "status": inst.status},
        )
        queued = await out.flush(session)
    if actions.deliver is not None and queued:
        actions.deliver(queued)
