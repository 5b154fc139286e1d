"""The console's use cases for joint handling, escalation, group rosters, the centre's dispatch
page and the operations picture (views: ``features.street.web.views_joint``). Each
method is one transaction; the alerts it queued go to the channels after the commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.street import escalation, group, group_parties, joint, picture, sms
from features.street.models import StreetHandover, StreetSession, StreetTask
from features.street.service import StreetUseCases
from features.street.tasks import TaskError
from mediation.masking import mask_phone
from mediation.risk import RiskLevel
from mediation.staff_permissions import Action, can, subtree
from mediation.street import Desk, DeskKind, Dispatch
from mediation.street_joint import Access, Do, Outcome, See, parse_roster
from mediation.validation import InvalidInput
from services import actors
from services.delivery import Address, Outgoing
from services.staff_alerts import Policy
from storage.models import Case, CaseEvent, CaseParty, StaffAccount


@dataclass(frozen=True)
class HolderRow:
    row: StreetHandover
    holder: str
    until: datetime | None


@dataclass(frozen=True)
class JointView:
    case: Case
    access: Access
    holder: str
    holding_kind: str
    handovers: list[HolderRow]
    tasks: list[tuple[StreetTask, Desk | None]]
    sessions: list[StreetSession]
    events: list[CaseEvent]
    parties: list[CaseParty]
    roster: group.Roster | None
    outcome: str | None
    outcome_text: str | None
    #: Each member's standing on the written agreement being signed (None: no such version).
    signing: group_parties.GroupSigning | None = None
    #: Who acted on each timeline line, by actor (``services.actors``: staff by their name).
    actors: dict[str, actors.Name] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberInvite:
    """A new claimant's invitation as the page shows it on the spot."""

    name: str
    link: str | None
    code: str
    sms_to: str = ""


@dataclass(frozen=True)
class _Act:
    """What one console action on a joint case works with, inside its transaction."""

    session: AsyncSession
    staff: StaffAccount
    case: Case
    out: Outgoing
    now: datetime


@dataclass(frozen=True)
class QueueItem:
    case: Case
    suggested: Dispatch | None
    reason: str | None


class JointService(StreetUseCases):
    """Joint handling, escalation and rosters on the console (the wiring is ``Wiring``)."""

    # ------------------------------------------------------------------ reading

    async def view(self, staff_id: int, case_id: int) -> JointView:
        street = self.street
        async with self.db.read() as session:
            staff = await session.get_one(StaffAccount, staff_id)
            case, access = await joint.load(session, street, self.units, staff, case_id)
            page = await joint.case_page(session, case)
            rows = await escalation.handovers(session, case.id)
            events = await session.execute(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
            )
            parties = await session.execute(
                select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id)
            )
            roster = await group.roster(session, case.id) if access.may_see(See.ROSTER) else None
            signing = (
                await group_parties.signing_status(session, case.id) if roster is not None else None
            )
            shown = list(events.scalars())
            names = await actors.actor_names(
                session,
                case.id,
                {e.actor for e in shown},
                full_names=can(staff.role, Action.VIEW_NAMES),
            )
            holder = next(
                (escalation.holder_name(street, self.units, r) for r in reversed(rows)),
                self.units.by_code[case.unit_code].name
                if case.unit_code in self.units.by_code
                else case.unit_code,
            )
            return JointView(
                case=case,
                access=access,
                holder=holder,
                holding_kind=page.holder.kind,
                handovers=[
                    HolderRow(
                        r,
                        escalation.holder_name(street, self.units, r),
                        rows[i + 1].at if i + 1 < len(rows) else None,
                    )
                    for i, r in enumerate(rows)
                ],
                tasks=[(t, street.by_code.get(t.desk_code)) for t in page.tasks],
                sessions=page.sessions,
                events=shown,
                parties=list(parties.scalars()),
                roster=roster,
                outcome=page.report.outcome if page.report else None,
                outcome_text=page.report.outcome_text if page.report else None,
                signing=signing,
                actors=names,
            )

    async def queue(self, staff_id: int) -> tuple[list[QueueItem], list[Desk]]:
        """The centre's dispatch page: cases escalated to the staff member's unit, each with
        the rule's suggestion, and the desks it may hand them to (its unit and below)."""
        street = self.street
        async with self.db.read() as session:
            staff = await session.get_one(StaffAccount, staff_id)
            cases = await escalation.escalated_to(session, staff.unit_code)
            items = []
            for case in cases:
                rows = await escalation.handovers(session, case.id)
                items.append(
                    QueueItem(
                        case,
                        escalation.suggestion(street, self.units, case, staff.unit_code),
                        rows[-1].reason if rows else None,
                    )
                )
        below = subtree(self.units, staff.unit_code)
        desks = sorted(
            (d for d in street.desks if d.unit_code in below),
            key=lambda d: (d.kind is not DeskKind.DEPARTMENT, d.unit_code != staff.unit_code),
        )
        return items, desks

    async def picture(self, staff_id: int) -> list[picture.Figures]:
        async with self.db.read() as session:
            staff = await session.get_one(StaffAccount, staff_id)
            return await picture.picture(
                session, self.units, subtree(self.units, staff.unit_code), self.clock.now()
            )

    # ------------------------------------------------------------------ acting

    @asynccontextmanager
    async def _acting(
        self, staff_id: int, case_id: int, need: Do, *, lock: bool = False
    ) -> AsyncIterator[_Act]:
        """One action's transaction: the staff member, the case as far as their role on it
        allows ``need`` (else :class:`TaskError`); what the action queued goes out after the
        commit."""
        out, now = Outgoing(Address("console", "-", "zh-CN")), self.clock.now()
        async with self.db.write() as session:
            staff = await session.get_one(StaffAccount, staff_id)
            case, _ = await joint.load(
                session, self.street, self.units, staff, case_id, need=need, lock=lock
            )
            yield _Act(session, staff, case, out, now)
            queued = await out.flush(session)
        self._send(queued)

    async def raise_risk(self, staff_id: int, case_id: int, level: str, reason: str) -> str | None:
        try:
            parsed = RiskLevel(level)
        except ValueError:
            raise TaskError("street.joint.bad_level") from None
        async with self._acting(staff_id, case_id, Do.RAISE, lock=True) as act:
            change = escalation.RiskRaise(parsed, f"staff:{act.staff.id}", reason, act.staff.id)
            return await escalation.raise_risk(
                act.session, act.case, change, units=self.units, out=act.out, now=act.now
            )

    async def hand_over(
        self, staff_id: int, case_id: int, lead: str, assist: Sequence[str], hours: int
    ) -> list[StreetTask]:
        street = self.street
        if lead not in street.by_code or any(a not in street.by_code for a in assist):
            raise TaskError("street.joint.bad_desk")
        async with self._acting(staff_id, case_id, Do.DISPATCH, lock=True) as act:
            return await escalation.hand_over(
                act.session,
                act.case,
                street=street,
                units=self.units,
                staff=act.staff,
                lead=street.by_code[lead],
                assist=tuple(street.by_code[a] for a in dict.fromkeys(assist) if a != lead),
                hours=hours,
                out=act.out,
                now=act.now,
                tz=self.settings.tz,
                quiet=Policy.of(self.settings),
            )

    async def schedule(
        self, staff_id: int, case_id: int, kind: str, at: datetime, place: str
    ) -> None:
        async with self._acting(staff_id, case_id, Do.SESSION) as act:
            await joint.schedule_session(
                act.session,
                self.street,
                act.case,
                act.staff,
                kind=kind,
                at=at,
                place=place,
                out=act.out,
                now=act.now,
                tz=self.settings.tz,
                quiet=Policy.of(self.settings),
            )

    async def record(
        self,
        staff_id: int,
        case_id: int,
        session_id: int,
        *,
        desks: Sequence[str],
        others: str | None,
        summary: str,
        result: str,
    ) -> None:
        async with self._acting(staff_id, case_id, Do.SESSION) as act:
            await joint.record_session(
                act.session,
                act.case,
                act.staff,
                session_id,
                desks=desks,
                others=others,
                summary=summary,
                result=result,
                now=act.now,
            )

    async def conclude(self, staff_id: int, case_id: int, outcome: str, text: str) -> None:
        try:
            parsed = Outcome(outcome)
        except ValueError:
            raise TaskError("street.joint.bad_outcome") from None
        async with self._acting(staff_id, case_id, Do.OUTCOME, lock=True) as act:
            await joint.record_outcome(
                act.session,
                self.street,
                act.case,
                act.staff,
                outcome=parsed,
                text=text,
                out=act.out,
                now=act.now,
                quiet=Policy.of(self.settings),
            )

    async def add_roster(
        self, staff_id: int, case_id: int, text: str, representative: str | None
    ) -> tuple[int, list[tuple[int, InvalidInput]], str | None, list[MemberInvite]]:
        """Members typed one per line: how many were added, the refused lines (nothing is
        added when a line is wrong: the page shows them to fix), the centre escalated to, and
        each new claimant's invitation (texted after the commit when a gateway can)."""
        members, errors = parse_roster(text)
        if errors or not members:
            return 0, errors, None, []
        async with self._acting(staff_id, case_id, Do.ROSTER, lock=True) as act:
            added = await group.add_members(
                act.session,
                act.case,
                act.staff,
                members,
                representative=representative,
                units=self.units,
                out=act.out,
                now=act.now,
                invite_ttl=timedelta(days=self.settings.invite_ttl_days),
            )
            unit = self.units.by_code[act.case.unit_code].name
        shown = [MemberInvite(m.name, self.deep_link(i.token), i.code) for m, i in added.invited]
        return len(members), [], added.escalated_to, await self._text(shown, added, unit)

    async def _text(
        self, shown: list[MemberInvite], added: group.Added, unit: str
    ) -> list[MemberInvite]:
        """Each new claimant with a phone gets the invitation by SMS (as a registered party
        does: ``features.street.sms``); the page says who got one."""
        gateway = sms.usable(self.sms_gateway())
        wanted = [(n, m.phone) for n, (m, _) in enumerate(added.invited) if m.phone]
        if gateway is None or not wanted:
            return shown
        sent = await sms.send_all(
            gateway,
            [sms.SmsInvite(phone, unit, added.invited[n][1].code) for n, phone in wanted],
        )
        for (n, phone), ok in zip(wanted, sent, strict=True):
            if ok:
                shown[n] = MemberInvite(
                    shown[n].name, shown[n].link, shown[n].code, mask_phone(phone)
                )
        return shown

    async def authority(self, staff_id: int, case_id: int, member_id: int, value: str) -> None:
        async with self._acting(staff_id, case_id, Do.ROSTER) as act:
            await group.set_authority(act.session, act.case, act.staff, member_id, value, act.now)
