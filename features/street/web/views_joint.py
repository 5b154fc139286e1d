"""The console's joint-handling pages (issue 24, items 3-6), at phone width like the others:

- 联合处置 (``/street/cases/{id}``): one case as the person's role allows (lead, assisting post,
  assisting department, centre): the 流转记录, tasks, joint sessions (schedule, record who came
  and what happened), the group's roster (added in bulk), raising the risk, the one outcome;
- 派单 (``/street/dispatch``): the centre's queue of cases escalated to it, handed to a
  department;
- 大屏 (``/street/wall``): the operations picture, dark and large, refreshing its figures from
  ``/street/wall.json`` by itself (``static/street-wall.js``; no CDN, no inline script).

Use cases: ``features.street.joint_service``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from aiohttp_session import get_session

import features.console.web.core as console
from features.street.joint_service import JointService, JointView
from features.street.tasks import TaskError
from i18n import catalog, translate
from mediation.disputes import DisputeType
from mediation.invitations import format_code
from mediation.street_joint import GROUP_WAGES_SOURCE, Do, See, yuan
from mediation.validation import InvalidInput, clean_name, clean_text
from services.features import timeline_message
from storage.models import CaseEvent

JOINT: web.AppKey[JointService] = web.AppKey("street_joint", JointService)


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


async def case_page(request: web.Request) -> web.StreamResponse:
    service = request.app[JOINT]
    staff = console.staff_of(request)
    case_id = console.case_id_of(request)
    try:
        view = await service.view(staff.id, case_id)
    except TaskError as exc:
        # No role on the case: as the ledger does for a case out of one's units, it is not
        # there for them (404), which also says nothing of whether it exists.
        status = 404 if exc.key == "street.joint.not_on_case" else 403
        return await console.render(
            request, "error.html", status=status, message=console.t(request, exc.key)
        )
    session = await get_session(request)
    invites = session.pop("street_invites", None) or []
    return await console.render(
        request,
        "street_case.html",
        v=view,
        invites=invites,
        covers={s.member.id: s for s in view.signing.members} if view.signing else {},
        See=See,
        Do=Do,
        yuan=yuan,
        kinds=("site", "room"),
        events=[(e.at, _who(request, view, e), _label(request, e)) for e in view.events],
    )


def _who(request: web.Request, view: JointView, event: CaseEvent) -> str:
    """Who acted, as the page names them (``services.actors``); empty for the system."""
    name = view.actors.get(event.actor)
    if name is None or isinstance(name, str):
        return name or ""
    return translate(console.lang_of(request), name)


def _label(request: web.Request, event: CaseEvent) -> str:
    """The console's timeline line of an event: a risk change names both levels, a party who
    joined their side, a feature's detailed line (a dispatch, a desk's step) is filled from the
    event's data; any other label with parameters reads as its plain kind."""
    lang = console.lang_of(request)
    line = timeline_message(event.kind, event.data or {})
    template = catalog(lang).get(line.key)
    if event.kind == "risk":
        return translate(
            lang,
            line.key,
            old=translate(lang, f"console.risk.{event.data.get('from', 'normal')}"),
            new=translate(lang, f"console.risk.{event.data.get('to', 'normal')}"),
        )
    if event.kind == "joined":  # "申请人加入调解室", as the console's case page says it
        side = event.data.get("role", "applicant")
        return translate(lang, line.key, role=translate(lang, f"role.{side}"))
    if template is None or ("{" in template and not line.params):
        return translate(lang, "console.timeline.other", kind=event.kind)
    return translate(lang, line)


def _local(request: web.Request, value: str) -> datetime:
    tz = request.app[JOINT].settings.tz
    try:
        return datetime.fromisoformat(value).replace(tzinfo=tz)
    except ValueError:
        raise InvalidInput("street.joint.error_time") from None


async def case_action(request: web.Request) -> web.StreamResponse:
    """One form per step, its ``do`` naming it: risk, session, record, outcome, roster,
    authority."""
    service = request.app[JOINT]
    staff = console.staff_of(request)
    case_id = console.case_id_of(request)
    back = f"/street/cases/{case_id}"
    form = await request.post()
    step = _text(form, "do")
    try:
        message = await _step(request, service, staff.id, case_id, step, form)
    except InvalidInput as exc:
        await console.flash(request, console.t(request, exc.key, **exc.params), "error")
    except TaskError as exc:
        await console.flash(request, console.t(request, exc.key), "error")
    else:
        await console.flash(request, message)
    raise console.redirect(request, back)


async def _step(
    request: web.Request,
    service: JointService,
    staff_id: int,
    case_id: int,
    step: str,
    form: Any,
) -> str:
    def text(name: str, *, min_len: int = 2, max_len: int = 1000) -> str:
        return clean_text(_text(form, name), max_len=max_len, min_len=min_len)

    if step == "risk":
        target = await service.raise_risk(staff_id, case_id, _text(form, "level"), text("reason"))
        if target is None:
            return console.t(request, "street.joint.risk_set")
        return console.t(request, "street.joint.escalated", unit=service.units.by_code[target].name)
    if step == "session":
        at = _local(request, _text(form, "at"))
        await service.schedule(staff_id, case_id, _text(form, "kind"), at, text("place"))
        return console.t(request, "street.joint.session_scheduled")
    if step == "record":
        session_id = console.form_int(_text(form, "session")) or 0
        desks = [v for v in form.getall("desks", []) if isinstance(v, str)]
        others = _text(form, "others").strip()
        await service.record(
            staff_id,
            case_id,
            session_id,
            desks=desks,
            others=clean_text(others, max_len=500) if others else None,
            summary=text("summary"),
            result=_text(form, "result"),
        )
        return console.t(request, "street.joint.session_recorded_ok")
    if step == "outcome":
        await service.conclude(staff_id, case_id, _text(form, "outcome"), text("text"))
        return console.t(request, "street.joint.outcome_recorded")
    if step == "roster":
        return await _roster(request, service, staff_id, case_id, form)
    if step == "authority":
        member_id = console.form_int(_text(form, "member")) or 0
        await service.authority(staff_id, case_id, member_id, _text(form, "authority"))
        return console.t(request, "street.group.authority_kept")
    raise web.HTTPBadRequest()


async def _roster(
    request: web.Request, service: JointService, staff_id: int, case_id: int, form: Any
) -> str:
    """Members typed one a line; any wrong line changes nothing and is named."""
    rep = _text(form, "representative").strip()
    added, errors, target, invited = await service.add_roster(
        staff_id, case_id, _text(form, "members"), clean_name(rep) if rep else None
    )
    if invited:  # shown once, on the page the form returns to: the codes work on the spot
        session = await get_session(request)
        session["street_invites"] = [
            [i.name, i.link or "", format_code(i.code), i.sms_to] for i in invited
        ]
    if errors:
        raise InvalidInput(
            "street.group.error_lines", {"lines": "、".join(str(n) for n, _ in errors)}
        )
    if not added:
        raise InvalidInput("street.group.error_empty")
    if target is not None:
        unit = service.units.by_code[target].name
        return console.t(request, "street.group.added_escalated", count=added, unit=unit)
    return console.t(request, "street.group.added", count=added)


async def dispatch_page(request: web.Request) -> web.StreamResponse:
    service = request.app[JOINT]
    staff = console.staff_of(request)
    items, desks = await service.queue(staff.id)
    return await console.render(
        request, "street_dispatch.html", items=items, desks=desks, group_source=GROUP_WAGES_SOURCE
    )


async def dispatch_action(request: web.Request) -> web.StreamResponse:
    service = request.app[JOINT]
    staff = console.staff_of(request)
    case_id = console.case_id_of(request)
    form = await request.post()
    lead = _text(form, "lead")
    assist = [v for v in form.getall("assist", []) if isinstance(v, str)]
    hours = console.form_int(_text(form, "hours")) or 24
    try:
        created = await service.hand_over(staff.id, case_id, lead, assist, hours)
    except TaskError as exc:
        await console.flash(request, console.t(request, exc.key), "error")
    else:
        await console.flash(request, console.t(request, "street.joint.handed", count=len(created)))
    raise console.redirect(request, "/street/dispatch")


async def wall(request: web.Request) -> web.StreamResponse:
    service = request.app[JOINT]
    staff = console.staff_of(request)
    figures = await service.picture(staff.id)
    return await console.render(
        request,
        "street_wall.html",
        figures=figures,
        now=service.clock.now(),
        type_names=[d.value for d in DisputeType],
        # How often the screen reads its figures (seconds; ?every= for a test or a busy room).
        every=min(max(console.form_int(request.query.get("every")) or 30, 5), 300),
    )


async def wall_json(request: web.Request) -> web.StreamResponse:
    service = request.app[JOINT]
    staff = console.staff_of(request)
    figures = await service.picture(staff.id)
    now = service.clock.now().astimezone(service.settings.tz)
    return web.json_response(
        {"at": now.strftime("%Y-%m-%d %H:%M:%S"), "units": [f.as_json() for f in figures]}
    )
