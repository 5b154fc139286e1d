"""The ledger finds cases by what their facts and claims say, without decrypting them (issue 20:
"装修" found nothing). The console world's cases: the wage case ("…拖欠…工资…工地门口聚集讨薪",
claims "支付拖欠工资") and three neighbour cases ("楼上邻居装修噪音…", "停止夜间施工并赔偿损失")."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from features.console import search_index
from features.console.models import CaseSearchToken
from storage.models import Case
from tests.console.conftest import World
from tests.console.test_ledger import ids


async def test_facts_and_claims_are_searched_within_the_staff_members_units(world: World) -> None:
    c = world.cases
    neighbours = {c["neighbour"], c["other_committee"], c["other_district"]}
    assert await ids(world, "admin_city", q="装修") == neighbours
    assert await ids(world, "med_c1", q="装修") == {c["neighbour"]}  # scope first
    assert await ids(world, "admin_city", q="夜间施工") == neighbours  # claims too
    assert await ids(world, "admin_city", q="拖欠工资") == {c["wage"]}
    assert await ids(world, "admin_city", q="聚集讨薪") == {c["wage"]}
    assert await ids(world, "admin_city", q="装修 噪音") == neighbours  # every word
    assert await ids(world, "admin_city", q="工地装修") == set()  # 地装 is in no case
    assert await ids(world, "admin_city", q="ＺＸ装修") == set()  # full width, no "zx" word


async def test_search_reads_tokens_not_the_encrypted_text(world: World) -> None:
    """With every case's facts and claims made unreadable, the search still answers: it never
    decrypts them."""
    async with world.runtime.db.write() as s:
        await s.execute(update(Case).values(facts="not-a-ciphertext", claims="not-a-ciphertext"))
    assert await ids(world, "admin_city", q="拖欠工资") == {world.cases["wage"]}
    async with world.runtime.db.read() as s:
        tokens = (await s.execute(select(CaseSearchToken.token))).scalars().all()
    # Keyed 64-bit tokens: nothing of the words is stored.
    assert tokens and all(isinstance(t, int) for t in tokens)


async def test_cases_filed_before_the_index_are_indexed_once(world: World) -> None:
    wage = world.cases["wage"]
    async with world.runtime.db.write() as s:
        await s.execute(delete(CaseSearchToken).where(CaseSearchToken.case_id == wage))
    assert await ids(world, "admin_city", q="拖欠工资") == set()
    assert await search_index.index_missing(world.runtime.db) == 1
    assert await search_index.index_missing(world.runtime.db) == 0  # each case once
    assert await ids(world, "admin_city", q="拖欠工资") == {wage}
    async with world.runtime.db.read() as s:
        per_case = (
            await s.execute(select(func.count()).where(CaseSearchToken.case_id == wage))
        ).scalar_one()
    assert 20 < per_case < 80  # one token per distinct pair or word of facts and claims
