"""治安调解 use cases: a police officer opens it on a case, records the agreement as a
治安调解协议书 (printed, signed by both parties in the mediation room, the scan uploaded and
checked against the version), then records that it was performed (不予处罚) or broken — or that
no agreement was reached: after a first failure the officer may mediate once more within seven
working days (第一百八十三条), and a second failure, a 第一百七十九条 situation or giving up
returns the case to the police (rules: ``mediation.police``, 治安管理处罚法 第九条、第一百零八条;
公安机关办理行政案件程序规定 第一百七十八条至第一百八十五条).

Called by the console (``features.console.procedures``) inside its write transaction, after it
checked the officer's role and that the case lies in their units. The 协议书 is issued by the
officer's police unit, sealed with its name — never by a 人民调解委员会 — and rendered by the
agreements' document job like every other document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.agreements import evidence
from features.agreements.common import new_public_id
from features.agreements.contexts import Mark, load_parties, person
from features.agreements.identity import set_field
from features.agreements.models import PoliceMediation
from features.agreements.paper import scan_type
from features.agreements.store import case_dir, sha256_hex
from mediation import police as rules
from mediation.case_state import CaseEvent, CaseStatus, transition
from mediation.parties import AgentKind, is_minor
from mediation.replies import Msg
from mediation.signing import SignerRole, SignMethod, version_hash
from mediation.units import UnitDirectory
from mediation.validation import InvalidInput, clean_text
from services.cases import add_event
from services.delivery import Outgoing
from services.room import announce, load_room
from storage.document_models import Document, DocumentSignature
from storage.files import FileStore
from storage.models import Case, CaseParty, StaffAccount

POLICE_AGREEMENT = "police_agreement"
ROLE_OFFENDER, ROLE_INJURED = "违法嫌疑人", "被侵害人"
INCIDENT_FIELDS = ("time", "place", "cause", "course", "circumstances", "result")
#: The case statuses a 治安调解 may be opened in: the case is accepted (受理) and not yet past
#: its mediation. Before that (已申请，待对方同意) the console shows why instead of the form.
OPENS_IN = frozenset({CaseStatus.ACCEPTED, CaseStatus.MEDIATING})


class PoliceError(Exception):
    """A refusal to explain: a catalogue key of this feature and its parameters; a refused
    opening form lists every problem found (``problems``), not only the first."""

    def __init__(self, key: str, *, problems: tuple[Problem, ...] = (), **params: object) -> None:
        super().__init__(key)
        self.key, self.params = f"agreements.{key}", params
        self.problems = problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an opening form: its catalogue key and the form field it is about
    ("" for the case itself, such as a minor without a guardian)."""

    key: str
    field_name: str = ""
    params: dict[str, object] = field(default_factory=dict)


#: The opening form's field each of ``mediation.police.problems`` is about.
PROBLEM_FIELDS = {
    "violation": "violation",
    "not_civil": "civil",
    "not_minor": "minor",
    "excluded": "exclusion",
    "officers": "officers",
    "recording": "recording_ref",
    "sides": "injured",
    "offender_agent": "offender",
    "guardian": "",
}


@dataclass(frozen=True)
class Opening:
    """What the officer states to open a 治安调解 (the console's form)."""

    violation: str
    from_civil_dispute: bool
    minor_circumstances: bool
    exclusions: tuple[str, ...]
    officers: int
    recording_ref: str
    offender_party_id: int | None
    injured_party_id: int | None
    incident: dict[str, str] = field(default_factory=dict)


async def current(session: AsyncSession, case_id: int) -> PoliceMediation | None:
    found = await session.execute(select(PoliceMediation).where(PoliceMediation.case_id == case_id))
    return found.scalar_one_or_none()


async def open_mediation(
    session: AsyncSession,
    case: Case,
    officer: StaffAccount,
    units: UnitDirectory,
    form: Opening,
    now: datetime,
) -> PoliceMediation:
    """Mark the case 治安调解, if the law allows it (``mediation.police.problems``). The officer's
    own unit hosts it and issues its 协议书, so it must be a police unit (第九条: 公安机关)."""
    if await current(session, case.id) is not None:
        raise PoliceError("police_already")
    host = units.by_code.get(officer.unit_code)
    if host is None or not host.is_police:
        raise PoliceError("police_not_police_unit")
    status = CaseStatus(case.status)
    if status not in OPENS_IN:
        raise PoliceError("police_case_status", status=Msg(f"status.{status.value}"))
    room = await load_room(session, case.id)
    parties = await load_parties(session, room) if room is not None else []
    by_id = {p.party_id: p for p in parties}
    offender = by_id.get(form.offender_party_id or 0)
    today = now.date()
    try:
        violation: rules.Violation | None = rules.Violation(form.violation)
    except ValueError:
        violation = None
    intake = rules.Intake(
        violation=violation,
        from_civil_dispute=form.from_civil_dispute,
        minor_circumstances=form.minor_circumstances,
        exclusions=rules.parse_exclusions(form.exclusions),
        officers=form.officers,
        recording_ref=form.recording_ref,
        offender_party_id=offender.party_id if offender else None,
        injured_party_id=form.injured_party_id if form.injured_party_id in by_id else None,
        offender_has_agent=bool(offender and offender.agent(AgentKind.ENTRUSTED)),
        minors_without_guardian=sum(
            1 for p in parties if is_minor(p.facts(), today) and p.agent(AgentKind.LEGAL) is None
        ),
    )
    found = [
        Problem(f"agreements.police_problem_{code}", PROBLEM_FIELDS.get(code, ""))
        for code in rules.problems(intake)
    ]
    incident: dict[str, str] = {}
    for name in INCIDENT_FIELDS:
        try:
            incident[name] = clean_text(form.incident.get(name, ""), max_len=500, min_len=0)
        except InvalidInput:
            found.append(Problem("agreements.police_incident_too_long", name, {"max": 500}))
    if found:
        raise PoliceError("police_problems", problems=tuple(found), count=len(found))
    if status is CaseStatus.ACCEPTED:
        _move(session, case, CaseEvent.OPEN_SESSION, officer, now)
    row = PoliceMediation(
        case_id=case.id,
        unit_code=officer.unit_code,
        status=rules.PoliceStatus.MEDIATING.value,
        violation=form.violation,
        officers=form.officers,
        recording_ref=form.recording_ref.strip() or None,
        host_staff_id=officer.id,
        offender_party_id=intake.offender_party_id,
        injured_party_id=intake.injured_party_id,
        incident=incident,
        started_at=now,
    )
    session.add(row)
    add_event(
        session,
        case.id,
        now,
        f"staff:{officer.id}",
        kind="police_mediation",
        data={"step": "opened", "violation": form.violation, "officers": form.officers},
    )
    return row


async def draft(
    session: AsyncSession,
    case: Case,
    officer: StaffAccount,
    units: UnitDirectory,
    *,
    terms: list[str],
    method: str,
    deadline: date,
    now: datetime,
    tz: tzinfo,
    addresses: Mapping[int, str] | None = None,
    id_numbers: Mapping[int, str] | None = None,
) -> Document:
    """The 治安调解协议书 for printing: both parties sign it by hand in the mediation room
    (公安机关办理行政案件程序规定 第一百八十四条: it states 双方当事人…的基本情况). A new draft replaces
    one not yet signed. ``addresses`` and ``id_numbers``: a party's 住址 and 公民身份号码 as the
    officer records them where the case has none (the number, checked, also gives sex and birth
    date); an address is required, a number is printed when known."""
    row = await _mediating(session, case, now.astimezone(tz).date())
    clauses = [clean_text(t, max_len=1000, min_len=2) for t in terms if t.strip()]
    if not clauses:
        raise PoliceError("police_no_terms")
    today = now.astimezone(tz).date()
    for party_id in (row.offender_party_id, row.injured_party_id):
        party = await session.get_one(CaseParty, party_id)
        await _basic_details(
            party,
            (addresses or {}).get(party_id, "").strip(),
            (id_numbers or {}).get(party_id, "").strip(),
            today,
        )
    if row.document_id is not None:
        old = await session.get(Document, row.document_id)
        if old is not None and old.status == "signing":
            old.status = "superseded"
    room = await load_room(session, case.id)
    parties = {p.party_id: p for p in (await load_parties(session, room) if room else [])}
    unit = units.by_code.get(row.unit_code, units.default)
    sides = ((row.offender_party_id, ROLE_OFFENDER), (row.injured_party_id, ROLE_INJURED))
    content: dict[str, Any] = {
        "case_no": case.number,
        "police_unit": {"name": unit.name, "address": unit.address},
        "host": officer.display_name,
        "officers": row.officers,
        "recording_ref": row.recording_ref or "",
        "violation": rules.VIOLATION_LABEL[rules.Violation(row.violation)],
        "parties": [
            {**person(parties[pid], today, role=role, court=True), "signer": f"p{pid}"}
            for pid, role in sides
            if pid in parties
        ],
        "incident": dict(row.incident),
        "terms": clauses,
        "performance": {
            "method": clean_text(method, max_len=200, min_len=2),
            "deadline": deadline.isoformat(),
        },
        "copies": 3,  # one for each party, one kept by the police unit
        "date": today.isoformat(),
    }
    versions = await session.execute(
        select(Document.version).where(
            Document.case_id == case.id, Document.kind == POLICE_AGREEMENT
        )
    )
    number = max(versions.scalars(), default=0) + 1
    content["version"] = number
    doc = Document(
        public_id=new_public_id(),
        case_id=case.id,
        kind=POLICE_AGREEMENT,
        version=number,
        status="signing",
        content=content,
        sha256=version_hash(content),
        signers=[p["signer"] for p in content["parties"]],
        mediator_staff_id=officer.id,
        render_status="pending",
        created_by=f"staff:{officer.id}",
        created_at=now,
    )
    session.add(doc)
    await session.flush()
    row.document_id, row.deadline = doc.id, deadline
    return doc


async def signed_on_paper(
    session: AsyncSession,
    files: FileStore,
    case: Case,
    officer: StaffAccount,
    *,
    sha: str,
    confirmed: bool,
    scan: bytes,
    ip: str,
    now: datetime,
    tz: tzinfo,
    out: Outgoing,
) -> Document:
    """Both parties signed the printed version: the officer uploads the scan and confirms it is
    that version. The agreement is reached (第九条: 不予处罚 once performed); the case is agreed
    and the sealed 协议书, with its 签署存证 page, is rendered for the file."""
    row = await _mediating(session, case, now.astimezone(tz).date())
    doc = await session.get(Document, row.document_id or 0)
    if doc is None or doc.status != "signing":
        raise PoliceError("police_no_draft")
    if sha not in (doc.sha256, doc.sha256[:16]):
        raise PoliceError("police_stale", version=doc.version)
    if not confirmed:
        raise PoliceError("police_not_confirmed")
    try:
        ext, content_type = scan_type(scan)
    except Exception as exc:
        raise PoliceError("police_bad_file") from exc
    digest = sha256_hex(scan)
    key = (case_dir(case.id) / f"scan-{doc.id}-police-{digest[:12]}.{ext}").as_posix()
    await files.put(key, scan, content_type=content_type)
    proof = evidence.of_paper(
        scan_key=key, scan_sha256=digest, checked_by=officer, ip=ip, uploaded_by="police"
    )
    rows = [
        DocumentSignature(
            document_id=doc.id,
            case_id=case.id,
            signer_id=str(p["signer"]),
            role=SignerRole.PARTY.value,
            version_sha=doc.sha256,
            decision="signed",
            method=SignMethod.HANDWRITTEN.value,
            typed_name=str(p["name"]),
            image_sha256=digest,
            channel="paper",
            signed_at=now,
            evidence=proof,
        )
        for p in doc.content.get("parties", [])
    ]
    session.add_all(rows)
    day = now.astimezone(tz).date()
    mark = {
        p["signer"]: Mark(day, typed_name=str(p["name"]), on_paper=True)
        for p in doc.content["parties"]
    }
    doc.content = {
        **doc.content,
        "parties": [
            {**p, "signature": mark[p["signer"]].as_context()} for p in doc.content["parties"]
        ],
        # The host signs the printed copy with the parties (the scan shows all three).
        "host_signature": Mark(day, typed_name=officer.display_name, on_paper=True).as_context(),
        "sealed": True,
        "sealed_on": day.isoformat(),
        "sign_evidence": evidence.page_rows(doc.content, rows, doc.sha256, tz),
    }
    doc.status, doc.render_status = "effective", "pending"
    row.status = rules.transition(
        rules.PoliceStatus(row.status), rules.PoliceEvent.AGREEMENT_SIGNED
    ).value
    row.agreed_at = now
    _move(session, case, CaseEvent.POLICE_AGREEMENT, officer, now)
    case.outcome = "success"
    await _tell(session, case, Msg("agreements.police_agreed", {"number": case.number}), now, out)
    return doc


async def end(
    session: AsyncSession,
    case: Case,
    officer: StaffAccount,
    event: rules.PoliceEvent,
    reason: str,
    now: datetime,
    tz: tzinfo,
    out: Outgoing,
) -> rules.PoliceStatus:
    """Performed (不予处罚), broken, no agreement, a 第一百七十九条 situation, or no second
    mediation after a first that failed. A first failure leaves the case with the police's
    mediation, open for a second one until the deadline (第一百八十三条); every other end but
    performance returns the case to the police to be dealt with under the law (第九条第三款)."""
    row = await current(session, case.id)
    if row is None:
        raise PoliceError("police_none")
    try:
        after = rules.transition(rules.PoliceStatus(row.status), event)
    except rules.PoliceTransitionError:
        raise PoliceError(
            "police_bad_step", status=Msg(f"agreements.police_status_{row.status}")
        ) from None
    why = clean_text(reason, max_len=500, min_len=0)
    if after is not rules.PoliceStatus.PERFORMED and len(why) < 2:
        raise PoliceError("police_reason_required")
    if after is rules.PoliceStatus.FAILED_ONCE:
        first = now.astimezone(tz).date()
        row.status, row.first_failed_at = after.value, now
        row.again_deadline = rules.again_deadline(first)
        await _tell(
            session,
            case,
            Msg(
                "agreements.police_failed_once",
                {"number": case.number, "deadline": row.again_deadline.isoformat()},
            ),
            now,
            out,
        )
        return after
    row.status, row.ended_at, row.end_reason = after.value, now, why or None
    if after is rules.PoliceStatus.PERFORMED:
        _move(session, case, CaseEvent.PERFORMANCE_COMPLETE, officer, now)
        case.outcome_reason = "治安调解协议已履行，不予处罚（治安管理处罚法 第九条）"
        message = Msg("agreements.police_performed", {"number": case.number})
    else:
        _move(session, case, CaseEvent.RETURN_TO_POLICE, officer, now)
        case.outcome, case.outcome_reason = "transferred", why
        message = Msg("agreements.police_returned", {"number": case.number, "reason": why})
    case.closed_at, case.session_open = now, False
    await _tell(session, case, message, now, out)
    return after


async def mediate_again(
    session: AsyncSession,
    case: Case,
    officer: StaffAccount,
    *,
    ground: str,
    requested_by: int | None,
    now: datetime,
    tz: tzinfo,
    out: Outgoing,
) -> date:
    """A second mediation after a first that failed: only when the police find it necessary or
    a party applies, and only within seven working days of the first (第一百八十三条). Returns
    the day by which it must be completed."""
    row = await current(session, case.id)
    if row is None:
        raise PoliceError("police_none")
    if row.status != rules.PoliceStatus.FAILED_ONCE.value:
        raise PoliceError("police_bad_step", status=Msg(f"agreements.police_status_{row.status}"))
    try:
        why = rules.AgainGround(ground)
    except ValueError:
        raise PoliceError("police_again_ground") from None
    if why is rules.AgainGround.REQUESTED and requested_by not in (
        row.offender_party_id,
        row.injured_party_id,
    ):
        raise PoliceError("police_again_who")
    deadline = row.again_deadline
    if deadline is None or not rules.again_open(deadline, now.astimezone(tz).date()):
        raise PoliceError("police_again_expired", deadline=deadline.isoformat() if deadline else "")
    row.status = rules.transition(rules.PoliceStatus.FAILED_ONCE, rules.PoliceEvent.AGAIN).value
    row.again_ground = why.value
    row.again_requested_by = requested_by if why is rules.AgainGround.REQUESTED else None
    await _tell(
        session,
        case,
        Msg("agreements.police_again", {"number": case.number, "deadline": deadline.isoformat()}),
        now,
        out,
    )
    return deadline


async def _basic_details(party: CaseParty, address: str, id_number: str, today: date) -> None:
    """What the officer typed for a party the case lacks, checked like any identity field."""
    if id_number and party.kind == "person":
        try:
            set_field(party, "id_number", id_number, today)
        except InvalidInput as exc:
            raise PoliceError("police_bad_id_number", name=party.name) from exc
    if address:
        try:
            set_field(party, "address", address, today)
        except InvalidInput as exc:
            raise PoliceError("police_need_address", name=party.name) from exc
    elif not party.address:
        raise PoliceError("police_need_address", name=party.name)


async def _mediating(session: AsyncSession, case: Case, today: date) -> PoliceMediation:
    """The case's 治安调解 while the officer mediates (the first time, or the second within its
    seven working days: 第一百八十三条 says it 应当…完成 by then)."""
    row = await current(session, case.id)
    if row is None:
        raise PoliceError("police_none")
    status = rules.PoliceStatus(row.status)
    if status not in rules.MEDIATING_STATES:
        raise PoliceError("police_bad_step", status=Msg(f"agreements.police_status_{row.status}"))
    if status is rules.PoliceStatus.AGAIN and not rules.again_open(row.again_deadline, today):
        deadline = row.again_deadline.isoformat() if row.again_deadline else ""
        raise PoliceError("police_again_expired", deadline=deadline)
    return row


def _move(
    session: AsyncSession, case: Case, event: CaseEvent, officer: StaffAccount, now: datetime
) -> None:
    """One case transition, in the timeline as any staff status change is."""
    before = CaseStatus(case.status)
    after = transition(before, event)
    case.status, case.updated_at = after.value, now
    add_event(
        session,
        case.id,
        now,
        f"staff:{officer.id}",
        kind="status",
        data={"from": before.value, "to": after.value, "event": event.value},
    )


async def _tell(
    session: AsyncSession, case: Case, message: Msg, now: datetime, out: Outgoing
) -> None:
    room = await load_room(session, case.id)
    if room is not None:
        await announce(session, room, message, out, now)
