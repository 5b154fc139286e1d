"""Alerts to the responsible mediator in the chat: batched, outside quiet hours, with the case's
buttons (issue 20).

Three things need a mediator who is not looking: a new case while it is night (by day it is
announced at once, ``features.intake.flow``), a party's messages left unanswered for
``STAFF_AWAY_MINUTES``, and the mediation period running out (3 days, 1 day, due). Each becomes
an :class:`~mediation.staff_alerts.Item` in the staff member's one pending ``staff_alert`` timer
(``staff_alert:<staff id>``): a second item joins the batch and can only bring it forward, and a
due time inside the staff member's quiet hours (their own, set on the console's account page,
else ``STAFF_QUIET_HOURS``) moves to the window's end. When the timer fires, each item
is checked again against the case — taken meanwhile, answered meanwhile, closed — so the alert
says only what is still true, in one message with a row of buttons per case.

A feature's own notices to staff join the same batch (``services.staff_notices``: routine ones
held during the recipient's quiet hours); the feature says what each still means when the batch
fires (:func:`held_line`), so one digest holds the morning's whole picture. When a case turns
dangerous overnight, the feature takes what it held of it out of the batch and sends it at
once (:func:`release`), so the morning does not tell it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from mediation.case_state import ACTIVE, CaseStatus
from mediation.replies import Button, Msg, Reply, button
from mediation.risk import RiskLevel, parse_level
from mediation.room import Role
from mediation.staff_alerts import KINDS, Item, QuietHours, allowed_at, by_case, is_kind, merge
from services.cases import add_event
from services.delivery import Address, Outgoing, staff_addresses
from services.outbox import QueuedMessage
from services.room import Room, label_of, load_room
from services.timers import schedule
from storage.db import insert_for, session_dialect
from storage.models import CaseMessage, StaffAccount, Timer

TIMER_KIND = "staff_alert"
#: A case's held notices sent at once when its risk rose (:func:`release`).
RELEASED_KIND = "staff_alert_released"
#: Alerts raised together (deadlines of several cases falling due at once) go out as one.
BATCH = timedelta(minutes=1)
#: Cases one alert lists with buttons (the rest are in /queue and the console).
MAX_CASES = 8
_SYSTEM = Address("system", "-", "zh-CN")

TimerHandler = Callable[[AsyncSession, Timer, datetime], Awaitable[list[QueuedMessage]]]


@dataclass(frozen=True)
class Held:
    """What a feature's held notice says in the digest, and its case's buttons (if any)."""

    text: Msg
    buttons: tuple[Button, ...] = ()


#: A feature's held notice as it stands when the batch fires (None: no longer true).
HeldLine = Callable[[AsyncSession, Settings, Room, StaffAccount, Item], Awaitable[Held | None]]
#: Item kind (``<feature>.<what>``) → its line, declared by the feature (:func:`held_line`).
HELD_LINES: dict[str, HeldLine] = {}


def held_line(kind: str) -> Callable[[HeldLine], HeldLine]:
    """Declare what the digest says of a feature's held notices of ``kind``."""

    def register(line: HeldLine) -> HeldLine:
        if kind in HELD_LINES or not is_kind(kind) or "." not in kind:
            raise ValueError(f"held notice kind {kind!r}: taken or not <feature>.<what>")
        HELD_LINES[kind] = line
        return line

    return register


@dataclass(frozen=True)
class Policy:
    quiet: QuietHours | None
    tz: ZoneInfo
    away: timedelta

    @classmethod
    def of(cls, settings: Settings, staff: StaffAccount | None = None) -> Policy:
        """The service's policy, with ``staff``'s own quiet hours when they set some."""
        service = cls(
            QuietHours.parse(settings.staff_quiet_hours),
            settings.tz,
            timedelta(minutes=settings.staff_away_minutes),
        )
        return service.own(staff)

    def own(self, staff: StaffAccount | None) -> Policy:
        """This policy with ``staff``'s own quiet hours when they set some."""
        if staff is None or staff.quiet_hours is None:
            return self
        try:
            return replace(self, quiet=QuietHours.parse(staff.quiet_hours))
        except ValueError:
            return self

    def due(self, at: datetime) -> datetime:
        """``at``, or the end of the quiet hours it falls in (UTC)."""
        return allowed_at(self.quiet, at.astimezone(self.tz)).astimezone(UTC)

    def quiet_now(self, now: datetime) -> bool:
        return self.quiet is not None and self.quiet.contains(now.astimezone(self.tz))


def timer_key(staff_id: int) -> str:
    return f"staff_alert:{staff_id}"


async def arm(session: AsyncSession, staff_id: int, item: Item, due: datetime) -> None:
    """Put ``item`` in the staff member's pending batch, due no later than ``due``.

    Usually the item is there already (a party's second message): one read. Otherwise the row
    is made if missing (a no-op when it exists), then locked: two turns adding to one staff
    member's batch at once take turns instead of one overwriting the other's item.
    """
    key = timer_key(staff_id)
    found = (
        await session.execute(
            select(Timer.status, Timer.due_at, Timer.payload).where(Timer.key == key)
        )
    ).first()
    batched = found is not None and found.status == "pending" and found.due_at <= due
    if batched and found is not None and item.to_json() in found.payload.get("items", []):
        return  # already in a batch due as soon: the usual case, one read per message
    insert = insert_for(session_dialect(session))
    await session.execute(
        insert(Timer)
        .values(key=key, kind=TIMER_KIND, due_at=due, payload={}, status="cancelled")
        .on_conflict_do_nothing(index_elements=["key"])
    )
    timer = (
        await session.execute(select(Timer).where(Timer.key == key).with_for_update())
    ).scalar_one_or_none()
    held: list[Item] = []
    if timer is not None and timer.status == "pending":
        held = [i for raw in timer.payload.get("items", []) if (i := Item.from_json(raw))]
        due = min(due, timer.due_at)
    items = merge(held, item)
    payload = {"staff_id": staff_id, "items": [i.to_json() for i in items]}
    await schedule(session, key, TIMER_KIND, due, payload)


async def note_party_message(
    session: AsyncSession, settings: Settings, room: Room, now: datetime
) -> None:
    """A party spoke in a room: if the case's mediator does not answer within
    ``STAFF_AWAY_MINUTES``, they are reminded (the room's copy may have scrolled away among
    other cases' messages)."""
    staff_id = room.case.mediator_id
    mediator = room.of_staff(staff_id) if staff_id is not None else None
    if staff_id is None or mediator is None or mediator.id not in room.addresses:
        return
    policy = Policy.of(settings, await session.get(StaffAccount, staff_id))
    await arm(session, staff_id, Item("away", room.case.id), policy.due(now + policy.away))


async def new_case_waits(
    session: AsyncSession, settings: Settings, staff: StaffAccount, case_id: int, now: datetime
) -> bool:
    """During the staff member's quiet hours a new case waits in their batch for the morning;
    False outside them (the caller announces it at once)."""
    policy = Policy.of(settings, staff)
    if not policy.quiet_now(now):
        return False
    await arm(session, staff.id, Item("new", case_id), policy.due(now))
    return True


def handlers(settings: Settings) -> dict[str, TimerHandler]:
    """The timers this module answers, bound to the service's settings (the composition root
    registers them)."""
    policy = Policy.of(settings)

    async def deadline(session: AsyncSession, timer: Timer, now: datetime) -> list[QueuedMessage]:
        return await deadline_due(session, timer, now, policy)

    async def digest(session: AsyncSession, timer: Timer, now: datetime) -> list[QueuedMessage]:
        return await digest_due(session, timer, now, policy, settings)

    async def released(session: AsyncSession, timer: Timer, now: datetime) -> list[QueuedMessage]:
        return await released_due(session, timer, now, policy, settings)

    return {"deadline_reminder": deadline, TIMER_KIND: digest, RELEASED_KIND: released}


async def deadline_due(
    session: AsyncSession, timer: Timer, now: datetime, policy: Policy
) -> list[QueuedMessage]:
    """The mediation period's 3-day, 1-day and due marks: recorded, then batched for the
    case's mediator."""
    room = await load_room(session, int(timer.payload["case_id"]))
    if room is None or CaseStatus(room.case.status) not in ACTIVE:
        return []
    days = int(timer.payload["days"])
    add_event(session, room.case.id, now, "system", kind="deadline_reminder", data={"days": days})
    if room.case.mediator_id is not None:
        item = Item("deadline", room.case.id, days)
        mediator = await session.get(StaffAccount, room.case.mediator_id)
        await arm(session, room.case.mediator_id, item, policy.own(mediator).due(now + BATCH))
    return []


async def digest_due(
    session: AsyncSession,
    timer: Timer,
    now: datetime,
    policy: Policy,
    settings: Settings | None = None,
) -> list[QueuedMessage]:
    """One message with what is still true of the batch, and each case's buttons."""
    staff = await session.get(StaffAccount, int(timer.payload["staff_id"]))
    # Linked Telegram, else the browser chat of the account's phone (services.delivery).
    address = (await staff_addresses(session, [staff])).get(staff.id) if staff else None
    if staff is None or address is None:
        return []  # neither: the console shows the same cases
    items = [i for raw in timer.payload.get("items", []) if (i := Item.from_json(raw))]
    cases: list[Msg] = []
    rows: list[list[tuple[Button, ...]]] = []
    for room, lines, case_rows in await _still_true(session, staff, items, policy, settings):
        case = room.case
        cases.append(
            Msg(
                "staff_alert.case",
                {
                    "number": case.number,
                    "type": Msg(f"dispute.{case.dispute_type}"),
                    "lines": lines,
                },
            )
        )
        rows.append(case_rows)
    if not cases:
        return []
    out = Outgoing(_SYSTEM)
    text = Msg("staff_alert.digest", {"count": len(cases), "cases": cases[:MAX_CASES]})
    out.send(address, Reply(text, buttons=tuple(r for case in rows[:MAX_CASES] for r in case)))
    return await out.flush(session)


async def _still_true(
    session: AsyncSession,
    staff: StaffAccount,
    items: list[Item],
    policy: Policy,
    settings: Settings | None,
) -> list[tuple[Room, list[Msg], list[tuple[Button, ...]]]]:
    """Each case of ``items`` with the lines still true of it and its rows of buttons (a case
    of which nothing is true any more is left out)."""
    found: list[tuple[Room, list[Msg], list[tuple[Button, ...]]]] = []
    for case_id, case_items in by_case(items).items():
        room = await load_room(session, case_id)
        if room is None:
            continue
        lines: list[Msg] = []
        case_rows: list[tuple[Button, ...]] = []
        for item in case_items:
            if item.kind in KINDS:
                line = await _line(session, room, staff, item, policy)
                lines += [line] if line is not None else []
            elif settings is not None and (say := HELD_LINES.get(item.kind)) is not None:
                held = await say(session, settings, room, staff, item)
                lines += [held.text] if held is not None else []
                case_rows += [held.buttons] if held is not None and held.buttons else []
        if not lines:
            continue
        core = [i for i in case_items if i.kind in KINDS]
        found.append(
            (room, lines, [_buttons(room, staff, core), *case_rows] if core else case_rows)
        )
    return found


def released_key(staff_id: int, case_id: int) -> str:
    return f"{RELEASED_KIND}:{staff_id}:{case_id}"


async def release(
    session: AsyncSession, case_id: int, level: RiskLevel, now: datetime, kinds: str
) -> list[int]:
    """A case's risk rose to ``level``: the notices of it a feature held for the morning (item
    kinds starting with ``kinds``, e.g. ``street.``) leave every pending batch and go now, one
    message per person saying the level (the ``staff_alert_released`` timer, due at once, says
    what is still true of them as the digest would). Returns whose notices were released.

    Why out of the batch: the morning's digest must not tell them again; why a timer rather
    than the message itself: the lines are the feature's (:data:`HELD_LINES`, with the
    service's settings), and a timer due now is sent by the timer loop within its interval,
    after this transaction commits."""
    timers = (
        await session.execute(
            select(Timer)
            .where(Timer.kind == TIMER_KIND, Timer.status == "pending")
            .order_by(Timer.id)
            .with_for_update()
        )
    ).scalars()
    released: list[int] = []
    for timer in list(timers):
        items = [i for raw in timer.payload.get("items", []) if (i := Item.from_json(raw))]
        going = [i for i in items if i.case == case_id and i.kind.startswith(kinds)]
        if not going:
            continue
        staying = [i for i in items if i not in going]
        if staying:
            timer.payload = {**timer.payload, "items": [i.to_json() for i in staying]}
        else:
            timer.status = "cancelled"
        staff_id = int(timer.payload["staff_id"])
        key = released_key(staff_id, case_id)
        pending = (
            await session.execute(
                select(Timer.payload).where(Timer.key == key, Timer.status == "pending")
            )
        ).scalar_one_or_none()
        before = [i for raw in (pending or {}).get("items", []) if (i := Item.from_json(raw))]
        for item in going:
            before = merge(before, item)
        payload = {
            "staff_id": staff_id,
            "case_id": case_id,
            "level": level.value,
            "items": [i.to_json() for i in before],
        }
        await schedule(session, key, RELEASED_KIND, now, payload)
        released.append(staff_id)
    return released


async def released_due(
    session: AsyncSession, timer: Timer, now: datetime, policy: Policy, settings: Settings
) -> list[QueuedMessage]:
    """The notices :func:`release` took out of the batch, now, under the case's risk."""
    staff = await session.get(StaffAccount, int(timer.payload["staff_id"]))
    address = (await staff_addresses(session, [staff])).get(staff.id) if staff else None
    if staff is None or address is None:
        return []
    items = [i for raw in timer.payload.get("items", []) if (i := Item.from_json(raw))]
    level = parse_level(str(timer.payload.get("level", "")))
    out = Outgoing(_SYSTEM)
    for room, lines, rows in await _still_true(session, staff, items, policy, settings):
        case = room.case
        text = Msg(
            "staff_alert.released",
            {
                "number": case.number,
                "type": Msg(f"dispute.{case.dispute_type}"),
                "level": Msg(f"staff_alert.level_{level.value}"),
                "lines": lines,
            },
        )
        out.send(address, Reply(text, buttons=tuple(rows)))
    return await out.flush(session)


async def _line(
    session: AsyncSession, room: Room, staff: StaffAccount, item: Item, policy: Policy
) -> Msg | None:
    case = room.case
    status = CaseStatus(case.status)
    if item.kind == "new":
        waiting = case.mediator_id is None and status in (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED)
        return Msg("staff_alert.new", {"place": case.place}) if waiting else None
    if status not in ACTIVE or case.mediator_id != staff.id:
        return None  # closed, or now someone else's
    if item.kind == "deadline":
        key = "room.deadline_soon" if item.days else "room.deadline_passed"
        return Msg(key, {"days": item.days, "number": case.number})
    return await _unanswered(session, room, staff, policy)


async def _unanswered(
    session: AsyncSession, room: Room, staff: StaffAccount, policy: Policy
) -> Msg | None:
    """The parties' messages since the mediator last wrote in this room."""
    me = room.of_staff(staff.id)
    parties = [
        m.id for m in room.members if m.role in (Role.APPLICANT.value, Role.RESPONDENT.value)
    ]
    if me is None or not parties:
        return None
    last_mine = (
        await session.execute(
            select(func.max(CaseMessage.id)).where(
                CaseMessage.case_id == room.case.id, CaseMessage.author_member_id == me.id
            )
        )
    ).scalar()
    rows = await session.execute(
        select(CaseMessage.author_member_id, CaseMessage.created_at)
        .where(
            CaseMessage.case_id == room.case.id,
            CaseMessage.author_member_id.in_(parties),
            CaseMessage.kind.not_in(("event", "note")),
            CaseMessage.id > (last_mine or 0),
        )
        .order_by(CaseMessage.id)
    )
    waiting = rows.all()
    if not waiting:
        return None
    author, at = waiting[-1]
    member = room.by_id(author) if author is not None else None
    return Msg(
        "staff_alert.away",
        {
            "count": len(waiting),
            "who": label_of(member) if member is not None else "",
            "time": at.astimezone(policy.tz).strftime("%H:%M"),
        },
    )


def _buttons(room: Room, staff: StaffAccount, items: list[Item]) -> tuple[Button, ...]:
    case = room.case
    if any(i.kind == "new" for i in items) and case.mediator_id is None:
        return (button("staff.btn_take", f"m:take:{case.id}", number=case.number),)
    return (
        button("staff_alert.btn_open", f"m:open:{case.id}", number=case.number),
        button("staff_alert.btn_card", f"m:card:{case.id}"),
    )
