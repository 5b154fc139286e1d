"""The case-state invariants of :mod:`services.invariants`: no event doubled, and every case's
status what replaying its own history gives.

Why its own module: the replay (which events and room announcements stand for which step of
:mod:`mediation.case_state`, in what order) is the longest of the checks and changes with the
case's life cycle, not with the delivery machinery the other checks watch.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.case_state import CaseEvent as E
from mediation.case_state import CaseStatus, InvalidTransition, transition
from storage.models import Case, CaseEvent, CaseMessage

if TYPE_CHECKING:
    from services.invariants import Report

#: Case events that happen at most once with the same data (a second one means an update or
#: a timer took effect twice).
ONCE_KINDS = (
    "created",
    "joined",
    "mediator_assigned",
    "outcome",
    "agreement_drafted",
    "agreement_revising",
    "agreement_effective",
    "deadline_reminder",
)
OUTCOME_EVENTS = {
    "success": E.AGREE_ORALLY,
    "failed": E.MEDIATION_FAILS,
    "withdrawn": E.WITHDRAW,
    "transferred": E.TRANSFER,
}
#: Room announcements (``case_messages`` of kind ``event``) that record a status change.
ANNOUNCED_EVENTS = {
    "room.rejected_declined": E.RESPONDENT_DECLINES,
    "room.rejected_expired": E.INVITATION_EXPIRES,
}

#: Per case: (time, 0 for an event / 1 for a room announcement, id, step), sorted to replay.
_History = dict[int, list[tuple[datetime, int, int, E | str]]]


async def case_history(s: AsyncSession, r: Report) -> None:
    """No event doubled; every case's status is what replaying its history gives."""
    await _doubled_events(s, r)
    history: _History = defaultdict(list)
    await _recorded_steps(s, history)
    await _announced_steps(s, history)
    await _replay_cases(s, r, history)


async def _doubled_events(s: AsyncSession, r: Report) -> None:
    ev = CaseEvent
    doubled = await s.execute(
        select(ev.case_id, ev.kind, ev.actor, cast(ev.data, String), func.count())
        .where(ev.kind.in_(ONCE_KINDS))
        .group_by(ev.case_id, ev.kind, ev.actor, cast(ev.data, String))
        .having(func.count() > 1)
    )
    for case_id, kind, actor, data_text, n in doubled:
        r.add("event_doubled", f"case {case_id}: {kind} by {actor} {data_text} recorded {n}×")


async def _recorded_steps(s: AsyncSession, history: _History) -> None:
    """The steps the case events record."""
    ev = CaseEvent
    rows = await s.execute(
        select(ev.case_id, ev.at, ev.id, ev.kind, ev.data).where(
            ev.kind.in_(
                (
                    "created",
                    "joined",
                    "outcome",
                    "status",
                    "agreement_drafted",
                    "agreement_revising",
                    "agreement_effective",
                )
            )
        )
    )
    for case_id, at, event_id, kind, raw in rows:
        step = _step(kind, raw if isinstance(raw, dict) else {})
        if step is not None:
            history[case_id].append((at, 0, event_id, step))


def _step(kind: str, data: dict[str, Any]) -> E | str | None:
    """The replayed step a case event stands for; ``None`` for one that moves nothing."""
    if kind == "created":
        # A case staff registered for the parties (features.street) starts with nobody
        # consenting; one a party filed starts with the applicant's consent.
        return "created_for_parties" if data.get("source") == "street" else "created"
    if kind == "joined" and data.get("role") in ("applicant", "respondent"):
        return f"{data['role']}_joined"
    if kind == "outcome":
        return OUTCOME_EVENTS.get(str(data.get("outcome")))
    if kind == "status":
        return E(data["event"]) if data.get("event") in E.__members__.values() else None
    if kind == "agreement_drafted":
        return E.DRAFT_AGREEMENT
    if kind == "agreement_revising":
        return E.REVISE_AGREEMENT
    if kind == "agreement_effective":
        return E.ALL_SIGNED
    return None


async def _announced_steps(s: AsyncSession, history: _History) -> None:
    """The steps announced in the room and not recorded as a status event too."""
    m = CaseMessage
    # The text is encrypted (it is what people say in the room), so the event keys are
    # picked out here rather than in SQL.
    wanted = {*ANNOUNCED_EVENTS, "room.session_opened"}
    announced = await s.execute(
        select(m.case_id, m.created_at, m.id, m.text).where(m.kind == "event")
    )
    for case_id, at, message_id, key in announced:
        if key not in wanted:
            continue
        announced_step: E | str = ANNOUNCED_EVENTS.get(str(key), "session_opened")
        recorded = E.OPEN_SESSION if announced_step == "session_opened" else announced_step
        if any(x[3] == recorded for x in history[case_id]):
            # Recorded as a status event too (since 2026-12): the event's place in the one
            # sequence of case events is exact, the announcement's (another table, the same
            # instant under a frozen clock) is not.
            continue
        history[case_id].append((at, 1, message_id, announced_step))


async def _replay_cases(s: AsyncSession, r: Report, history: _History) -> None:
    statuses = await s.execute(select(Case.id, Case.status))
    replayed = skipped = 0
    for case_id, status in statuses:
        try:
            actual = CaseStatus(status)
        except ValueError:
            r.add("case_status_unknown", f"case {case_id}: {status!r}")
            continue
        steps = sorted(history.get(case_id, []), key=lambda x: (x[0], x[1], x[2]))
        if not steps or steps[0][3] not in ("created", "created_for_parties"):
            skipped += 1  # made outside the conversation (seeded, imported): no full history
            continue
        replayed += 1
        expected = _replay(case_id, [x[3] for x in steps], r)
        if expected is not None and expected != actual:
            r.add(
                "case_state_inconsistent",
                f"case {case_id} is {actual.value}, its history gives {expected.value}",
            )
    r.stats["cases_replayed"] = replayed
    r.stats["cases_without_history"] = skipped


def _replay(case_id: int, steps: list[E | str], r: Report) -> CaseStatus | None:
    """The status the history gives: accepted (受理) once someone on each side consented
    (services.invites.accept), and so on through the case's transitions."""
    status = CaseStatus.SUBMITTED
    consented: set[str] = set()
    for i, step in enumerate(steps):
        if step in ("created", "created_for_parties"):
            if i:
                r.add("case_created_twice", f"case {case_id}")
            if step == "created":
                consented.add("applicant")
            continue
        if step in ("applicant_joined", "respondent_joined"):
            consented.add(str(step).removesuffix("_joined"))
            if status == CaseStatus.SUBMITTED and consented == {"applicant", "respondent"}:
                status = transition(status, E.RESPONDENT_ACCEPTS)
            continue
        if step == "session_opened":
            if status == CaseStatus.ACCEPTED:
                status = transition(status, E.OPEN_SESSION)
            continue
        assert isinstance(step, E)
        try:
            status = transition(status, step)
        except InvalidTransition as exc:
            r.add("case_transition_invalid", f"case {case_id}: {exc}")
            return None
    return status
