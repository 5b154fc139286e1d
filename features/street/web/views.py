"""The console's street pages (issue 24), built for a phone held in one hand on the spot:

- 代为登记 (``/street/register``): a grid worker, officer or mediator registers a dispute for
  the people involved — parties as far as known, facts, place, who is involved, the 110 警情号,
  photos and voice — and gets each party's invitation as a QR code to scan from the screen, a
  link and a code (nobody counts as agreeing until they confirm);
- 岗位任务 (``/street/tasks``): the tasks of the staff member's posts and departments, to
  accept, return with a reason, record what was done and finish.

The use cases are ``features.street.service`` (the chat's ``/report`` and ``/tasks`` call the
same ones).
"""

from __future__ import annotations

import segno
from aiohttp import web
from aiohttp_session import get_session

from features.console.web.core import flash, form_int, redirect, render, staff_of, svg, t
from features.street.service import FormErrors, FormIn, StreetService, Upload
from features.street.tasks import TaskError
from mediation.disputes import DisputeType
from mediation.street import TaskEvent
from mediation.validation import InvalidInput, clean_text

STREET: web.AppKey[StreetService] = web.AppKey("street", StreetService)
#: The session key holding a registration's invitations until the result page shows them.
RESULT = "street_registered"

#: Party rows the form offers (the first on each side pre-selected; more rows on demand are a
#: later step: ten workers are item 5's group roster).
PARTY_ROWS = 4
DEFAULT_SIDES = ("applicant", "respondent", "", "")


async def _form_in(request: web.Request) -> FormIn:
    form = await request.post()  # parsed (and size-checked) once by web.security

    def field(name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    uploads = []
    for value in form.getall("files", []):
        if isinstance(value, web.FileField) and value.filename:
            data = value.file.read(10 * 1024 * 1024 + 1)
            if data:
                uploads.append(Upload(value.filename, data))
    return FormIn(
        dispute_type=field("dispute_type"),
        place=field("place"),
        facts=field("facts"),
        involved=field("involved"),
        police_ref=field("police_ref"),
        parties=[
            (field(f"side{i}"), field(f"name{i}"), field(f"phone{i}")) for i in range(PARTY_ROWS)
        ],
        uploads=uploads,
        addresses=[field(f"address{i}") for i in range(PARTY_ROWS)],
    )


async def _form_page(
    request: web.Request, values: dict[str, str], errors: list[str], status: int = 200
) -> web.Response:
    return await render(
        request,
        "street_register.html",
        status=status,
        types=[d.value for d in DisputeType],
        rows=range(PARTY_ROWS),
        values=values,
        errors=errors,
    )


async def register_form(request: web.Request) -> web.StreamResponse:
    values = {f"side{i}": side for i, side in enumerate(DEFAULT_SIDES)}
    return await _form_page(request, values, [])


async def register(request: web.Request) -> web.StreamResponse:
    service = request.app[STREET]
    staff = staff_of(request)
    form = await request.post()
    typed = await _form_in(request)
    try:
        done = await service.register(staff.id, typed)
    except FormErrors as exc:
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "_csrf"}
        messages = [t(request, key, **params) for key, params in exc.errors]
        return await _form_page(request, values, messages, status=400)
    for v in done.voices:  # what became of each recording, above the invitations
        if v.transcribed:
            await flash(request, t(request, "street.console.voice_heard", name=v.name))
        else:
            why = t(request, f"street.console.voice_{v.heard.status}")
            said = t(request, "street.console.voice_not_heard", name=v.name, why=why)
            await flash(request, said, "error")
    # Post/redirect/get: a refresh of the result page must not register the dispute again.
    # The invitations (their secrets exist only now) ride once in the encrypted session cookie.
    session = await get_session(request)
    session[RESULT] = {
        "case_id": done.case_id,
        "number": done.number,
        "unit_code": done.unit_code,
        "lead": done.lead,
        "assist": list(done.assist),
        "invites": [
            {
                "side": i.side,
                "name": i.name,
                "status": i.status,
                "link": i.link,
                "code": i.code,
                "sms_to": i.sms_to,
            }
            for i in done.invitations
        ],
    }
    raise redirect(request, "/street/registered")


async def registered(request: web.Request) -> web.StreamResponse:
    """The invitations of the dispute just registered, shown once (then the form again)."""
    session = await get_session(request)
    done = session.pop(RESULT, None)
    if not isinstance(done, dict):
        raise redirect(request, "/street/register")
    invites = [
        {
            **i,
            "code": i["code"][:4] + "-" + i["code"][4:],
            "qr": svg(segno.make(i["link"], error="m").svg_inline(scale=3, dark="#0f172a"))
            if i["link"]
            else None,
        }
        for i in done["invites"]
    ]
    return await render(request, "street_registered.html", done=done, invites=invites)


async def task_list(request: web.Request) -> web.StreamResponse:
    service = request.app[STREET]
    staff = staff_of(request)
    return await render(
        request,
        "street_tasks.html",
        desks=service.desks_of(staff.username),
        tasks=await service.task_list(staff.username),
    )


async def task_action(request: web.Request) -> web.StreamResponse:
    """One form per task, its button naming the step: accept, return (with the reason typed
    beside it), note (what was done), done."""
    service = request.app[STREET]
    staff = staff_of(request)
    task_id = form_int(request.match_info["task_id"])
    form = await request.post()
    step = str(form.get("do", ""))
    text = str(form.get("text", ""))
    if task_id is None or step not in ("accept", "return", "note", "done"):
        raise web.HTTPBadRequest()
    try:
        if step in ("return", "note"):
            missing = (
                "street.console.error_reason" if step == "return" else "street.console.error_note"
            )
            try:
                text = clean_text(text, max_len=1000, min_len=2)
            except InvalidInput:
                await flash(request, t(request, missing), "error")
                raise redirect(request, "/street/tasks") from None
            if step == "note":
                await service.add_note(staff.id, task_id, text)
                await flash(request, t(request, "street.note_kept"))
                raise redirect(request, "/street/tasks")
        event = {"accept": TaskEvent.ACCEPT, "return": TaskEvent.RETURN, "done": TaskEvent.FINISH}[
            step
        ]
        task = await service.respond(
            staff.id, task_id, event, reason=text if step == "return" else None
        )
    except TaskError as exc:
        await flash(request, t(request, exc.key), "error")
        raise redirect(request, "/street/tasks") from None
    await flash(request, t(request, f"street.status_{task.status}"))
    raise redirect(request, "/street/tasks")
