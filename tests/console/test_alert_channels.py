"""The console's risk alerts reach staff on the channel they use (``features.console.notify``).

王调解 (community 1's mediator) has no Telegram: her account's phone is the one she logs in to
the browser chat with, so the sweep's alert goes to that chat. 赵调解 (the street's mediator)
has both: told once, in Telegram. A mediator with neither is left to the console.
"""

from __future__ import annotations

from sqlalchemy import select

from core import crypto
from features.console.notify import staff_chat_alert_hook
from features.console.risk import RiskService
from services.outbox import QueuedMessage
from services.staff import set_phone
from storage.models import OutboxMessage, StaffAccount, User
from tests.console.conftest import World

BROWSER_PHONE = "13700007301"
BOTH_PHONE = "13700007302"


async def test_the_sweeps_alert_reaches_a_browser_only_mediator_and_a_linked_one_once(
    world: World,
) -> None:
    rt = world.runtime
    assert await set_phone(rt.db, "med_c1", BROWSER_PHONE) is None
    assert await set_phone(rt.db, "med_street", BOTH_PHONE) is None
    async with rt.db.write() as s:
        street = await s.get_one(StaffAccount, world.staff["med_street"])
        street.telegram_id = 888
        # Each logged in to the browser chat with the account's phone (what the login stores).
        logins = [
            User(phone=p, phone_hash=crypto.blind_index(p), language="zh-CN")
            for p in (BROWSER_PHONE, BOTH_PHONE)
        ]
        s.add_all(logins)
        await s.flush()
        browser_id, both_id = (u.id for u in logins)
    delivered: list[QueuedMessage] = []
    hook = staff_chat_alert_hook(rt.db, delivered.extend, None)
    risk = RiskService(rt.db, rt.units, rt.clock, hook)
    await risk.ensure_defaults()
    await risk.sweep()

    async with rt.db.read() as s:
        rows = list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())
    to = {(r.channel, r.chat_id): r.payload["text"] for r in rows}
    assert set(to) == {("web", f"user:{browser_id}"), ("telegram", "888")}, to
    assert len(rows) == len(delivered) == 2
    assert ("web", f"user:{both_id}") not in to  # Telegram first: told once
    for text in to.values():
        assert text.startswith("【风险预警】") and "较大" in text
        assert "张三" not in text and "13812345678" not in text
