"""The case page's actions: assign a mediator or a lawyer, set the risk, escalate, add a note,
change the status, correct a payment. Each calls one use case through ``acted``: the form in,
a refusal's reason on the case page, or a flash and back to the case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from aiohttp import web
from multidict import MultiDictProxy

from features.console import payments
from features.console.case_actions import ActionError, CaseActions
from features.console.context import StaffContext
from features.console.web.core import (
    CONSOLE,
    Console,
    case_id_of,
    client_ip,
    flash,
    form_int,
    lang_of,
    redirect,
    staff_of,
    t,
    unit_name,
)
from features.console.web.views_cases import refused

T = TypeVar("T")


@dataclass(frozen=True)
class CaseAct:
    """What a case action's use case is called with: the console, who acts, on which case, from
    which address, and the posted form."""

    console: Console
    staff: StaffContext
    case_id: int
    ip: str
    form: MultiDictProxy[str | bytes | bytearray | web.FileField]

    @property
    def actions(self) -> CaseActions:
        return self.console.actions

    def field(self, name: str) -> str:
        """A form field as text ("" when it was not sent)."""
        return str(self.form.get(name, ""))


async def acted(
    request: web.Request,
    act: Callable[[CaseAct], Awaitable[T]],
    done: Callable[[T], str],
) -> web.StreamResponse:
    """The shape of every case action: call one use case (``act``, given who acts on which case
    and the form); a refusal re-renders the case page with its reason, success flashes
    ``done(result)`` and goes back to the case."""
    case_id = case_id_of(request)
    acting = CaseAct(
        request.app[CONSOLE], staff_of(request), case_id, client_ip(request), await request.post()
    )
    try:
        result = await act(acting)
    except ActionError as exc:
        return await refused(request, exc)
    await flash(request, done(result))
    raise redirect(request, f"/cases/{case_id}")


def said(request: web.Request, key: str) -> Callable[[object], str]:
    """The flash of an action whose result needs no words of its own."""
    return lambda _: t(request, key)


async def assign(request: web.Request) -> web.StreamResponse:
    return await acted(
        request,
        lambda a: a.actions.assign(a.staff, a.case_id, form_int(a.field("mediator")), a.ip),
        said(request, "console.case.assigned"),
    )


async def assign_lawyer(request: web.Request) -> web.StreamResponse:
    return await acted(
        request,
        lambda a: a.actions.assign_lawyer(a.staff, a.case_id, form_int(a.field("lawyer")), a.ip),
        said(request, "console.case.lawyer_assigned"),
    )


async def set_risk(request: web.Request) -> web.StreamResponse:
    return await acted(
        request,
        lambda a: a.actions.set_risk(a.staff, a.case_id, a.field("level"), a.field("reason"), a.ip),
        said(request, "console.case.risk_set"),
    )


async def escalate(request: web.Request) -> web.StreamResponse:
    """Like the other actions, but the case may leave the staff member's sight: then back to
    the ledger."""
    console = request.app[CONSOLE]
    form = await request.post()
    staff = staff_of(request)
    try:
        target = await console.actions.escalate(
            staff, case_id_of(request), str(form.get("reason", "")), client_ip(request)
        )
    except ActionError as exc:
        return await refused(request, exc)
    unit = unit_name(console.units, lang_of(request), target)
    await flash(request, t(request, "console.case.escalated", unit=unit))
    if staff.sees(target):
        raise redirect(request, f"/cases/{case_id_of(request)}")
    raise redirect(request, "/cases")


async def record_particulars(request: web.Request) -> web.StreamResponse:
    """录入/更正 a party's particulars (features.console.case_actions.record_particulars)."""
    names = ("gender", "birth", "ethnicity", "occupation", "address", "phone")
    return await acted(
        request,
        lambda a: a.actions.record_particulars(
            a.staff,
            a.case_id,
            form_int(a.field("party")) or 0,
            {name: a.field(name) for name in names},
            a.ip,
        ),
        said(request, "console.case.particulars_saved"),
    )


async def add_note(request: web.Request) -> web.StreamResponse:
    return await acted(
        request,
        lambda a: a.actions.add_note(a.staff, a.case_id, a.field("text")),
        said(request, "console.case.note_added"),
    )


async def change_status(request: web.Request) -> web.StreamResponse:
    return await acted(
        request,
        lambda a: a.actions.change_status(
            a.staff, a.case_id, a.field("event"), a.field("reason"), a.ip
        ),
        lambda status: t(
            request, "console.case.status_changed", status=t(request, f"status.{status}")
        ),
    )


async def correct_payment(request: web.Request) -> web.StreamResponse:
    """Undo a payee's confirmation of one instalment, with a reason (audited)."""
    return await acted(
        request,
        lambda a: payments.correct_confirmation(
            a.actions,
            a.staff,
            a.case_id,
            form_int(a.field("instalment")),
            a.field("reason"),
            a.ip,
            a.console.tz,
        ),
        said(request, "console.case.payment_corrected"),
    )
