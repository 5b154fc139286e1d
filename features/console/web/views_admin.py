"""Dashboard, alerts, risk rules, the audit log and staff accounts."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from features.console.accounts import NewAccount
from features.console.audit import ACTIONS, AuditFilter, list_entries
from features.console.context import StaffContext
from features.console.dashboard import DashboardQuery
from features.console.web import charts
from features.console.web.core import (
    CONSOLE,
    client_ip,
    flash,
    form_int,
    lang_of,
    path_id,
    redirect,
    render,
    staff_of,
    svg,
    t,
    unit_name,
)
from mediation.case_state import CaseStatus
from mediation.disputes import DisputeType
from mediation.risk import NOTICES, RiskLevel, RiskRule, parse_keywords
from mediation.staff_permissions import Role


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


async def dashboard(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    staff = staff_of(request)
    lang = lang_of(request)
    unit = request.query.get("unit")
    q = DashboardQuery(
        date_from=_date(request.query.get("from")),
        date_to=_date(request.query.get("to")),
        unit=unit if unit and staff.sees(unit) else None,
    )
    d = await console.dashboard.build(staff, q)
    empty = t(request, "console.dashboard.no_data")

    def labelled(items: list[tuple[str, int]], prefix: str) -> list[tuple[str, float]]:
        return [(t(request, f"{prefix}.{k}"), float(n)) for k, n in items]

    risk_colors = {"normal": "#16a34a", "major": "#d97706", "critical": "#dc2626"}
    status_order = {s.value: i for i, s in enumerate(CaseStatus)}
    risk_order = {r.value: i for i, r in enumerate(RiskLevel)}
    by_status = sorted(d.by_status, key=lambda kv: status_order.get(kv[0], 99))
    by_risk = sorted(d.by_risk, key=lambda kv: risk_order.get(kv[0], 99))

    def bars(by: str, items: list[tuple[str, float]], colors: list[str] | None = None) -> str:
        title = t(request, f"console.dashboard.by_{by}")
        return charts.bar_chart(items, title=title, empty=empty, colors=colors)

    chart = {
        "month": charts.column_chart(
            [(k, float(n)) for k, n in d.by_month],
            title=t(request, "console.dashboard.by_month"),
            empty=empty,
        ),
        "status": bars("status", labelled(by_status, "status")),
        "type": bars("type", labelled(d.by_type, "dispute")),
        "unit": bars(
            "unit", [(unit_name(console.units, lang, k), float(n)) for k, n in d.by_unit[:12]]
        ),
        "risk": bars(
            "risk",
            labelled(by_risk, "console.risk"),
            colors=[risk_colors.get(k, "#64748b") for k, _ in by_risk],
        ),
    }
    return await render(
        request,
        "dashboard.html",
        d=d,
        q=q,
        charts={k: svg(v) for k, v in chart.items()},
        visible_units=sorted(staff.visible_units),
        **await _panels(request, staff),
    )


async def _panels(request: web.Request, staff: StaffContext) -> dict[str, Any]:
    """The sections features add to the dashboard (``features.console.web.pages``): the
    templates to include, in order, and what they show."""
    context: dict[str, Any] = {"panels": []}
    for page in request.app[CONSOLE].pages:
        for panel in page.dashboard:
            context.update(await panel.context(request, staff))
            context["panels"].append(panel.template)
    return context


# ---------------------------------------------------------------------- alerts


async def alerts(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    include_done = request.query.get("all") == "1"
    items = await console.risk.alerts(staff_of(request), include_done=include_done)
    return await render(
        request,
        "alerts.html",
        items=items,
        include_done=include_done,
        rule_names=await console.risk.rule_labels(lang_of(request)),
    )


async def acknowledge(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    await console.risk.acknowledge(staff_of(request), path_id(request, "alert_id"))
    raise redirect(request, "/alerts")


# ---------------------------------------------------------------------- risk rules


async def rules(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    rows = await console.risk.rule_rows(staff_of(request))
    return await render(
        request,
        "rules.html",
        rows=rows,
        can_edit=staff_of(request).is_root,
        rule_names=await console.risk.rule_labels(lang_of(request)),
        levels=[lv.value for lv in RiskLevel],
        types=[d.value for d in DisputeType],
        notices=NOTICES,
    )


async def save_rule(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    form = await request.post()
    raw_id = request.match_info.get("rule_id")
    rule_id = form_int(raw_id) if raw_id else None
    if raw_id and rule_id is None:
        raise web.HTTPNotFound()
    try:
        level = RiskLevel(str(form.get("level", "")))
    except ValueError:
        level = RiskLevel.NORMAL
    min_people = form_int(str(form.get("min_people", "") or "0"))
    rule = RiskRule(
        code="placeholder",
        level=level,
        keywords=parse_keywords(str(form.get("keywords", ""))),
        also=parse_keywords(str(form.get("also", ""))),
        dispute_types=tuple(str(v) for v in form.getall("dispute_types", [])),
        min_people=min_people if min_people is not None else -1,
        name=str(form.get("name", "")),
        enabled=form.get("enabled") == "on",
        notice=str(form.get("notice", "")),
    )
    problems = await console.risk.save_rule(staff_of(request), rule_id, rule, client_ip(request))
    if problems:
        for p in problems:
            await flash(request, t(request, f"console.rules.error.{p}"), "error")
    else:
        await flash(request, t(request, "console.rules.saved"))
    raise redirect(request, "/rules")


# ---------------------------------------------------------------------- audit log


async def audit_log(request: web.Request) -> web.StreamResponse:
    qs = request.query
    action = qs.get("action") if qs.get("action") in ACTIONS else None
    flt = AuditFilter(
        action=action,
        actor=qs.get("actor") or None,
        case_id=form_int(qs.get("case")),
        before_id=form_int(qs.get("before")),
    )
    page = await list_entries(request.app[CONSOLE].ledger.db, staff_of(request), flt)
    return await render(request, "audit.html", page=page, flt=flt, actions=ACTIONS)


# ---------------------------------------------------------------------- staff accounts


async def users(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    staff = staff_of(request)
    accounts = await console.accounts.list_staff(staff)
    return await render(
        request,
        "users.html",
        accounts=accounts,
        roles=[r.value for r in Role],
        visible_units=sorted(staff.visible_units),
    )


async def create_user(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    form = await request.post()
    error = await console.accounts.create(
        staff_of(request),
        NewAccount(
            username=str(form.get("username", "")).strip(),
            display_name=str(form.get("display_name", "")),
            role=str(form.get("role", "")),
            unit_code=str(form.get("unit", "")),
            password=str(form.get("password", "")),
        ),
        client_ip(request),
    )
    return await _back_to_users(request, error, "console.users.created")


async def set_user_active(request: web.Request) -> web.StreamResponse:
    console, staff_id = request.app[CONSOLE], path_id(request, "staff_id")
    form = await request.post()
    await console.accounts.set_active(
        staff_of(request), staff_id, form.get("active") == "1", client_ip(request)
    )
    return await _back_to_users(request, None, "console.users.updated")


async def set_user_phone(request: web.Request) -> web.StreamResponse:
    console, staff_id = request.app[CONSOLE], path_id(request, "staff_id")
    form = await request.post()
    error = await console.accounts.set_phone(
        staff_of(request), staff_id, str(form.get("phone", ""))[:40], client_ip(request)
    )
    return await _back_to_users(request, error, "console.users.updated")


async def _back_to_users(request: web.Request, error: str | None, done: str) -> web.StreamResponse:
    """The staff list again, headed by the refusal's reason or by ``done``."""
    if error:
        await flash(request, t(request, error), "error")
    else:
        await flash(request, t(request, done))
    raise redirect(request, "/users")
