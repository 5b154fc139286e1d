"""The ledger, its exports, the case page and the case actions.

Views only translate between HTTP and the services: parse the form, call one service method,
render or redirect. A refused action (``ActionError``) re-renders the case page with the reason
in the reader's language and a 4xx status, so neither a person nor a test has to guess.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import web
from multidict import MultiDictProxy

from features.console import audit, payments
from features.console.case_actions import ActionError
from features.console.ledger import SORTS, BadCursor, LedgerQuery, query_params
from features.console.procedures import ProcedureActions
from features.console.web.core import (
    CONSOLE,
    SECURITY_HEADERS,
    case_id_of,
    client_ip,
    form_int,
    lang_of,
    redirect,
    render,
    staff_of,
    unit_name,
)
from i18n import translate
from mediation import police as police_rules
from mediation.case_state import CaseStatus
from mediation.disputes import DisputeType
from mediation.masking import scrub_digits
from mediation.risk import RiskLevel
from web.files import serve as serve_file

STATUSES = tuple(s.value for s in CaseStatus)
TYPES = tuple(d.value for d in DisputeType)
RISKS = tuple(r.value for r in RiskLevel)
T = TypeVar("T")
_CONFLICTS = {
    "console.case.error.transition",
    "console.case.error.closed",
    "console.case.error.top_unit",
}


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_query(request: web.Request) -> LedgerQuery:
    qs = request.query
    units = request.app[CONSOLE].units.by_code
    mediator = qs.get("mediator") or None
    if mediator and not (mediator == "none" or mediator.isdigit()):
        mediator = None
    sort = qs.get("sort", "created")
    return LedgerQuery(
        statuses=tuple(v for v in qs.getall("status", []) if v in STATUSES),
        dispute_types=tuple(v for v in qs.getall("type", []) if v in TYPES),
        risks=tuple(v for v in qs.getall("risk", []) if v in RISKS),
        unit=qs.get("unit") if qs.get("unit") in units else None,
        date_from=_date(qs.get("from")),
        date_to=_date(qs.get("to")),
        mediator=mediator,
        q=qs.get("q", "").strip()[:100],
        sort=sort if sort in SORTS else "created",
        descending=qs.get("order") != "asc",
        after=qs.get("after") or None,
        before=qs.get("before") or None,
    )


async def ledger(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    staff = staff_of(request)
    q = parse_query(request)
    try:
        page = await console.ledger.page(staff, q)
    except BadCursor:
        raise redirect(request, "/cases", **query_params(q)) from None
    lang = lang_of(request)
    labels = {
        "status": _Labels(lang, "status"),
        "type": _Labels(lang, "dispute"),
        "risk": _Labels(lang, "console.risk"),
        "unit": functools.cache(functools.partial(unit_name, console.units, lang)),
    }
    return await render(
        request,
        "ledger.html",
        labels=labels,
        q=q,
        params=query_params(q),
        page=page,
        statuses=STATUSES,
        types=TYPES,
        risks=RISKS,
        visible_units=sorted(
            staff.visible_units, key=lambda c: unit_name(console.units, "zh-CN", c)
        ),
        mediators=await console.ledger.mediators(staff),
        sorts=SORTS,
    )


class _Labels(dict[str, str]):
    """``labels[code]`` → the catalog text of ``<prefix>.<code>``, looked up once per page."""

    def __init__(self, lang: str, prefix: str) -> None:
        super().__init__()
        self.lang, self.prefix = lang, prefix

    def __missing__(self, code: str) -> str:
        text = translate(self.lang, f"{self.prefix}.{code}")
        self[code] = text
        return text


def _attachment(name: str) -> str:
    return f"attachment; filename=\"{name.encode('ascii', 'ignore').decode() or 'export'}\"; filename*=UTF-8''{quote(name)}"


async def _audited(request: web.Request, action: str, **entry: Any) -> None:
    """An audit entry of what the staff member reading did (from their address), in its own
    transaction: an export or a download leaves no other trace. ``entry``: the rest of
    :func:`features.console.audit.record`'s fields (target, data, case and unit)."""
    console = request.app[CONSOLE]
    async with console.ledger.db.write() as session:
        audit.record(
            session,
            at=console.auth.clock.now(),
            action=action,
            staff=staff_of(request),
            ip=client_ip(request),
            **entry,
        )


async def _audit_export(request: web.Request, fmt: str, q: LedgerQuery) -> None:
    await _audited(request, "export", target=fmt, data={"filters": _masked(query_params(q))})


def _masked(filters: dict[str, object]) -> dict[str, object]:
    """The audit keeps what was searched, but a phone or ID number searched for only masked:
    the audit log is append-only (its triggers refuse updates), so it must never hold one."""
    if isinstance(filters.get("q"), str):
        return {**filters, "q": scrub_digits(str(filters["q"]))}
    return filters


async def _exporting(request: web.Request, fmt: str) -> tuple[LedgerQuery, str, str]:
    """An export's query (the ledger's filters, all pages), the reader's language and the file's
    name; the export audited before a byte is sent."""
    q = parse_query(request).without_cursor()
    lang = lang_of(request)
    await _audit_export(request, fmt, q)
    return q, lang, f"{translate(lang, 'console.export.filename')}.{fmt}"


async def export_csv(request: web.Request) -> web.StreamResponse:
    console, staff = request.app[CONSOLE], staff_of(request)
    q, lang, name = await _exporting(request, "csv")
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": _attachment(name),
            "Cache-Control": "no-store",
            **SECURITY_HEADERS,
        }
    )
    await response.prepare(request)
    async for chunk in console.exporter.csv_chunks(staff, q, lang):
        await response.write(chunk)
    await response.write_eof()
    return response


async def export_xlsx(request: web.Request) -> web.StreamResponse:
    console, staff = request.app[CONSOLE], staff_of(request)
    q, lang, name = await _exporting(request, "xlsx")
    data = await console.exporter.xlsx(staff, q, lang)
    return web.Response(
        body=data,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": _attachment(name)},
    )


@dataclass(frozen=True)
class Typed:
    """A refused 治安调解 form as the officer typed it, to render it again (``case.html``): the
    step it was for, each text field and the ticked exclusions. Files are not kept."""

    step: str
    fields: dict[str, str]
    exclusions: tuple[str, ...]

    @classmethod
    def of(cls, form: MultiDictProxy[str | bytes | bytearray | web.FileField]) -> Typed:
        fields = {k: v for k, v in form.items() if isinstance(v, str) and k != "_csrf"}
        exclusions = tuple(v for v in form.getall("exclusion", []) if isinstance(v, str))
        return cls(fields.get("step", ""), fields, exclusions)

    def value(self, name: str) -> str:
        return self.fields.get(name, "")


@dataclass(frozen=True)
class Problems:
    """Every problem of a refused form, in the reader's language: by the form field each is
    about (shown next to it), and those about no field (shown above the form)."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, lang: str, exc: ActionError) -> Problems:
        out = cls()
        for key, name, params in exc.problems:
            text = translate(lang, key, **params)
            (out.by_field.setdefault(name, []) if name else out.general).append(text)
        return out

    def at(self, name: str) -> list[str]:
        return self.by_field.get(name, [])


#: The paper-signature and 治安调解 steps (views_procedures); their cards are on the case page.
PROCEDURES: web.AppKey[ProcedureActions] = web.AppKey("procedures", ProcedureActions)


async def case_page(
    request: web.Request,
    *,
    reveal: tuple[int, str] | None = None,
    reveal_message: int | None = None,
    error: str | None = None,
    status: int = 200,
    typed: Typed | None = None,
    problems: Problems | None = None,
) -> web.StreamResponse:
    """The case page; after a refused action, with its reason (``error``) and, for the
    治安调解 forms, what was typed (``views_procedures.Typed``)."""
    console = request.app[CONSOLE]
    staff = staff_of(request)
    view = await console.cases.view(
        staff, case_id_of(request), reveal=reveal, reveal_message=reveal_message
    )
    procedures = request.app.get(PROCEDURES)
    panels = await procedures.panels(staff, view.case.id) if procedures is not None else None
    return await render(
        request,
        "case.html",
        status=status,
        v=view,
        c=view.case,
        panels=panels,
        violations=list(police_rules.Violation),
        exclusions=list(police_rules.Exclusion),
        error=error,
        retyped=typed,
        problems=problems or Problems(),
        risks=RISKS,
        # Free text (room messages, notes, reasons) is scrubbed for every role: a phone typed
        # in the room is as personal as the party's own field, which even a mediator sees
        # only through a logged reveal (issue 21).
        scrub=True,
        rule_names=await console.risk.rule_labels(lang_of(request)),
        payments=await payments.payment_plan(console.actions, staff, case_id_of(request)),
    )


async def case_detail(request: web.Request) -> web.StreamResponse:
    return await case_page(request)


async def refused(
    request: web.Request, exc: ActionError, *, typed: Typed | None = None
) -> web.StreamResponse:
    lang = lang_of(request)
    text = translate(lang, exc.key, **exc.params)
    status = 409 if exc.key in _CONFLICTS else 400
    problems = Problems.of(lang, exc)
    return await case_page(request, error=text, status=status, typed=typed, problems=problems)


async def reveal(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    form = await request.post()
    party_id = form_int(str(form.get("party", "")))
    field_name = str(form.get("field", ""))
    if party_id is None:
        raise web.HTTPBadRequest()
    try:
        await console.actions.reveal(
            staff_of(request), case_id_of(request), party_id, field_name, client_ip(request)
        )
    except ActionError as exc:
        return await refused(request, exc)
    return await case_page(request, reveal=(party_id, field_name))


async def reveal_message(request: web.Request) -> web.StreamResponse:
    """One room message as typed (its masked numbers in full), after an audit entry."""
    console = request.app[CONSOLE]
    form = await request.post()
    # No message named reads as message 0, which does not exist: the case's scope is checked
    # first, so a case out of reach is a 404 whatever the form holds.
    message_id = form_int(str(form.get("message", ""))) or 0
    await console.actions.reveal_message(
        staff_of(request), case_id_of(request), message_id, client_ip(request)
    )
    return await case_page(request, reveal_message=message_id)


async def download_document(request: web.Request) -> web.StreamResponse:
    """A case document, checked against the staff member's units and audited."""
    console = request.app[CONSOLE]
    staff = staff_of(request)
    case_id, doc_id = case_id_of(request), request.match_info["doc_id"]
    view = await console.cases.view(staff, case_id)  # NotFound outside the staff's units
    doc = await console.cases.documents.open(case_id, doc_id, actor=f"staff:{staff.id}")
    if doc is None:
        raise web.HTTPNotFound()
    await _audited(
        request, "download", target=doc_id, case_id=case_id, unit_code=view.case.unit_code
    )
    return await serve_file(
        request,
        doc.files,
        doc.key,
        {
            "Content-Type": doc.content_type,
            "Content-Disposition": _attachment(doc.filename),
        },
    )
