"""The case page's procedure forms: a signature on paper (the scan uploaded and checked by
the mediator) and the steps of a 治安调解. Use cases: ``features.console.procedures``."""

from __future__ import annotations

from aiohttp import web

from features.console.case_actions import ActionError
from features.console.web.core import client_ip, flash, redirect, staff_of, t
from features.console.web.views_cases import PROCEDURES, _case_id, _refused

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
    form = await request.post()  # parsed (and size-checked) once by web.security
    try:
        await request.app[PROCEDURES].record_paper(
            staff_of(request),
            _case_id(request),
            signer_id=_text(form, "signer"),
            sha=_text(form, "sha"),
            confirmed=_text(form, "confirm") == "yes",
            scan=_file(form, "scan"),
            ip=client_ip(request),
        )
    except ActionError as exc:
        return await _refused(request, exc)
    await flash(request, t(request, "console.paper.recorded"))
    raise redirect(request, f"/cases/{_case_id(request)}")


async def police_step(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    exclusions = tuple(v for v in form.getall("exclusion", []) if isinstance(v, str))
    try:
        step = await request.app[PROCEDURES].police_step(
            staff_of(request),
            _case_id(request),
            fields.get("step", ""),
            fields,
            exclusions=exclusions,
            scan=_file(form, "scan"),
            ip=client_ip(request),
        )
    except ActionError as exc:
        return await _refused(request, exc)
    await flash(request, t(request, f"console.police.done_{step}"))
    raise redirect(request, f"/cases/{_case_id(request)}")
