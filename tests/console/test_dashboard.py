"""Dashboard figures on SQLite and PostgreSQL, checked against a count done by hand in Python."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from features.console.dashboard import DashboardQuery, DashboardService
from storage.models import Case
from tests.console.conftest import World, add_case, seed_history
from tests.console.test_ledger import staff


def service(world: World) -> DashboardService:
    rt = world.runtime
    return DashboardService(rt.db, rt.units, rt.settings.tz)


async def test_figures_match_the_cases(world: World) -> None:
    await seed_history(world, 24)
    # 2026-10-31 20:00 UTC is already 1 November in Chongqing: counted in 2026-11.
    await add_case(world, "yjp_c1", 9001, at=datetime(2026, 10, 31, 20, 0, tzinfo=UTC))
    me = await staff(world, "med_street")
    d = await service(world).build(me, DashboardQuery())
    async with world.runtime.db.read() as s:
        cases = [
            c for c in (await s.execute(select(Case))).scalars() if c.unit_code in me.visible_units
        ]
    assert d.total == len(cases)
    assert dict(d.by_status) == dict(Counter(c.status for c in cases))
    assert dict(d.by_type) == dict(Counter(c.dispute_type for c in cases))
    assert dict(d.by_unit) == dict(Counter(c.unit_code for c in cases))
    assert dict(d.by_risk) == dict(Counter(c.risk for c in cases))
    tz = world.runtime.settings.tz
    assert dict(d.by_month) == dict(
        Counter(c.created_at.astimezone(tz).strftime("%Y-%m") for c in cases)
    )
    assert (
        "2026-11",
        Counter(c.created_at.astimezone(tz).strftime("%Y-%m") for c in cases)["2026-11"],
    ) in d.by_month
    ok = sum(c.status in ("agreed", "closed") for c in cases)
    ended = sum(
        c.status in ("agreed", "closed", "failed", "rejected", "withdrawn", "transferred")
        for c in cases
    )
    assert (d.successful, d.concluded) == (ok, ended) and ended > 0
    assert d.resolution_rate == ok / ended
    # No agreement took effect in this history: the claimed amounts are not agreed ones.
    assert d.amount_agreed == Decimal(0)
    durations = sorted(
        (c.closed_at - c.created_at).total_seconds() / 86400 for c in cases if c.closed_at
    )
    assert d.avg_days is not None and abs(d.avg_days - statistics.mean(durations)) < 1e-3
    assert d.median_days is not None
    assert abs(d.median_days - durations[len(durations) // 2]) < 1e-3
    # No payment confirmed in these cases (features.negotiation); consultations: not built
    # here, shown as "not tracked", never as a made-up zero.
    assert d.amount_recovered == 0 and d.consultations is None


async def test_period_and_unit_filters_and_scope(world: World) -> None:
    await seed_history(world, 12)
    admin = await staff(world, "admin_city")
    svc = service(world)
    everything = await svc.build(admin, DashboardQuery())
    only_c2 = await svc.build(admin, DashboardQuery(unit="yjp_c2"))
    assert set(dict(only_c2.by_unit)) == {"yjp_c2"} and only_c2.total < everything.total
    recent = await svc.build(admin, DashboardQuery(date_from=date(2026, 11, 20)))
    assert recent.total == 4 + 1  # the world's four cases and one seeded six days before
    none = await svc.build(admin, DashboardQuery(date_to=date(2020, 1, 1)))
    assert none.total == 0 and none.resolution_rate is None and none.median_days is None
    mine = await svc.build(await staff(world, "med_c1"), DashboardQuery(unit="jfb_c1"))
    assert mine.total == 0  # a unit outside one's own subtree shows nothing


async def test_consultations_source_when_wired(world: World) -> None:
    async def count(*_: object) -> tuple[int, int]:
        return 5, 2

    rt = world.runtime
    svc = DashboardService(rt.db, rt.units, rt.settings.tz, consultations=count)
    d = await svc.build(await staff(world, "viewer_c1"), DashboardQuery())
    assert (d.consultations, d.assistant_answers, d.lawyer_asked) == (7, 5, 2)


async def test_lawyer_figures_when_the_lawyers_tables_exist(world: World) -> None:
    import importlib

    import pytest

    from features.console import lawyer_stats

    try:
        models = importlib.import_module("features.lawyers.models")
    except ImportError:
        pytest.skip("the lawyers' tables are not in this checkout")
    consultations, wait = lawyer_stats.sources()
    assert consultations is not None and wait is not None
    rt = world.runtime
    now = world.clock.now()
    async with rt.db.write() as s:
        for i, unit in enumerate(("yjp_c1", "yjp_c1", "jfb_c1")):
            s.add(
                models.Consultation(
                    number=f"C{i}", unit_code=unit, user_id=1, channel="telegram", created_at=now
                )
            )
        for case, requester, dispute_type, wait_seconds in (
            ("wage", "user:1", "labour_wages", 600),
            ("other_district", "user:4", "neighbour", 60),
        ):
            s.add(
                models.LawyerRequest(
                    case_id=world.cases[case],
                    requested_by=requester,
                    requester_role="applicant",
                    dispute_type=dispute_type,
                    created_at=now,
                    wait_seconds=wait_seconds,
                )
            )
    svc = DashboardService(rt.db, rt.units, rt.settings.tz, consultations, wait)
    d = await svc.build(await staff(world, "med_c1"), DashboardQuery())
    # Consultation sessions are not counted by themselves: what was asked is (here the one
    # lawyer request of the unit; the assistant answered nothing).
    assert d.consultations == 1 and d.lawyer_requests == 1 and d.lawyer_wait_seconds == 600
