"""The ledger on SQLite and PostgreSQL: scope, filters, search, keyset pages, exports."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from features.console.context import StaffContext
from features.console.export import Exporter, safe_cell
from features.console.ledger import BadCursor, LedgerQuery, LedgerService
from storage.models import Case, StaffAccount
from tests.console.conftest import APPLICANT_PHONE, RESPONDENT_PHONE, World, add_case, seed_history


async def staff(world: World, username: str) -> StaffContext:
    async with world.runtime.db.read() as s:
        account = (
            await s.execute(select(StaffAccount).where(StaffAccount.username == username))
        ).scalar_one()
    return StaffContext.of(account, world.runtime.units)


def ledger(world: World) -> LedgerService:
    return LedgerService(world.runtime.db, world.runtime.units, world.runtime.settings.tz)


async def ids(world: World, username: str, **query: object) -> set[int]:
    page = await ledger(world).page(await staff(world, username), LedgerQuery(**query))  # type: ignore[arg-type]
    return {r.id for r in page.rows}


async def test_each_account_sees_its_units_subtree(world: World) -> None:
    c = world.cases
    assert await ids(world, "med_c1") == {c["wage"], c["neighbour"]}
    assert await ids(world, "med_street") == {c["wage"], c["neighbour"], c["other_committee"]}
    assert await ids(world, "police_ps") == set()
    assert await ids(world, "admin_city") == set(c.values())
    # Asking for a unit outside one's subtree gives nothing, not the other unit's cases.
    assert await ids(world, "med_c1", unit="jfb_c1") == set()
    assert await ids(world, "admin_city", unit="yjp") == {
        c["wage"],
        c["neighbour"],
        c["other_committee"],
    }


async def test_filters(world: World) -> None:
    c = world.cases
    async with world.runtime.db.write() as s:
        case = await s.get(Case, c["neighbour"])
        assert case is not None
        case.status, case.risk, case.mediator_id = "mediating", "major", world.staff["med_c1"]
    assert await ids(world, "admin_city", statuses=("mediating",)) == {c["neighbour"]}
    assert await ids(world, "admin_city", dispute_types=("labour_wages",)) == {c["wage"]}
    assert await ids(world, "admin_city", risks=("major", "critical")) == {c["neighbour"]}
    assert await ids(world, "admin_city", mediator=str(world.staff["med_c1"])) == {c["neighbour"]}
    assert c["neighbour"] not in await ids(world, "admin_city", mediator="none")
    # Dates are local (Asia/Shanghai) registration dates: the world's cases are on 2026-11-27/28.
    day = date(2026, 11, 27)
    everything = set(c.values())
    assert (
        await ids(world, "admin_city", date_from=day, date_to=day + timedelta(days=1)) == everything
    )
    assert await ids(world, "admin_city", date_from=day + timedelta(days=2)) == set()
    assert await ids(world, "admin_city", date_to=day - timedelta(days=1)) == set()


async def test_search_by_phone_name_and_number(world: World) -> None:
    c = world.cases
    # Phones are encrypted: found through the blind index, however they are typed.
    assert await ids(world, "admin_city", q=APPLICANT_PHONE) == {c["wage"]}
    assert await ids(world, "admin_city", q="+86 138-1234-5678") == {c["wage"]}
    assert await ids(world, "admin_city", q=RESPONDENT_PHONE) == set(c.values())
    assert await ids(world, "admin_city", q="13800000000") == set()
    # Names by their beginning; both sides.
    assert await ids(world, "admin_city", q="王五") == {c["neighbour"]}
    assert await ids(world, "admin_city", q="周") == {c["other_committee"]}
    assert await ids(world, "admin_city", q="李") == set(c.values())
    assert await ids(world, "admin_city", q="100%_") == set()  # LIKE wildcards are literal
    # Case numbers: whole, a fragment, or the bare serial.
    async with world.runtime.db.read() as s:
        number = (await s.execute(select(Case.number).where(Case.id == c["wage"]))).scalar_one()
    assert await ids(world, "admin_city", q=number) == {c["wage"]}
    assert await ids(world, "admin_city", q="杨一调字第2号") == {c["neighbour"]}
    assert await ids(world, "admin_city", q="（2026）杨一调字第2号") == {c["neighbour"]}
    assert await ids(world, "admin_city", q="（2025）杨一调字第2号") == set()
    assert await ids(world, "admin_city", q="2") == {c["neighbour"]}  # …第0002号, any unit
    assert await ids(world, "admin_city", q="第0001号") == {
        c["wage"],
        c["other_committee"],
        c["other_district"],
    }
    # Search never widens the scope.
    assert await ids(world, "med_c1", q="周") == set()


async def test_keyset_pages_cover_everything_once_in_order(world: World) -> None:
    await seed_history(world, 56)  # 60 cases: two pages of 50
    service = ledger(world)
    me = await staff(world, "admin_city")
    for sort in ("created", "updated", "number"):
        for descending in (True, False):
            await _walk(service, me, sort, descending)


async def _walk(service: LedgerService, me: StaffContext, sort: str, descending: bool) -> None:
    page = await service.page(me, LedgerQuery(sort=sort, descending=descending))
    assert page.prev_cursor is None and page.total == 60
    pages = [page]
    while page.next_cursor is not None:
        page = await service.page(
            me, LedgerQuery(sort=sort, descending=descending, after=page.next_cursor)
        )
        pages.append(page)
    seen = [r.id for p in pages for r in p.rows]
    assert len(pages) == 2 and len(seen) == len(set(seen)) == 60, (sort, descending)
    key = {"created": "created_at", "updated": "updated_at", "number": "number"}[sort]
    values = [(getattr(r, key), r.id) for p in pages for r in p.rows]
    assert values == sorted(values, reverse=descending), (sort, descending)
    # Back from the second page gives exactly the first page again.
    assert pages[1].prev_cursor is not None
    back = await service.page(
        me, LedgerQuery(sort=sort, descending=descending, before=pages[1].prev_cursor)
    )
    assert [r.id for r in back.rows] == [r.id for r in pages[0].rows]
    assert back.next_cursor is not None and back.prev_cursor is None


async def test_foreign_cursor_is_refused(world: World) -> None:
    me = await staff(world, "admin_city")
    page = await ledger(world).page(me, LedgerQuery())
    for bad in ("garbage", "eyJ4IjogMX0"):
        with pytest.raises(BadCursor):
            await ledger(world).page(me, LedgerQuery(after=bad))
    assert page.rows


async def test_exports_mask_phones_and_defuse_formulas(world: World) -> None:
    await add_case(world, "yjp_c1", 4001, name="Eve", other_name="Mallory", phone="13322223333")
    async with world.runtime.db.write() as s:  # a name that a spreadsheet would run
        from storage.models import CaseParty

        party = (await s.execute(select(CaseParty).where(CaseParty.name == "Eve"))).scalar_one()
        party.name = '=HYPERLINK("http://evil")'
    service = ledger(world)
    exporter = Exporter(service, world.runtime.units, world.runtime.settings.tz)
    me = await staff(world, "med_c1")
    raw = b"".join([chunk async for chunk in exporter.csv_chunks(me, LedgerQuery(), "zh-CN")])
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["案件编号", "受理单位", "纠纷类型"]
    assert len(rows) == 1 + 3
    text = raw.decode("utf-8-sig")
    assert APPLICANT_PHONE not in text and "138****5678" in text and "劳动争议/欠薪" in text
    assert "'=HYPERLINK" in text
    data = await exporter.xlsx(me, LedgerQuery(), "en")
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Case number" and len(values) == 4
    assert all(APPLICANT_PHONE not in str(v) for row in values for v in row)
    assert safe_cell("+1") == "'+1" and safe_cell("张三") == "张三"
