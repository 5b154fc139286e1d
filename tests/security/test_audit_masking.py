"""A ledger export searched by phone number is audited with the number masked.

The audit log is append-only (triggers refuse updates and deletes), so no migration or key
rotation could ever clean a number out of it: it must not be written in clear in the first
place. Real console over HTTP, on SQLite and PostgreSQL (the ``db`` fixture).
"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from features.console.models import AuditEntry
from tests.console.conftest import World, _fast_argon2, client, login, world  # noqa: F401 (fixtures)

PHONE = "13812345678"


async def test_export_audit_keeps_the_search_masked(
    client: TestClient[Any, Any],  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    await login(client, "admin_city")
    for query in (PHONE, "138 1234 5678"):
        resp = await client.get("/staff/cases/export.csv", params={"q": query})
        assert resp.status == 200, await resp.text()
        await resp.read()
    async with world.runtime.db.read() as session:
        rows = (
            await session.execute(select(AuditEntry.data).where(AuditEntry.action == "export"))
        ).scalars()
        searched = [r["filters"]["q"] for r in rows]
    assert searched == ["138******78", "138 **** **78"]
