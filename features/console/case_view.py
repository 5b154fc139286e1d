"""Everything the case page shows, already masked for the viewer's role.

Why mask here and not in the template: a template that forgot a filter would leak a phone
number. :class:`PartyView` never holds a full phone, ID number or address unless the caller
passes the one field a logged reveal just disclosed, so the HTML cannot contain more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from features.console.context import NotFound, StaffContext
from features.console.documents import DocumentItem, DocumentStore
from features.console.models import CaseRiskAssessment
from features.console.timeline import (
    TimelineItem,
    TimelineSource,
    case_events,
    merge,
    room_messages,
)
from mediation import masking
from mediation.case_state import TERMINAL, CaseEvent, CaseStatus, allowed_events
from mediation.risk import escalation_target
from mediation.staff_permissions import Action, Role, related_units
from mediation.units import UnitDirectory
from services import actors
from storage.db import Database
from storage.models import Case, CaseMember, CaseMessage, CaseParty, PartyAgent, StaffAccount

PII_FIELDS = ("phone", "id_number", "address")
#: Events staff may record from the console (an expired invitation is the timer's to record).
#: What the status form offers. The 治安调解's own steps (``mediation.police``) are taken on its
#: card, where the signed 协议书 or the return to the police is recorded with them.
STAFF_EVENTS = frozenset(CaseEvent) - {
    CaseEvent.INVITATION_EXPIRES,
    CaseEvent.POLICE_AGREEMENT,
    CaseEvent.RETURN_TO_POLICE,
}


@dataclass
class AgentView:
    """Who acts for a party: a 法定代理人, a 委托代理人 and their authority (特别授权 or not,
    checked by the mediator or not), or the person who signs for an organisation."""

    kind: str  # mediation.parties.AgentKind
    name: str
    relation: str
    authority: str  # mediation.parties.Authority, "" when none recorded
    checked: bool
    id_number: str  # masked


@dataclass
class PartyView:
    id: int
    side: str
    ordinal: int
    status: str
    name: str
    user_id: int | None
    masked: dict[str, str]
    revealed: dict[str, str] = field(default_factory=dict)
    #: What the applicant said about the party beyond a name (装修队老板, 就是1202的): shown to
    #: staff who see names, for the mediator to complete an unknown name (issue 19).
    note: str = ""
    kind: str = "person"
    #: Organisations: 统一社会信用代码 (public register data), 法定代表人/负责人 and title.
    credit_code: str = ""
    legal_rep: str = ""
    legal_rep_title: str = ""
    agents: list[AgentView] = field(default_factory=list)
    absent_reason: str = ""
    #: The details the intake was told are not known (``CaseParty.unknown``): shown 不详
    #: while empty, where a detail never asked shows a dash.
    unknown: frozenset[str] = frozenset()
    #: 性别、出生（year only: the full date is as personal as the ID number）、民族、职业 as the
    #: documents print them, to staff who see names; "" where nobody gave one.
    particulars: dict[str, str] = field(default_factory=dict)


@dataclass
class CaseView:
    case: Case
    parties: list[PartyView]
    timeline: list[TimelineItem]
    documents: Sequence[DocumentItem]
    #: Who acted on each timeline line, by actor (``services.actors``).
    actor_names: dict[str, actors.Name]
    mediator_name: str
    mediator_choices: list[tuple[int, str, str]]
    lawyer_names: list[str]
    lawyer_choices: list[tuple[int, str, str]]
    status_events: list[str]
    escalate_to: str | None
    assessed_rules: list[str]
    terminal: bool


def agent_view(agent: PartyAgent, staff: StaffContext) -> AgentView:
    full = staff.can(Action.VIEW_NAMES)
    return AgentView(
        kind=agent.kind,
        name=agent.name if full else masking.mask_name(agent.name),
        relation=agent.relation or "",
        authority=agent.authority or "",
        checked=agent.checked_at is not None,
        id_number=masking.mask_id_number(agent.id_number),
    )


def party_view(
    party: CaseParty,
    staff: StaffContext,
    reveal: tuple[int, str] | None,
    agents: Sequence[PartyAgent] = (),
) -> PartyView:
    full = staff.can(Action.VIEW_NAMES)
    name = party.name if full else masking.mask_name(party.name)
    masked = {
        "phone": masking.mask_phone(party.phone),
        "id_number": masking.mask_id_number(party.id_number),
        "address": masking.mask_address(party.address),
    }
    view = PartyView(party.id, party.side, party.ordinal, party.status, name, party.user_id, masked)
    if staff.can(Action.VIEW_NAMES):
        view.note = party.note or ""
    view.kind = party.kind
    if party.kind == "organisation":  # an organisation's register data is public
        view.credit_code = party.credit_code or ""
        view.legal_rep = (party.legal_rep or "") if full else masking.mask_name(party.legal_rep)
        view.legal_rep_title = party.legal_rep_title or ""
    view.agents = [agent_view(a, staff) for a in agents]
    view.absent_reason = (party.absent_reason or "") if full else ""
    view.unknown = frozenset(filter(None, (party.unknown or "").split(",")))
    if full and party.kind != "organisation":
        born = party.birth_date[:4] if party.birth_date else ""
        view.particulars = {
            "gender": party.gender or "",
            "birth": born,
            "age": "" if party.stated_age is None else str(party.stated_age),
            "ethnicity": party.ethnicity or "",
            "occupation": party.occupation or "",
        }
    if reveal is not None and reveal[0] == party.id and staff.can(Action.REVEAL_PII):
        value = getattr(party, reveal[1]) if reveal[1] in PII_FIELDS else None
        if value:
            view.revealed[reveal[1]] = value
    return view


async def _revealed(
    session: AsyncSession, case_id: int, timeline: list[TimelineItem], message_id: int
) -> list[TimelineItem]:
    """The timeline with one room message's text as typed (the masked text stays beside it)."""
    row = await session.get(CaseMessage, message_id)
    if row is None or row.case_id != case_id or row.kind == "event":
        return timeline
    return [
        replace(item, data={**item.data, "revealed": row.text or ""})
        if item.source == "message" and item.order == message_id
        else item
        for item in timeline
    ]


async def load_case(
    session: AsyncSession, staff: StaffContext, case_id: int, *, lock: bool = False
) -> Case:
    """The case if it exists and lies in the staff member's units; ``NotFound`` otherwise."""
    query = select(Case).where(Case.id == case_id)
    if lock:
        query = query.with_for_update()
    case = (await session.execute(query)).scalar_one_or_none()
    if case is None or not staff.sees(case.unit_code):
        raise NotFound()
    if (
        staff.role is Role.LAWYER
        and not (
            await session.execute(assigned_cases(staff).where(CaseMember.case_id == case.id))
        ).first()
    ):
        # A volunteer lawyer sees the cases they were assigned to, not the unit's others
        # (issue 21: a lawyer read every case of the unit).
        raise NotFound()
    return case


def assigned_cases(staff: StaffContext) -> Select[int]:
    """Ids of the cases a lawyer is assigned to (a lawyer member of the room, not removed)."""
    return select(CaseMember.case_id).where(
        CaseMember.staff_id == staff.id,
        CaseMember.role == Role.LAWYER.value,
        CaseMember.status != "removed",
    )


class CaseViewService:
    def __init__(
        self,
        db: Database,
        units: UnitDirectory,
        documents: DocumentStore,
        sources: Sequence[TimelineSource] = (),
    ) -> None:
        self.db = db
        self.units = units
        self.documents = documents
        self.sources: tuple[TimelineSource, ...] = (case_events, room_messages, *sources)

    async def view(
        self,
        staff: StaffContext,
        case_id: int,
        reveal: tuple[int, str] | None = None,
        reveal_message: int | None = None,
    ) -> CaseView:
        """The case page. ``reveal``/``reveal_message``: the one party field or room message
        a logged reveal just disclosed (``case_actions``), shown in full."""
        staff.require(Action.VIEW_CASE)
        async with self.db.read() as session:
            case = await load_case(session, staff, case_id)
            parties = list(
                (
                    await session.execute(
                        select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id)
                    )
                ).scalars()
            )
            agent_rows = await session.execute(
                select(PartyAgent).where(PartyAgent.case_id == case.id).order_by(PartyAgent.id)
            )
            agents: dict[int, list[PartyAgent]] = {}
            for agent in agent_rows.scalars():
                agents.setdefault(agent.party_id, []).append(agent)
            streams = [await source(session, case.id) for source in self.sources]
            timeline = merge(streams)
            if reveal_message is not None and staff.can(Action.REVEAL_PII):
                timeline = await _revealed(session, case.id, timeline, reveal_message)
            actor_names = await actors.actor_names(
                session,
                case.id,
                {item.actor for item in timeline},
                full_names=staff.can(Action.VIEW_NAMES),
            )
            choices = await self._mediator_choices(session, case)
            lawyer_choices = await self._staff_choices(session, case, "lawyer")
            lawyer_names = list(
                (
                    await session.execute(
                        select(StaffAccount.display_name)
                        .join(CaseMember, CaseMember.staff_id == StaffAccount.id)
                        .where(
                            CaseMember.case_id == case.id,
                            CaseMember.role == "lawyer",
                            CaseMember.status != "removed",
                        )
                    )
                ).scalars()
            )
            assessment = await session.get(CaseRiskAssessment, case.id)
            mediator = (
                await session.get(StaffAccount, case.mediator_id) if case.mediator_id else None
            )
        status = CaseStatus(case.status)
        mediator_name = mediator.display_name if mediator is not None else ""
        return CaseView(
            case=case,
            parties=[party_view(p, staff, reveal, agents.get(p.id, ())) for p in parties],
            timeline=timeline,
            documents=await self.documents.list_for_case(case.id),
            actor_names=actor_names,
            mediator_name=mediator_name,
            mediator_choices=choices,
            lawyer_names=lawyer_names,
            lawyer_choices=lawyer_choices,
            status_events=[e.value for e in allowed_events(status) if e in STAFF_EVENTS],
            escalate_to=escalation_target(self.units, case.unit_code),
            assessed_rules=list(assessment.rules) if assessment else [],
            terminal=status in TERMINAL,
        )

    async def _mediator_choices(
        self, session: AsyncSession, case: Case
    ) -> list[tuple[int, str, str]]:
        """Active mediators of the case's unit and the units above and below it."""
        return await self._staff_choices(session, case, "mediator")

    async def _staff_choices(
        self, session: AsyncSession, case: Case, role: str
    ) -> list[tuple[int, str, str]]:
        """Active staff with ``role`` in the case's unit and the units above and below it."""
        units = sorted(related_units(self.units, case.unit_code))
        rows = await session.execute(
            select(StaffAccount.id, StaffAccount.display_name, StaffAccount.unit_code)
            .where(
                StaffAccount.role == role,
                StaffAccount.active.is_(True),
                StaffAccount.unit_code.in_(units),
            )
            .order_by(StaffAccount.display_name)
        )
        return [(i, n, u) for i, n, u in rows]
