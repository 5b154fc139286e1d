"""``/case`` for staff in the chat: a case's facts, claims, parties (masked), documents and
progress, with the buttons that act on it.

Before this, ``/case 1`` answered a mediator "没有找到这个案件" (it looked among the cases the
person had *filed*), and the facts, claims and amount were only in the console (issue 20). A
staff member finds a case by its full number, by its serial (``/case 1`` or ``/case 0001``:
the newest case numbered 第0001号 they may see), or without a number gets the current one.

What they may see follows the console's rule for units: mediating staff and viewers see their
unit's cases and those of the units below it (and any case they mediate); a lawyer only the
cases whose room they are in. Names and phone numbers are masked as in the console's lists;
the progress names who did what, staff by their name (``services.actors``).
"""

from __future__ import annotations

import string
from typing import Any

from sqlalchemy import select

import i18n
from mediation import masking
from mediation.replies import Button, Msg, Reply, button, reply
from mediation.room import Role
from services import actors, mediators
from services.features import timeline_label, timeline_message
from services.room import Room, load_room
from services.turn import Turn, active_room
from storage.document_models import Document
from storage.models import Case, CaseEvent, CaseParty, StaffAccount

#: The newest events shown (the console has the whole timeline).
TIMELINE_LINES = 8
FACTS_CHARS = 1500
DOCUMENT_KINDS = frozenset(
    {"mediation_application", "mediation_agreement", "judicial_confirmation_application"}
)


async def show(turn: Turn, staff: StaffAccount, args: tuple[str, ...]) -> list[Reply]:
    arg = " ".join(args).strip()
    room = await _find(turn, staff, arg)
    if room is None:
        return [reply("staff_case.not_found" if arg else "staff_case.usage")]
    return [await card(turn, staff, room)]


async def show_id(turn: Turn, staff: StaffAccount, case_id: int) -> list[Reply]:
    """The card of one case by id (an alert's "详情" button)."""
    room = await load_room(turn.session, case_id)
    if room is None or not may_see(staff, room, turn):
        return [reply("staff_case.not_found")]
    return [await card(turn, staff, room)]


async def _find(turn: Turn, staff: StaffAccount, arg: str) -> Room | None:
    if not arg:
        found = await active_room(turn, staff_id=staff.id, include_closed=True)
        return found[0] if found else None
    if arg.isdigit():
        pattern = f"%第{int(arg):04d}号"
        stmt = select(Case.id).where(Case.number.like(pattern)).order_by(Case.id.desc())
    else:
        stmt = select(Case.id).where(Case.number == arg)
    for case_id in (await turn.session.execute(stmt.limit(20))).scalars():
        room = await load_room(turn.session, case_id)
        if room is not None and may_see(staff, room, turn):
            return room
    return None


def may_see(staff: StaffAccount, room: Room, turn: Turn) -> bool:
    if room.of_staff(staff.id) is not None or room.case.mediator_id == staff.id:
        return True
    if staff.role == Role.LAWYER.value:
        return False  # lawyers see the cases they were brought into, no others
    return mediators.in_subtree(turn.units, staff.unit_code, room.case.unit_code)


async def card(turn: Turn, staff: StaffAccount, room: Room) -> Reply:
    case = room.case
    tz = turn.settings.tz
    unit = turn.units.by_code.get(case.unit_code)
    parties = (
        await turn.session.execute(
            select(CaseParty)
            .where(CaseParty.case_id == case.id)
            .order_by(CaseParty.side, CaseParty.ordinal)
        )
    ).scalars()
    documents = (
        await turn.session.execute(
            select(Document.kind, Document.version, Document.status)
            .where(Document.case_id == case.id)
            .order_by(Document.id)
        )
    ).all()
    events = list(
        (
            await turn.session.execute(
                select(CaseEvent)
                .where(CaseEvent.case_id == case.id)
                .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
                .limit(TIMELINE_LINES)
            )
        ).scalars()
    )
    party_lines = [
        Msg(
            "staff_case.party",
            {
                "side": Msg(f"role.{p.side}"),
                # A party the applicant could not name (issue 19) reads as such, not blank.
                "name": masking.mask_name(p.name) or Msg("invite.name_unknown"),
                "phone": masking.mask_phone(p.phone) or Msg("staff_case.none"),
                "status": Msg(f"staff_case.party_{p.status}")
                if p.status in ("invited", "joined", "declined", "left")
                else p.status,
            },
        )
        for p in parties
    ]
    document_lines = [
        Msg(
            "staff_case.document",
            {
                "kind": Msg(f"staff_case.doc_{kind}") if kind in DOCUMENT_KINDS else kind,
                "version": version,
                "status": status,
            },
        )
        for kind, version, status in documents
    ]
    # Who acted, by name (staff by their account's name; parties masked, as in the list).
    names = await actors.actor_names(
        turn.session, case.id, {e.actor for e in events}, full_names=False
    )
    timeline = [
        Msg(
            "staff_case.event_by" if e.actor in names else "staff_case.event",
            {
                "at": e.at.astimezone(tz).strftime("%m-%d %H:%M"),
                "who": names.get(e.actor, ""),
                "text": event_label(e),
            },
        )
        for e in reversed(events)
    ]
    facts = case.facts if len(case.facts) <= FACTS_CHARS else case.facts[:FACTS_CHARS] + "…"
    return Reply(
        Msg(
            "staff_case.detail",
            {
                "number": case.number,
                "type": Msg(f"dispute.{case.dispute_type}"),
                "status": Msg(f"status.{case.status}"),
                "unit": unit.name if unit else case.unit_code,
                "date": case.created_at.astimezone(tz).strftime("%Y-%m-%d"),
                "deadline": case.deadline_at.astimezone(tz).strftime("%Y-%m-%d")
                if case.deadline_at
                else Msg("staff_case.none"),
                "mode": Msg(f"room.mode_{case.room_mode}"),
                "place": masking.mask_address(case.place),
                "facts": masking.scrub_digits(facts),
                "claims": masking.scrub_digits(case.claims),
                "amount": f"¥{case.amount:,.2f}" if case.amount is not None else "—",
                "parties": party_lines or Msg("staff_case.none"),
                "documents": document_lines or Msg("staff_case.none"),
                "timeline": timeline or Msg("staff_case.none"),
            },
        ),
        buttons=actions(staff, room, turn),
    )


def actions(staff: StaffAccount, room: Room, turn: Turn) -> tuple[tuple[Button, ...], ...]:
    """What the reader can do with the case from here: take it, or go into its room."""
    case = room.case
    member = room.of_staff(staff.id)
    if member is not None and staff.role == Role.LAWYER.value:
        return ((button("staff_case.btn_enter", f"s:{case.id}"),),)
    if member is not None:
        return (
            (
                button("staff_case.btn_panel", f"m:open:{case.id}"),
                button("staff_case.btn_record", f"m:rec:{case.id}"),
            ),
        )
    if case.mediator_id is None and staff.role in mediators.MEDIATING_ROLES:
        return ((button("staff.btn_take", f"m:take:{case.id}", number=case.number),),)
    return ()


def event_label(event: CaseEvent) -> Msg:
    """A case event in words, with the console's timeline texts where their placeholders can
    be filled from the event; any other event is named by its kind, never dropped."""
    data: dict[str, Any] = dict(event.data or {})
    line = timeline_message(event.kind, data)
    if line.params:
        return line
    params: dict[str, object] = {k: v for k, v in data.items() if isinstance(v, str | int)}
    if event.kind in ("status", "risk"):
        group = "status" if event.kind == "status" else "console.risk"
        params["old"] = Msg(f"{group}.{data.get('from', '')}")
        params["new"] = Msg(f"{group}.{data.get('to', '')}")
    if event.kind == "outcome":
        params["outcome"] = Msg(f"console.outcome.{data.get('outcome', '')}")
    if event.kind == "joined":
        params["role"] = Msg(f"role.{data.get('role', 'applicant')}")
    if event.kind in ("assigned", "lawyer_assigned"):
        params["name"] = str(data.get("to_name") or "")
    key = timeline_label(event.kind)
    template = i18n.catalog("zh-CN").get(key)
    if template is not None and _fields(template) <= set(params):
        return Msg(key, {f: params[f] for f in _fields(template)})
    return Msg("console.timeline.other", {"kind": event.kind})


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}
