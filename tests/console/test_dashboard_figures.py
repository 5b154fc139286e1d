"""The dashboard's money and consultation figures against a small data set totalled by hand.

Issue 20: "达成协议金额 ¥8,600.00" where the agreement said ¥1,500 (the claims were summed), and
"法律咨询 0" after two /ask questions. The data set, in the console world's units:

====  ========  ==========  ===========================================  ==================
case  unit      claimed     agreements (status: terms)                   recovered
====  ========  ==========  ===========================================  ==================
A     yjp_c1    ¥8,600      v1 superseded: 支付9,999元; v2 effective:      500 + 300 confirmed,
                            支付人民币1,500.00元，分3期支付：第1期…500元…    200 only "paid"
B     yjp_c1    ¥3,000      effective, drafted before ``agreed_fen``:     —
                            退还押金2,000元，并支付违约金500元; 赔礼道歉
C     yjp_c2    ¥5,000      effective: 一次性赔偿申请人1万元               1,000 confirmed
D     yjp_c1    ¥4,000      agreed orally (no document)                  —
E     yjp_c1    ¥2,000      signing (not effective): 支付2,000元            —
====  ========  ==========  ===========================================  ==================

By hand: agreed = 1,500 + 2,500 + 10,000 = ¥14,000.00 for the city (A, B, C), ¥4,000.00 for
community 1 (A, B); recovered = 800 + 1,000 = ¥1,800.00, community 1 ¥800.00.
Consultations: two bare /ask answers (they count for the default unit, community 1), one answer
in case A, one lawyer request in case C → city 4 (3 answers + 1 request), community 1: 3 (the
two bare answers and the one in A).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from features.console import lawyer_stats
from features.console.dashboard import DashboardQuery, DashboardService
from features.lawyers.models import AssistantQuestion, LawyerRequest
from features.negotiation.models import PaymentInstalment, PaymentSchedule
from mediation.agreed_amount import agreed_fen
from storage.document_models import Document
from storage.models import Case
from tests.console.conftest import World, add_case, login
from tests.console.test_ledger import staff

PLAN = "被申请人向申请人支付人民币1,500.00元（大写：壹仟伍佰元整），分3期支付：第1期于2027年1月1日前支付500.00元；第2期于2027年2月1日前支付500.00元；第3期于2027年3月1日前支付500.00元。"


def agreement(
    case_id: int, version: int, status: str, terms: list[str], fen: int | None
) -> Document:
    return Document(
        public_id=f"doc{case_id}v{version}",
        case_id=case_id,
        kind="mediation_agreement",
        version=version,
        status=status,
        content={"terms": terms},
        sha256="0" * 64,
        agreed_fen=fen,
        created_by="staff:1",
    )


async def seed(world: World) -> dict[str, int]:
    ids = {
        "A": await add_case(world, "yjp_c1", 7001, amount="8600"),
        "B": await add_case(world, "yjp_c1", 7002, amount="3000"),
        "C": await add_case(world, "yjp_c2", 7003, amount="5000"),
        "D": await add_case(world, "yjp_c1", 7004, amount="4000"),
        "E": await add_case(world, "yjp_c1", 7005, amount="2000"),
    }
    now = world.clock.now()
    async with world.runtime.db.write() as s:
        for key, status in (("A", "closed"), ("B", "agreed"), ("C", "agreed"), ("D", "agreed")):
            (await s.get_one(Case, ids[key])).status = status
        (await s.get_one(Case, ids["E"])).status = "signing"
        s.add_all(
            [
                agreement(ids["A"], 1, "superseded", ["被申请人支付9,999元。"], 999_900),
                agreement(ids["A"], 2, "effective", [PLAN], agreed_fen([PLAN])),
                # Drafted before the column existed: the dashboard reads its terms once.
                agreement(
                    ids["B"],
                    1,
                    "effective",
                    ["被申请人退还押金2,000元，并支付违约金500元。", "被申请人向申请人赔礼道歉。"],
                    None,
                ),
                agreement(ids["C"], 1, "effective", ["被申请人一次性赔偿申请人1万元。"], 1_000_000),
                agreement(ids["E"], 1, "signing", ["被申请人支付2,000元。"], 200_000),
            ]
        )
        await s.flush()
        for case, paid in (
            ("A", [(500, "confirmed"), (300, "confirmed"), (200, "paid")]),
            ("C", [(1000, "confirmed")]),
        ):
            total = sum(yuan for yuan, _ in paid) * 100
            schedule = PaymentSchedule(
                case_id=ids[case], payer_side="respondent", total_fen=total, created_at=now
            )
            s.add(schedule)
            await s.flush()
            for seq, (yuan, status) in enumerate(paid, 1):
                s.add(
                    PaymentInstalment(
                        schedule_id=schedule.id,
                        case_id=ids[case],
                        seq=seq,
                        due_on=date(2027, 1, 1) + timedelta(days=seq),
                        amount_fen=yuan * 100,
                        status=status,
                    )
                )
        s.add_all(
            [
                AssistantQuestion(question="邻居装修噪音怎么办", created_at=now),
                AssistantQuestion(question="欠条过期了还能要吗", created_at=now),
                AssistantQuestion(case_id=ids["A"], question="分期不还怎么办", created_at=now),
                LawyerRequest(
                    case_id=ids["C"],
                    requested_by="user:1",
                    requester_role="applicant",
                    dispute_type="neighbour",
                    created_at=now,
                ),
            ]
        )
    return ids


def service(world: World) -> DashboardService:
    rt = world.runtime
    return DashboardService(rt.db, rt.units, rt.settings.tz, *lawyer_stats.sources())


async def test_money_and_consultations_equal_the_hand_totals(world: World) -> None:
    ids = await seed(world)
    city = await service(world).build(await staff(world, "admin_city"), DashboardQuery())
    assert city.amount_agreed == Decimal("14000.00")
    assert city.amount_recovered == Decimal("1800.00")
    assert (city.consultations, city.assistant_answers, city.lawyer_asked) == (4, 3, 1)
    community = await service(world).build(await staff(world, "admin_c1"), DashboardQuery())
    assert community.amount_agreed == Decimal("4000.00")
    assert community.amount_recovered == Decimal("800.00")
    assert (community.consultations, community.assistant_answers) == (3, 3)
    async with world.runtime.db.read() as s:
        read = await s.execute(
            select(Document.agreed_fen).where(Document.public_id == f"doc{ids['B']}v1")
        )
    assert read.scalar_one() == 250_000  # read from the terms once, then kept


async def test_the_page_shows_the_figures_and_each_definition(
    client: TestClient[web.Request, web.Application], world: World
) -> None:
    await seed(world)
    await login(client, "admin_city")
    page = await (await client.get("/staff/")).text()
    assert "¥14,000.00" in page and "¥1,800.00" in page and "¥8,600" not in page
    for name in ("total", "rate", "days", "amount_agreed", "amount_recovered", "consultations"):
        assert f'data-testid="def-{name}"' in page, name
    for chart in ("month", "status", "type", "unit", "risk"):
        assert f'data-testid="def-{chart}"' in page, chart
    assert "口径：已生效" in page
