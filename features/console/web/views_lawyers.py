"""The volunteer-lawyer registry in the console: profiles, specialties, hours, pausing.

The same rules as ``main.py lawyer set`` and the lawyer's own ``/duty`` in Telegram
(features.lawyers.profiles); administrators see the lawyers of their unit and the units below.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from features.console import audit
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
from features.lawyers.profiles import (
    ProfileInput,
    list_lawyers,
    save_profile,
    set_paused,
    split_list,
)
from mediation.disputes import DisputeType
from mediation.lawyer_dispatch import format_week
from mediation.validation import InvalidInput
from storage.models import StaffAccount


async def lawyers(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    staff = staff_of(request)
    async with console.ledger.db.read() as session:
        accounts = list(
            (
                await session.execute(
                    select(StaffAccount)
                    .where(
                        StaffAccount.role == "lawyer",
                        StaffAccount.unit_code.in_(sorted(staff.visible_units)),
                    )
                    .order_by(StaffAccount.display_name)
                )
            ).scalars()
        )
        entries = {e.staff.id: e for e in await list_lawyers(session)}
    return await render(
        request,
        "lawyers.html",
        accounts=accounts,
        entries=entries,
        weeks={i: (format_week(e.availability), format_week(e.rota)) for i, e in entries.items()},
        specialties=[d.value for d in DisputeType],
    )


async def save_lawyer(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    staff = staff_of(request)
    staff_id = form_int(request.match_info["staff_id"])
    form = await request.post()
    now = console.auth.clock.now()
    async with console.ledger.db.write() as session:
        account = await session.get(StaffAccount, staff_id) if staff_id else None
        if account is None or account.role != "lawyer" or not staff.sees(account.unit_code):
            raise web.HTTPNotFound()
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
            profile = await save_profile(session, account.username, data, now)
        except InvalidInput as exc:
            await flash(request, t(request, exc.key, **exc.params), "error")
            raise redirect(request, "/lawyers") from None
        paused = form.get("paused") == "1"
        if paused != profile.paused:
            await set_paused(session, profile, paused, now)
        audit.record(
            session,
            at=now,
            action="user_change",
            staff=staff,
            ip=client_ip(request),
            unit_code=account.unit_code,
            target=account.username,
            data={"lawyer_profile": True, "paused": paused},
        )
    await flash(request, t(request, "console.lawyers.saved", name=account.display_name))
    raise redirect(request, "/lawyers")
