"""The case page's procedure forms: a signature on paper (the scan uploaded and checked by
the mediator) and the steps of a 治安调解. Use cases: ``features.console.procedures``."""

from __future__ import annotations

from aiohttp import web

from features.console.case_actions import ActionError
from features.console.web.core import case_id_of, client_ip, flash, redirect, staff_of, t
from features.console.web.views_case_actions import acted, said
from features.console.web.views_cases import PROCEDURES, Typed, refused

#: A scan is read up to one byte over the limit the use case enforces (and explains).
_READ_LIMIT = 1024 * 1024 + 1


def _text(form: object, name: str) -> str:
    value = form.get(name, "") if hasattr(form, "get") else ""
    return value if isinstance(value, str) else ""


def _file(form: object, name: str) -> bytes:
    value = form.get(name) if hasattr(form, "get") else None
    if isinstance(value, web.FileField) and value.filename:
        data: bytes = value.file.read(_READ_LIMIT)
        return data
    return b""


async def paper_signature(request: web.Request) -> web.StreamResponse:
    procedures = request.app[PROCEDURES]
    return await acted(
        request,
        lambda a: procedures.record_paper(
            a.staff,
            a.case_id,
            signer_id=_text(a.form, "signer"),
            sha=_text(a.form, "sha"),
            confirmed=_text(a.form, "confirm") == "yes",
            scan=_file(a.form, "scan"),
            ip=a.ip,
        ),
        said(request, "console.paper.recorded"),
    )


async def police_step(request: web.Request) -> web.StreamResponse:
    """One step of a 治安调解 (``ProcedureActions.police_step``). A refusal renders the case
    page again with the form as it was typed (``Typed``), so nothing has to be typed twice."""
    procedures = request.app[PROCEDURES]
    case_id = case_id_of(request)
    form = await request.post()
    typed = Typed.of(form)
    try:
        done = await procedures.police_step(
            staff_of(request),
            case_id,
            typed.step,
            typed.fields,
            exclusions=typed.exclusions,
            scan=_file(form, "scan"),
            ip=client_ip(request),
        )
    except ActionError as exc:
        return await refused(request, exc, typed=typed)
    await flash(request, t(request, f"console.police.done_{done}"))
    raise redirect(request, f"/cases/{case_id}")
