"""The volunteer-lawyer registry in the console: profiles, specialties, hours, pausing.

The same rules as ``main.py lawyer set`` and the lawyer's own ``/duty`` in Telegram
(features.lawyers.profiles); administrators see the lawyers of their unit and the units below.
"""

from __future__ import annotations

from aiohttp import web

from features.console.lawyer_roster import roster, update_lawyer
from features.console.web.core import (
    CONSOLE,
    client_ip,
    flash,
    form_int,
    redirect,
    render,
    staff_of,
    t,
)
from features.lawyers.profiles import ProfileInput, split_list
from mediation.disputes import DisputeType
from mediation.lawyer_dispatch import format_week
from mediation.validation import InvalidInput


async def lawyers(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    found = await roster(console.ledger.db, staff_of(request))
    return await render(
        request,
        "lawyers.html",
        accounts=found.accounts,
        entries=found.entries,
        weeks={
            i: (format_week(e.availability), format_week(e.rota)) for i, e in found.entries.items()
        },
        specialties=[d.value for d in DisputeType],
    )


async def save_lawyer(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    form = await request.post()
    try:
        max_open = int(str(form.get("max_open_cases", "5")) or "5")
    except ValueError:
        max_open = 0
    data = ProfileInput(
        firm=str(form.get("firm", "")),
        licence_no=str(form.get("licence_no", "")),
        specialties=tuple(str(v) for v in form.getall("specialties", [])),
        languages=split_list(str(form.get("languages", ""))),
        availability=str(form.get("availability", "")),
        rota=str(form.get("rota", "")),
        max_open_cases=max_open,
    )
    try:
        account = await update_lawyer(
            console.ledger.db,
            staff_of(request),
            form_int(request.match_info["staff_id"]),
            data,
            paused=form.get("paused") == "1",
            now=console.auth.clock.now(),
            ip=client_ip(request),
        )
    except InvalidInput as exc:
        await flash(request, t(request, exc.key, **exc.params), "error")
        raise redirect(request, "/lawyers") from None
    if account is None:
        raise web.HTTPNotFound()
    await flash(request, t(request, "console.lawyers.saved", name=account.display_name))
    raise redirect(request, "/lawyers")
