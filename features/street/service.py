"""The street feature's use cases for the console: the phone-width registration form and a
desk's task list (the views are ``features.street.web.views``; the chat has its own
handlers calling the same ``registration`` and ``tasks`` functions inside its turn).

Each method runs one transaction and hands the messages it queued (the desks' alerts, an
upward alert) to the channels after the commit, as the console's case actions do.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from core.clock import Clock
from core.config import Settings
from features.street import queries, registration, sms, tasks, voice_form
from features.street.config import street_directory
from features.street.models import StreetTask, StreetTaskNote
from mediation import particulars
from mediation.disputes import DisputeType
from mediation.evidence import m4a, sniff
from mediation.masking import mask_phone
from mediation.street import (
    Desk,
    StreetDirectory,
    TaskEvent,
    TaskStatus,
    is_overdue,
    is_unknown,
    party_name,
    police_ref,
)
from mediation.units import UnitDirectory
from mediation.validation import InvalidInput, clean_text, normalise_phone
from services.delivery import Address, Outgoing
from services.outbox import QueuedMessage
from services.shared import SharedServices
from services.staff_alerts import Policy
from storage.db import Database
from storage.files import FileStore
from storage.models import Case, StaffAccount

if TYPE_CHECKING:
    from features.webchat.otp import SmsGateway

MAX_FILE = 10 * 1024 * 1024
MAX_FILES = 10


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


@dataclass(frozen=True)
class FormIn:
    """The form as typed: every value a string, parties as (side, name, phone) rows."""

    dispute_type: str
    place: str
    facts: str
    involved: str
    police_ref: str
    parties: Sequence[tuple[str, str, str]]
    uploads: Sequence[Upload] = ()
    #: Each party row's 住址 as typed ("" where not known), in the rows' order.
    addresses: Sequence[str] = ()


@dataclass
class FormErrors(Exception):
    """Catalogue messages (key, params) to show above the form, which keeps what was typed."""

    errors: list[tuple[str, dict[str, object]]] = field(default_factory=list)


@dataclass(frozen=True)
class InviteView:
    side: str
    name: str
    status: str
    link: str | None
    code: str
    #: The party's phone (masked) an SMS invitation went to; "" when none was sent.
    sms_to: str = ""


@dataclass(frozen=True)
class RegisteredView:
    case_id: int
    number: str
    unit_code: str
    invitations: tuple[InviteView, ...]
    lead: str | None
    assist: tuple[str, ...]
    #: The form's recordings and what was heard of each (``features.street.voice_form``).
    voices: tuple[voice_form.HeardUpload, ...] = ()


@dataclass(frozen=True)
class TaskView:
    task: StreetTask
    case: Case
    desk: Desk
    lead: str
    overdue: bool
    notes: tuple[StreetTaskNote, ...]
    confirmed: int
    parties: int


@dataclass(frozen=True)
class Wiring:
    """The runtime's parts the street's console use cases are built from (``web.setup``)."""

    db: Database
    units: UnitDirectory
    clock: Clock
    settings: Settings
    #: An invitation's link in the chat (``None``: no bot to link to).
    deep_link: Callable[[str], str | None]
    #: Hands queued chat messages to the channels' senders (the runtime's ``deliver``).
    deliver: Callable[[list[QueuedMessage]], None] | None = None
    #: The service's SMS gateway when there is one (the browser chat builds it at start).
    sms_gateway: Callable[[], SmsGateway | None] = lambda: None
    #: The shared services at call time (the voice pipeline is built at start).
    shared: Callable[[], SharedServices] = SharedServices


class StreetUseCases:
    """What the street's console services share: their wiring, the street's directory (from
    the units file) and handing the queued messages to the channels after the commit."""

    def __init__(self, wiring: Wiring) -> None:
        self.db, self.units, self.clock = wiring.db, wiring.units, wiring.clock
        self.settings, self.deep_link = wiring.settings, wiring.deep_link
        self.deliver, self.sms_gateway = wiring.deliver, wiring.sms_gateway
        self.shared = wiring.shared

    @property
    def street(self) -> StreetDirectory:
        return street_directory(self.settings.units_file, self.units)

    def _send(self, queued: list[QueuedMessage]) -> None:
        if self.deliver is not None and queued:
            self.deliver(queued)


class StreetService(StreetUseCases):
    def __init__(self, wiring: Wiring, files: FileStore) -> None:
        super().__init__(wiring)
        self.files = files

    # ------------------------------------------------------------------ the form

    def parse(self, form: FormIn) -> registration.ReportIn:
        """The form's values checked one by one; every problem is reported at once."""
        errors: list[tuple[str, dict[str, object]]] = []

        def check(fn: Callable[[], object], key: str | None = None) -> object:
            try:
                return fn()
            except InvalidInput as exc:
                errors.append((key or exc.key, {} if key else exc.params))
                return None

        # No default type: one preselected was filed for every hurried registration, and the
        # type drives the dispatch and the assistant's filter.
        try:
            kind = DisputeType(form.dispute_type)
        except ValueError:
            kind = DisputeType.OTHER
            errors.append(("street.console.error_type", {}))
        place = check(lambda: clean_text(form.place, max_len=200), "street.console.error_place")
        facts = check(
            lambda: clean_text(form.facts, max_len=2000, min_len=4), "street.console.error_facts"
        )
        involved = check(lambda: clean_text(form.involved, max_len=500)) if form.involved else None
        ref = check(lambda: police_ref(form.police_ref)) if form.police_ref.strip() else None
        parties = []
        for row, (side, name, phone) in enumerate(form.parties):
            if side not in registration.SIDES:
                continue
            known: str | None = None
            number: str | None = None
            home: str | None = None
            typed = form.addresses[row] if row < len(form.addresses) else ""
            try:
                known = party_name(name) if name.strip() else None
                if phone.strip() and not is_unknown(phone):
                    number = normalise_phone(phone)
                if typed.strip() and not is_unknown(typed):
                    home = particulars.address(typed)
            except InvalidInput as exc:
                errors.append((exc.key, exc.params))
            parties.append(registration.PartyIn(side, known, number, home))
        report = registration.ReportIn(
            dispute_type=kind,
            place=str(place or ""),
            facts=str(facts or ""),
            parties=tuple(parties),
            involved=str(involved) if involved else None,
            police_ref=str(ref) if ref else None,
        )
        if report.missing_side() is not None:
            errors.append(("street.console.error_side", {}))
        if errors:
            raise FormErrors(errors)
        return report

    async def register(self, staff_id: int, form: FormIn) -> RegisteredView:
        """Check the form, keep the files, file the case and dispatch it (FormErrors: nothing
        is kept)."""
        report = self.parse(form)
        kept = []
        for upload in form.uploads[:MAX_FILES]:
            sniffed = sniff(upload.data[:16], also=(m4a,))
            if sniffed is None or len(upload.data) > MAX_FILE:
                raise FormErrors([("street.console.error_file", {"name": upload.name[:60]})])
            kept.append((upload, *sniffed))
        now = self.clock.now()
        evidence = []
        for upload, ext, mime, kind in kept:
            key = f"evidence/street/{now:%Y%m}/{secrets.token_urlsafe(16)}.{ext}"
            await self.files.put(key, upload.data, content_type=mime)
            evidence.append(
                registration.EvidenceIn(
                    kind, f"console:{key}", upload.name[:120], mime, len(upload.data), key
                )
            )
        report = dataclasses.replace(report, evidence=tuple(evidence))
        voice = self.shared().voice
        heard = await voice_form.hear_uploads(voice, report.evidence)
        report = voice_form.with_text(report, heard)
        now = self.clock.now()  # after hearing: the case is filed when it is
        out = Outgoing(Address("console", "-", "zh-CN"))
        async with self.db.write() as session:
            reporter = await session.get_one(StaffAccount, staff_id)
            done = await registration.register(
                session,
                report,
                reporter=reporter,
                channel="console",
                units=self.units,
                street=self.street,
                out=out,
                now=now,
                local_year=now.astimezone(self.settings.tz).year,
                invite_ttl=timedelta(days=self.settings.invite_ttl_days),
                tz=self.settings.tz,
                quiet=Policy.of(self.settings),
            )
            await voice_form.keep_transcripts(session, voice, done.case.id, heard, now)
            dispatched = await queries.tasks_of_case(session, done.case.id)
            queued = await out.flush(session)
            view = RegisteredView(
                case_id=done.case.id,
                number=done.case.number,
                unit_code=done.case.unit_code,
                invitations=tuple(
                    InviteView(
                        party.side,
                        party.name,
                        party.status,
                        self.deep_link(issued.token),
                        issued.code,
                    )
                    for party, issued in done.invitations
                ),
                lead=next(
                    (self._desk_name(t.desk_code) for t in dispatched if t.role == "lead"), None
                ),
                assist=tuple(
                    self._desk_name(t.desk_code) for t in dispatched if t.role == "assist"
                ),
                voices=tuple(heard),
            )
        self._send(queued)
        return await self._text_invitations(view, done)

    async def _text_invitations(
        self, view: RegisteredView, done: registration.Registered
    ) -> RegisteredView:
        """Each party with a phone gets the invitation by SMS too, after the commit (the code
        on the page works whether or not it arrives); the page says who got one."""
        gateway = sms.usable(self.sms_gateway())
        if gateway is None:
            return view
        unit = self.units.by_code[view.unit_code].name
        wanted = [(i, p.phone) for i, (p, _) in enumerate(done.invitations) if p.phone]
        sent = await sms.send_all(
            gateway,
            [sms.SmsInvite(phone, unit, done.invitations[i][1].code) for i, phone in wanted],
        )
        shown = list(view.invitations)
        for (i, phone), ok in zip(wanted, sent, strict=True):
            if ok:
                shown[i] = dataclasses.replace(shown[i], sms_to=mask_phone(phone))
        return dataclasses.replace(view, invitations=tuple(shown))

    def _desk_name(self, code: str) -> str:
        desk = self.street.by_code.get(code)
        return desk.name if desk is not None else code

    # ------------------------------------------------------------------ a desk's tasks

    def desks_of(self, username: str) -> tuple[Desk, ...]:
        return self.street.desks_of(username)

    async def task_list(self, username: str) -> list[TaskView]:
        street = self.street
        desks = street.desks_of(username)
        now = self.clock.now()
        async with self.db.read() as session:
            rows = await queries.tasks_of_desks(session, [d.code for d in desks])
            notes = await queries.notes_of(session, [t.id for t, _ in rows])
            counts = await queries.party_counts(session, [c.id for _, c in rows])
            views = []
            for task, case in rows:
                views.append(
                    TaskView(
                        task=task,
                        case=case,
                        desk=street.by_code[task.desk_code],
                        lead=await queries.lead_desk_name(session, street, case.id),
                        overdue=task.overdue_at is not None
                        or is_overdue(TaskStatus(task.status), task.deadline_at, now),
                        notes=tuple(notes.get(task.id, [])),
                        confirmed=counts.get(case.id, (0, 0))[0],
                        parties=counts.get(case.id, (0, 0))[1],
                    )
                )
        return views

    async def respond(
        self, staff_id: int, task_id: int, event: TaskEvent, reason: str | None = None
    ) -> StreetTask:
        out = Outgoing(Address("console", "-", "zh-CN"))
        async with self.db.write() as session:
            staff = await session.get_one(StaffAccount, staff_id)
            task = await tasks.respond(
                session,
                self.street,
                staff,
                task_id,
                event,
                now=self.clock.now(),
                out=out,
                reason=reason,
                quiet=Policy.of(self.settings),
            )
            queued = await out.flush(session)
        self._send(queued)
        return task

    async def add_note(self, staff_id: int, task_id: int, text: str) -> None:
        async with self.db.write() as session:
            staff = await session.get_one(StaffAccount, staff_id)
            await tasks.add_note(session, self.street, staff, task_id, text, self.clock.now())
