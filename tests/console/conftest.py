"""A console "world" on a real database: the unit tree, one account per role, a few cases made
through the real intake service, and the aiohttp app with the console mounted.

Staff (all with password ``PASSWORD``):

====================  ========  =========  =======================================
username              role      unit       sees
====================  ========  =========  =======================================
admin_city            admin     cq         everything
admin_c1              admin     yjp_c1     community 1 only
med_c1                mediator  yjp_c1     community 1 only
med_street            mediator  yjp        the street and its committees/station
police_ps             police    yjp_ps     the police station's cases
lawyer_c1             lawyer    yjp_c1     community 1 (names, no contact data)
viewer_c1             viewer    yjp_c1     community 1 (all personal data masked)
====================  ========  =========  =======================================
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher
from sqlalchemy import select

from app.runtime import Runtime, assemble_runtime
from core.clock import FakeClock
from mediation.intake import IntakeDraft
from mediation.validation import id_check_digit
from services.cases import create_from_intake
from services.staff import create_staff
from services.units import load_units, sync_units
from storage.db import Database
from storage.models import Case, StaffAccount, User
from tests.conftest import make_settings

UNITS_FILE = Path(__file__).with_name("units.toml")
PASSWORD = "correct-horse-battery"
ID17 = "11010519491231002"
ID_NUMBER = ID17 + id_check_digit(ID17)
APPLICANT_PHONE = "13812345678"
RESPONDENT_PHONE = "13987654321"

STAFF = (
    ("admin_city", "admin", "cq", "市管理员"),
    ("admin_c1", "admin", "yjp_c1", "社区管理员"),
    ("med_c1", "mediator", "yjp_c1", "王调解"),
    ("med_street", "mediator", "yjp", "赵调解"),
    ("police_ps", "police", "yjp_ps", "刘警官"),
    ("lawyer_c1", "lawyer", "yjp_c1", "陈律师"),
    ("viewer_c1", "viewer", "yjp_c1", "孙督导"),
    ("grid_c1", "grid", "yjp_c1", "钱网格"),
)
ROLE_USER = {
    "admin": "admin_c1",
    "mediator": "med_c1",
    "police": "police_ps",
    "lawyer": "lawyer_c1",
    "viewer": "viewer_c1",
    "grid": "grid_c1",
}


@dataclass
class World:
    runtime: Runtime
    clock: FakeClock
    staff: dict[str, int] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)


def answers(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "consent": True,
        "dispute_type": "neighbour",
        "facts": "楼上邻居装修噪音持续两个月，多次沟通无果。",
        "claims": "停止夜间施工并赔偿损失",
        "amount": "2000",
        "place": "九龙坡区杨家坪街道",
        "name": "张三",
        "phone": APPLICANT_PHONE,
        "id_number": ID_NUMBER,
        "other_name": "李四",
        "other_phone": RESPONDENT_PHONE,
    }
    base.update(over)
    return base


async def add_case(
    world: World, unit: str, telegram_id: int, *, at: datetime | None = None, **over: Any
) -> int:
    """A case through the real intake service (numbering, parties, blind index, event)."""
    runtime = world.runtime
    now = at or world.clock.now()
    async with runtime.db.write() as session:
        user = (
            await session.execute(select(User).where(User.telegram_id == telegram_id))
        ).scalar_one_or_none()
        if user is None:
            user = User(telegram_id=telegram_id, created_at=now)
            session.add(user)
            await session.flush()
        case = await create_from_intake(
            session,
            user=user,
            draft=IntakeDraft(answers=answers(**over)),
            unit=runtime.units.by_code[unit],
            channel="telegram",
            now=now,
            local_year=2026,
            language="zh-CN",
        )
        return case.id


async def make_world(db: Database, tmp_path: Path) -> World:
    settings = make_settings(tmp_path, UNITS_FILE=str(UNITS_FILE))
    units = load_units(UNITS_FILE)
    clock = FakeClock()
    async with db.write() as session:
        await sync_units(session, units)
    runtime = assemble_runtime(settings, db, units, clock)
    world = World(runtime, clock)
    for username, role, unit, name in STAFF:
        error = await create_staff(
            db,
            username=username,
            password=PASSWORD,
            role=role,
            unit_code=unit,
            display_name=name,
            known_units=set(units.by_code),
        )
        assert error is None, error
    async with db.read() as session:
        rows = await session.execute(select(StaffAccount.username, StaffAccount.id))
        world.staff = {u: i for u, i in rows}
    world.cases["wage"] = await add_case(
        world,
        "yjp_c1",
        1001,
        dispute_type="labour_wages",
        facts="老板拖欠我们二十多名工人三个月工资，大家准备明天去工地门口聚集讨薪。",
        claims="支付拖欠工资",
        amount="120000",
    )
    world.clock.advance(hours=1)
    world.cases["neighbour"] = await add_case(
        world, "yjp_c1", 1002, name="王五", phone="13700001111"
    )
    world.clock.advance(hours=1)
    world.cases["other_committee"] = await add_case(
        world, "yjp_c2", 1003, name="周六", phone="13600002222"
    )
    world.clock.advance(hours=1)
    world.cases["other_district"] = await add_case(
        world, "jfb_c1", 1004, name="吴七", phone="13500003333"
    )
    world.clock.advance(hours=1)
    return world


HISTORY_NAMES = ("陈明", "林芳", "黄伟", "周静", "吴强", "郑丽", "冯军", "何敏", "罗杰", "高燕")
HISTORY_TYPES = (
    "neighbour",
    "labour_wages",
    "marriage_family",
    "private_lending",
    "traffic_accident",
    "property_lease",
    "consumer",
    "neighbour",
    "injury_damage",
    "land_housing",
)
HISTORY_STATUS = (
    "submitted",
    "accepted",
    "mediating",
    "closed",
    "closed",
    "agreed",
    "failed",
    "closed",
    "withdrawn",
    "signing",
    "rejected",
    "closed",
)
HISTORY_UNITS = ("yjp_c1", "yjp_c2", "yjp_ps", "yjp", "jfb_c1", "yjp_c1")


async def seed_history(world: World, n: int) -> None:
    """``n`` older cases over the past months with varied types, units and outcomes (all made
    through the intake service, then moved along as staff would)."""
    for i in range(n):
        at = world.clock.now() - timedelta(days=3 + i * 7, hours=i)
        case_id = await add_case(
            world,
            HISTORY_UNITS[i % len(HISTORY_UNITS)],
            5000 + i,
            at=at,
            dispute_type=HISTORY_TYPES[i % len(HISTORY_TYPES)],
            name=HISTORY_NAMES[i % len(HISTORY_NAMES)],
            phone=f"1390000{i:04d}",
            other_name=HISTORY_NAMES[(i + 3) % len(HISTORY_NAMES)],
            amount=str(1000 + 750 * i),
        )
        status = HISTORY_STATUS[i % len(HISTORY_STATUS)]
        async with world.runtime.db.write() as session:
            case = await session.get(Case, case_id)
            assert case is not None
            case.status = status
            if status in ("closed", "failed", "withdrawn", "rejected"):
                case.closed_at = at + timedelta(days=2 + i % 9)
                case.outcome = status
            case.risk = ("normal", "normal", "major", "normal", "critical")[i % 5]


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with the production parameters costs ~0.27 s per hash on the CI machine; the
    tests hash and check dozens of passwords, so they use the same algorithm with small
    parameters (the code under test is unchanged: it calls ``services.staff``'s hasher)."""
    import services.staff

    monkeypatch.setattr(
        services.staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
async def world(db: Database, tmp_path: Path) -> World:
    return await make_world(db, tmp_path)


def console_app(world: World, **options: Any) -> web.Application:
    from features.console.web import add_console
    from web.app import create_app

    app = create_app(world.runtime)
    options.setdefault("sweep_interval", None)
    add_console(app, world.runtime, **options)
    return app


@pytest.fixture
async def client(world: World) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(console_app(world))) as c:
        yield c


CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


async def csrf_of(client: TestClient[Any, Any], path: str = "/staff/login") -> str:
    resp = await client.get(path)
    match = CSRF.search(await resp.text())
    assert match, f"no CSRF field on {path}"
    return match.group(1)


async def login(client: TestClient[Any, Any], username: str, password: str = PASSWORD) -> str:
    """Sign in; returns the CSRF token of the new session."""
    token = await csrf_of(client)
    resp = await client.post(
        "/staff/login",
        data={"_csrf": token, "username": username, "password": password, "next": "/staff/account"},
        allow_redirects=False,
    )
    assert resp.status == 303, (resp.status, await resp.text())
    return await csrf_of(client, "/staff/account")


async def assign_lawyer(world: World, case_id: int, lawyer: str = "lawyer_c1") -> None:
    """Assign a lawyer to a case through the console, as an admin does (lawyers see only the
    cases they are assigned to)."""
    async with TestClient(TestServer(console_app(world))) as admin:
        token = await login(admin, "admin_city")
        resp = await admin.post(
            f"/staff/cases/{case_id}/assign-lawyer",
            data={"_csrf": token, "lawyer": str(world.staff[lawyer])},
            allow_redirects=False,
        )
        assert resp.status == 303, await resp.text()


async def case_by_number(db: Database, case_id: int) -> Case:
    async with db.read() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        return case
