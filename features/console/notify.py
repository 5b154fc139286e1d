"""Risk alerts to staff in the chat, through the outbox like every other message.

Why through the outbox: the alert row in the console and the chat message must not depend
on the bot being up at that second; a queued row survives a restart and the sender delivers
it. The message names the case number, the level and the rules — never a party's name or
phone number, which would otherwise sit on Telegram's servers. Each recipient is told where
the chat reaches them: their linked Telegram, else the browser chat of their account's phone
(``services.delivery.staff_addresses``), once.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from features.console.models import RiskRuleRow
from features.console.risk import AlertHook, AlertNotice
from i18n import translate
from mediation.replies import Msg
from services.delivery import staff_addresses
from services.outbox import QueuedMessage, enqueue
from services.outgoing import TextMessage
from storage.db import Database
from storage.models import StaffAccount

Deliver = Callable[[list[QueuedMessage]], None]


def staff_chat_alert_hook(db: Database, deliver: Deliver, public_url: str | None) -> AlertHook:
    """An ``AlertHook`` that queues one chat message per recipient the chat reaches (Telegram
    where linked, else the browser chat of the account's phone)."""

    async def hook(notice: AlertNotice) -> None:
        if not notice.recipients:
            return
        queued: list[QueuedMessage] = []
        async with db.write() as session:
            staff = await session.execute(
                select(StaffAccount).where(
                    StaffAccount.id.in_([r.staff_id for r in notice.recipients])
                )
            )
            addresses = await staff_addresses(session, staff.scalars())
            names = {
                code: name
                for code, name in await session.execute(
                    select(RiskRuleRow.code, RiskRuleRow.name).where(
                        RiskRuleRow.code.in_(list(notice.reasons))
                    )
                )
            }
            for r in notice.recipients:
                address = addresses.get(r.staff_id)
                if address is None:
                    continue
                lang = address.language or "zh-CN"
                reasons = "、".join(
                    names.get(code) or translate(lang, f"console.rule.{code}")
                    for code in notice.reasons
                )
                link = (
                    f"{public_url.rstrip('/')}/staff/cases/{notice.case_id}" if public_url else ""
                )
                text = translate(
                    lang,
                    Msg(
                        f"console.alert.{notice.kind}",
                        {
                            "number": notice.case_number,
                            "level": Msg(f"console.risk.{notice.level.value}"),
                            "reasons": reasons or "—",
                            "link": link,
                        },
                    ),
                )
                queued += await enqueue(
                    session, address.channel, address.chat_id, [TextMessage(text)]
                )
        deliver(queued)

    return hook
