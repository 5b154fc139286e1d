"""QR posters in the console (一码解纠纷): a page listing the units the staff member's scope
covers, each with its printable A4 PDF (features.webchat.poster, laid out by the render pool)."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from core.config import public_base
from features.console.web.core import CONSOLE, render, staff_of, t
from features.webchat.poster import poster_url, render_poster


def _runtime(request: web.Request):  # type: ignore[no-untyped-def]
    from web.app import RUNTIME

    return request.config_dict[RUNTIME]


async def posters(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    staff = staff_of(request)
    base = public_base(_runtime(request).settings)
    units = [u for u in console.units.units if u.code in staff.visible_units]
    return await render(
        request,
        "posters.html",
        poster_units=units,
        links={u.code: poster_url(base, u) for u in units},
    )


async def poster_pdf(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    staff = staff_of(request)
    code = request.query.get("unit", "")
    unit = console.units.by_code.get(code)
    if unit is None or code not in staff.visible_units:
        raise web.HTTPNotFound()
    runtime = _runtime(request)
    agreements = runtime.shared.agreements
    pool = agreements.pool if agreements is not None else runtime.shared.render_pool
    if pool is None:
        return web.Response(status=503, text=t(request, "webchat.poster.unavailable"))
    pdf = await render_poster(pool, unit, public_base(runtime.settings), "zh-CN")
    name = f"一码解纠纷-{unit.name}.pdf"
    return web.Response(
        body=pdf,
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
