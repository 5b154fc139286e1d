"""The case page's procedure forms: a signature on paper (the scan uploaded and checked by
the mediator) and the steps of a 治安调解. Use cases: ``features.console.procedures``."""

from __future__ import annotations

from aiohttp import web

from features.console.web.core import t
from features.console.web.views_case_actions import CaseAct, acted, said
from features.console.web.views_cases import PROCEDURES

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
    procedures = request.app[PROCEDURES]

    async def step(a: CaseAct) -> str:
        fields = {k: v for k, v in a.form.items() if isinstance(v, str)}
        exclusions = tuple(v for v in a.form.getall("exclusion", []) if isinstance(v, str))
        return await procedures.police_step(
            a.staff,
            a.case_id,
            fields.get("step", ""),
            fields,
            exclusions=exclusions,
            scan=_file(a.form, "scan"),
            ip=a.ip,
        )

    return await acted(request, step, lambda done: t(request, f"console.police.done_{done}"))
