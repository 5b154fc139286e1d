"""Two procedures staff run from the case page: a 治安调解 (the police's own mediation,
``features.agreements.police``) and a signature on paper (a scan checked by the mediator,
``features.agreements.paper``).

Each step is one write transaction like the other case actions: the role and the unit are
checked (``load_case``), the agreements' use case does the work, and the step leaves an event
on the timeline and an audit entry (who, from where). A refusal a person can fix is an
:class:`~features.console.case_actions.ActionError` carrying the feature's catalogue key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import features.agreements.paper as paper
import features.agreements.police as police
from core.clock import Clock
from features.agreements.common import wake_after_commit
from features.agreements.signing import SignRefusedError
from features.console.case_actions import ActionError, acting
from features.console.case_view import load_case
from features.console.context import StaffContext
from mediation import masking
from mediation import police as rules
from mediation.case_state import CaseStatus
from mediation.staff_permissions import Action
from mediation.units import UnitDirectory
from services.delivery import Address, Outgoing
from services.outbox import QueuedMessage
from services.shared import SharedServices
from storage.db import Database
from storage.document_models import Document
from storage.files import FileStore
from storage.models import Case, CaseParty, StaffAccount

_CONSOLE = Address("console", "-", "zh-CN")


@dataclass(frozen=True)
class PolicePanel:
    """What the case page's 治安调解 card shows."""

    status: str  # mediation.police.PoliceStatus, "" when the case is not one
    violation: str
    officers: int
    recording_ref: str
    document: Document | None
    parties: list[tuple[int, str]]  # (party id, label) to choose the two sides from
    sides: tuple[int, ...] = ()  # the 违法嫌疑人's and the 被侵害人's party ids
    #: After a first mediation failed: the last day of a second one (第一百八十三条), and
    #: whether that day has not passed.
    again_deadline: date | None = None
    again_open: bool = False
    #: Whether the staff member acts for a police unit (units.toml ``kind = "police"``): only
    #: then may they open one (第九条: 公安机关; ``police.open_mediation`` refuses others), so
    #: only then does a case without one show the card — never on a committee's civil case
    #: seen by its own staff or an admin.
    hosts: bool = False
    #: Why a 治安调解 cannot be opened on the case now (a catalogue key taking the case's
    #: ``status``), "" when it can: the card then says so in one line instead of the form.
    unavailable: str = ""


@dataclass(frozen=True)
class Panels:
    paper: paper.PaperSigning | None
    police: PolicePanel


class ProcedureActions:
    def __init__(
        self,
        db: Database,
        units: UnitDirectory,
        clock: Clock,
        tz: tzinfo,
        files: FileStore,
        shared: SharedServices,
        deliver: Callable[[list[QueuedMessage]], None] | None = None,
    ) -> None:
        self.db, self.units, self.clock, self.tz = db, units, clock, tz
        self.files, self.shared, self.deliver = files, shared, deliver

    async def panels(self, staff: StaffContext, case_id: int) -> Panels:
        async with self.db.read() as session:
            case = await load_case(session, staff, case_id)
            signing = await paper.signing_now(session, case.id)
            row = await police.current(session, case.id)
            document = (
                await session.get(Document, row.document_id) if row and row.document_id else None
            )
            parties = await _parties(session, case.id, staff)
        panel = PolicePanel(
            status=row.status if row else "",
            violation=row.violation if row else "",
            officers=row.officers if row else 0,
            recording_ref=(row.recording_ref or "") if row else "",
            document=document,
            parties=parties,
            sides=(row.offender_party_id, row.injured_party_id) if row else (),
            again_deadline=row.again_deadline if row else None,
            again_open=bool(
                row
                and rules.again_open(
                    row.again_deadline, self.clock.now().astimezone(self.tz).date()
                )
            ),
            hosts=self._acts_for_police(staff),
            unavailable="" if row else _unavailable(CaseStatus(case.status)),
        )
        return Panels(signing, panel)

    def _acts_for_police(self, staff: StaffContext) -> bool:
        unit = self.units.by_code.get(staff.unit_code)
        return bool(unit and unit.is_police and staff.can(Action.POLICE_MEDIATE))

    async def record_paper(
        self,
        staff: StaffContext,
        case_id: int,
        *,
        signer_id: str,
        sha: str,
        confirmed: bool,
        scan: bytes,
        ip: str,
    ) -> None:
        """The mediator records a party's signature on paper from its scan."""
        staff.require(Action.SIGN_ON_PAPER)
        services = self.shared.agreements
        if services is None:
            raise ActionError("agreements.paper_nothing_to_sign")

        async def record(at: _Step) -> tuple[dict[str, object], bool]:
            try:
                doc, sealing = await paper.record(
                    at.session,
                    services,
                    at.case.id,
                    at.account,
                    signer_id=signer_id,
                    sha=sha,
                    confirmed=confirmed,
                    scan=scan,
                    uploaded_by="mediator",
                    ip=ip,
                    now=at.now,
                    out=at.out,
                )
            except SignRefusedError as exc:
                raise ActionError(exc.key, dict(exc.params)) from None
            return {"signer": signer_id, "version": doc.version}, sealing

        await self._step(staff, case_id, ip, "paper_signature", record)

    async def police_step(
        self,
        staff: StaffContext,
        case_id: int,
        step: str,
        form: Mapping[str, str],
        *,
        exclusions: tuple[str, ...] = (),
        scan: bytes = b"",
        ip: str,
    ) -> str:
        """One step of a 治安调解: open, draft, signed, performed, broken, failed (the first
        time: ``failed_once``, returned as such), excluded, again, give_up. Returns what was done,
        for the flash message."""
        staff.require(Action.POLICE_MEDIATE)

        async def take(at: _Step) -> tuple[dict[str, object], bool]:
            try:
                done, wake = await self._take_police_step(at, step, form, exclusions, scan, ip)
            except police.PoliceError as exc:
                problems = tuple((p.key, p.field_name, dict(p.params)) for p in exc.problems)
                raise ActionError(exc.key, dict(exc.params), problems) from None
            except ValueError:
                raise ActionError("agreements.police_problem_violation") from None
            return {"step": done}, wake

        data = await self._step(staff, case_id, ip, "police_mediation", take)
        return str(data["step"])

    async def _step(
        self,
        staff: StaffContext,
        case_id: int,
        ip: str,
        kind: str,
        take: Callable[[_Step], Awaitable[tuple[dict[str, object], bool]]],
    ) -> dict[str, object]:
        """One procedure step in its transaction: ``take`` does it with the staff member's
        account and a queue for messages, and returns what the case's event and the audit
        entry (both ``kind``) record and whether a document waits for the workers; the queued
        messages go out after the commit. Returns what was recorded."""
        async with acting(self.db, self.clock, staff, case_id, ip, open_only=False) as act:
            account = await act.session.get_one(StaffAccount, staff.id)
            at = _Step(act.session, act.case, account, act.now, Outgoing(_CONSOLE))
            data, wake = await take(at)
            act.trace(kind=kind, event_data=data, action=kind, audit_data=data)
            if wake:
                wake_after_commit(act.session, self.shared)
            queued = await at.out.flush(act.session)
        self._send(queued)
        return data

    async def _take_police_step(
        self,
        at: _Step,
        step: str,
        form: Mapping[str, str],
        exclusions: tuple[str, ...],
        scan: bytes,
        ip: str,
    ) -> tuple[str, bool]:
        """The step itself (``police_step``), in its transaction: what was done (a second
        failure reads ``failed_once``) and whether a document waits for the workers."""
        session, case, officer, now, out = at.session, at.case, at.account, at.now, at.out
        wake = False
        if step == "open":
            await police.open_mediation(
                session, case, officer, self.units, _opening(form, exclusions), now
            )
        elif step == "draft":
            await self._draft(at, form)
            wake = True
        elif step == "signed":
            await self._signed_on_paper(at, form, scan, ip)
            wake = True
        elif step in ("performed", "broken", "failed", "excluded", "give_up"):
            after = await police.end(
                session,
                case,
                officer,
                rules.PoliceEvent(step),
                form.get("reason", ""),
                now,
                self.tz,
                out,
            )
            if after is rules.PoliceStatus.FAILED_ONCE:
                step = "failed_once"
        elif step == "again":
            requested_by = form.get("requested_by", "").strip()
            await police.mediate_again(
                session,
                case,
                officer,
                ground=form.get("ground", ""),
                requested_by=int(requested_by) if requested_by.isdigit() else None,
                now=now,
                tz=self.tz,
                out=out,
            )
        else:
            raise ActionError("console.case.error.bad_event")
        return step, wake

    async def _draft(self, at: _Step, form: Mapping[str, str]) -> None:
        """The 治安调解协议书's terms as the officer typed them, with each party's particulars."""
        session, case, officer, now = at.session, at.case, at.account, at.now
        await police.draft(
            session,
            case,
            officer,
            self.units,
            terms=form.get("terms", "").splitlines(),
            method=form.get("method", ""),
            deadline=_date(form.get("deadline", "")),
            now=now,
            tz=self.tz,
            addresses=_per_party(form, "address_"),
            id_numbers=_per_party(form, "id_number_"),
        )

    async def _signed_on_paper(
        self, at: _Step, form: Mapping[str, str], scan: bytes, ip: str
    ) -> None:
        """The agreement the parties signed on paper, recorded with its scan."""
        session, case, officer, now, out = at.session, at.case, at.account, at.now, at.out
        await police.signed_on_paper(
            session,
            self.files,
            case,
            officer,
            sha=form.get("sha", ""),
            confirmed=form.get("confirm") == "yes",
            scan=scan,
            ip=ip,
            now=now,
            tz=self.tz,
            out=out,
        )

    def _send(self, queued: list[QueuedMessage]) -> None:
        if self.deliver is not None and queued:
            self.deliver(queued)


@dataclass(frozen=True)
class _Step:
    """Where a procedure's step is taken: the transaction, its case, the account of the staff
    member taking it (the officer of a 治安调解), the time and the messages it queues."""

    session: AsyncSession
    case: Case
    account: StaffAccount
    now: datetime
    out: Outgoing


def _unavailable(status: CaseStatus) -> str:
    """Why a 治安调解 cannot be opened in this status ("" when it can): not accepted yet, or
    past its mediation (``police.OPENS_IN``)."""
    if status in police.OPENS_IN:
        return ""
    if status is CaseStatus.SUBMITTED:
        return "console.police.not_accepted"
    return "console.police.not_open_status"


def _opening(form: Mapping[str, str], exclusions: tuple[str, ...]) -> police.Opening:
    def number(name: str) -> int | None:
        value = form.get(name, "").strip()
        return int(value) if value.isdigit() else None

    return police.Opening(
        violation=form.get("violation", ""),
        from_civil_dispute=form.get("civil") == "yes",
        minor_circumstances=form.get("minor") == "yes",
        exclusions=exclusions,
        officers=number("officers") or 0,
        recording_ref=form.get("recording_ref", ""),
        offender_party_id=number("offender"),
        injured_party_id=number("injured"),
        incident={k: form.get(k, "") for k in police.INCIDENT_FIELDS},
    )


def _per_party(form: Mapping[str, str], prefix: str) -> dict[int, str]:
    """The form's ``<prefix><party id>`` fields by party id."""
    return {
        int(k.removeprefix(prefix)): v
        for k, v in form.items()
        if k.startswith(prefix) and k.removeprefix(prefix).isdigit()
    }


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ActionError("agreements.police_bad_deadline") from None


async def _parties(
    session: AsyncSession, case_id: int, staff: StaffContext
) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(CaseParty).where(CaseParty.case_id == case_id).order_by(CaseParty.id)
    )
    side = {"applicant": "申请人", "respondent": "被申请人"}
    full = staff.can(Action.VIEW_NAMES)
    return [
        (p.id, f"{side.get(p.side, p.side)} {p.name if full else masking.mask_name(p.name)}")
        for p in rows.scalars()
    ]
