"""Hostile Telegram updates through the real path, in every state of the intake and of a room.

The service runs in this process against the stand-in Bot API and a real SQLite database, with
every feature loaded. Chats are first brought to each step of the intake (by a simulated
person pressing the real buttons) and into mediation rooms (applicant, respondent, mediator);
then hypothesis feeds raw update JSON (see ``update_strategies``) to ``TelegramBot.accept`` —
what the webhook calls — so it goes through the inbox, PTB's ``Update.de_json``,
``bot.updates.to_inbound`` and ``ConversationService.handle`` with every registered command and
action of ``services.features`` plus garbage. Then:

- every update ends handled (inbox ``done``); the only accepted failure is an update PTB itself
  cannot parse (``unparseable``: kept for inspection) — never an exception of ours;
- every reply was accepted by the stand-in (which refuses what Telegram refuses: empty or
  > 4096-character texts, > 64-byte callback data, broken markup) and no reply is a bare
  catalog key (a missing translation);
- nothing is half written: every case has its applicant and its creation event, no inbox row
  is left pending.
Random bytes and random updates are also POSTed to the webhook over HTTP.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.runtime import Runtime
from services import features
from standin import StandinBotAPI
from storage.models import Case, CaseEvent, CaseParty, InboxUpdate, OutboxMessage
from tests.e2e.harness import running_service, seed_rooms, service_env
from tests.e2e.test_intake import ID
from tests.security.update_strategies import BUILTIN_ACTIONS, BUILTIN_COMMANDS, raw_update

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "150"))
KEY_LIKE = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")
#: How the simulated person answers each intake question (found by the prompt's words), so the
#: seeding follows the intake as it grows; anything else optional is skipped.
ANSWERS = (
    ("自愿", "press", "同意，开始登记"),
    ("第 1 步", "press", "劳动争议/欠薪"),
    ("第 2 步", "text", "老板拖欠我三个月工资共一万二千元，多次催要都说没钱。"),
    ("第 3 步", "press", "下一步"),
    ("第 4 步", "text", "支付拖欠的工资一万二千元"),
    ("第 5 步", "text", "12000"),
    ("第 6 步", "text", "九龙坡区杨家坪街道"),
    ("第 7 步", "text", "张三"),
    ("第 8 步", "press", "📱 分享我的手机号"),
    ("第 9 步", "text", ID),
    ("第 10 步", "text", "李四"),
    ("第 11 步", "text", "139 8765 4321"),
    ("确认", "press", "✅ 确认提交"),
)
_ids = itertools.count(10**9)


def _message(
    chat: object,
    sender: object,
    content: dict[str, object],
    *,
    message_id: int = 1,
    **sender_fields: object,
) -> dict[str, Any]:
    """A private chat's message update with the next update id: ``chat`` and ``sender`` as
    given (garbled ids too), the sender ``x`` unless ``sender_fields`` say otherwise."""
    return {
        "update_id": next(_ids),
        "message": {
            "message_id": message_id,
            "date": 0,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": sender, "is_bot": False, "first_name": "x", **sender_fields},
            **content,
        },
    }


async def pending_rows(session: AsyncSession, table: type[InboxUpdate | OutboxMessage]) -> int:
    """How many updates (or outgoing messages) still wait to be handled (or sent)."""
    waiting = select(func.count()).select_from(table).where(table.status == "pending")
    return (await session.execute(waiting)).scalar_one()


async def settle(runtime: Runtime, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Until every stored update is handled and every reply delivered (on PostgreSQL the
    sender polls the outbox, so drain() alone does not mean sent)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with runtime.db.read() as s:
            pending = await pending_rows(s, InboxUpdate)
            unsent = await pending_rows(s, OutboxMessage)
        if not pending and not unsent:
            break
        assert asyncio.get_running_loop().time() < deadline, f"{pending} updates stuck"
        assert runtime.telegram is not None
        await runtime.telegram.sender.drain()
        await asyncio.sleep(0.02)


async def seed_intake(standin: StandinBotAPI, runtime: Runtime) -> list[int]:
    """Chats stopped after 1, 2, … steps of the intake (and one past submission)."""
    chats = []
    for k in range(1, 16):  # 1: just /start … 14: the confirmation page, 15: submitted
        user = standin.user(
            700_000 + k, first_name="张三", phone=f"+86138{k:08d}", language_code="zh-hans"
        )
        await user.send_command("/start")
        for _ in range(1000):
            if user.messages:
                break
            await asyncio.sleep(0.01)
        await settle(runtime)
        for _ in range(k - 1):
            prompts = [m for m in reversed(user.messages) if m.text][:1]  # the newest question
            text = "\n".join(m.text or "" for m in prompts)
            buttons = {b for m in prompts for b in m.button_texts} | {
                key.text for m in prompts for key in m.keyboard
            }
            action = next(((how, what) for needle, how, what in ANSWERS if needle in text), None)
            if action and action[0] == "press" and action[1] not in buttons:
                action = None
            if action is None:
                if "跳过" not in buttons:
                    break
                action = ("press", "跳过")
            how, what = action
            before = len(user.messages)
            await (user.press(what) if how == "press" else user.send_text(what))
            for _ in range(1000):  # the poller fetches the update, then the reply comes
                if len(user.messages) > before:
                    break
                await asyncio.sleep(0.01)
            await settle(runtime)
        user.seen = len(user.messages)
        chats.append(user.user_id)
    return chats


def test_hostile_updates_in_every_state(tmp_path: Path, database_url: str | None) -> None:
    runner = asyncio.Runner()
    stack = AsyncExitStack()
    data_dir = tmp_path / "var"
    try:
        standin = runner.run(stack.enter_async_context(StandinBotAPI()))
        rooms = runner.run(seed_rooms(service_env(standin, data_dir, database_url), 2))
        runtime = runner.run(
            stack.enter_async_context(running_service(standin, data_dir, database_url))
        )
        for ids in rooms:
            for telegram_id in ids:
                # A private chat the bot can write to (a linked mediator has talked to the bot:
                # they hear of the cases seed_intake files).
                standin.user(telegram_id).register()
        chats = runner.run(seed_intake(standin, runtime))
        chats += [telegram_id for ids in rooms for telegram_id in ids]
        print("\nseeded:", runner.run(describe(runtime)))
        for fresh in range(3):
            fresh_user = standin.user(800_000 + fresh)
            fresh_user.register()
            chats.append(fresh_user.user_id)
        commands = BUILTIN_COMMANDS + tuple(features.COMMANDS)
        actions = BUILTIN_ACTIONS + tuple(features.ACTIONS)
        assert len(features.COMMANDS) >= 5 and len(features.ACTIONS) >= 3
        problems: list[str] = []
        sent: list[int] = []
        telegram = runtime.telegram
        assert telegram is not None

        async def play(raws: list[dict[str, Any]]) -> None:
            for raw in raws:
                sent.append(raw["update_id"])
                await telegram.accept(raw)
            await settle(runtime)
            async with runtime.db.read() as s:
                rows = await s.execute(
                    select(InboxUpdate.update_id, InboxUpdate.status, InboxUpdate.error).where(
                        InboxUpdate.update_id.in_([r["update_id"] for r in raws])
                    )
                )
                for update_id, status, error in rows:
                    if status != "done" and not (error or "").startswith("unparseable"):
                        raw = next(r for r in raws if r["update_id"] == update_id)
                        problems.append(f"{status}: {error}\n  {str(raw)[:600]}")

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(st.data())
        def scenario(data: st.DataObject) -> None:
            raws = [
                data.draw(raw_update(chats, commands, actions, next(_ids)))
                for _ in range(data.draw(st.integers(1, 4)))
            ]
            runner.run(play(raws))
            assert not problems, "\n".join(problems[:10])

        # Regressions found by this test, replayed every run.
        chat = chats[0]
        runner.run(
            play([_message(chat, [chat], {"text": "hi"}), _message({"a": 1}, chat, {"text": "hi"})])
        )
        runner.run(
            play(
                [
                    _message(chat, chat, {"text": "hi"}, language_code=7),
                    {
                        "update_id": next(_ids),
                        "callback_query": {
                            "id": "q",
                            "from": {"id": chat, "is_bot": False, "first_name": "x"},
                            "chat_instance": "c",
                            "data": ["i:consent"],
                            "message": {
                                "message_id": 1,
                                "date": 0,
                                "chat": {"id": chat, "type": "private"},
                            },
                        },
                    },
                ]
            )
        )
        # A room member's photo whose chat id was garbled: relayed as a copy from a chat that
        # does not exist, which Telegram refuses ("Chat not found"). Found once by chance.
        member = rooms[0][0]
        photo = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
        runner.run(play([_message(987654321, member, {"photo": photo}, message_id=7)]))
        # A NUL character: PostgreSQL refuses it in text and in JSONB.
        runner.run(play([_message(chat, chat, {"text": "a\x00b"}, first_name="x\x00")]))
        assert not problems, problems
        scenario()
        runner.run(check_aftermath(runtime, sent, seeded_cases=len(rooms), chats=chats))
        runner.run(webhook_garbage(runtime, chats, commands, actions))
    finally:
        runner.run(stack.aclose())
        runner.close()


async def describe(runtime: Runtime) -> dict[str, str]:
    """Where each chat stands (intake step or room), for the report."""
    from storage.models import Conversation

    async with runtime.db.read() as s:
        rows = (await s.execute(select(Conversation.chat_id, Conversation.state))).all()
    return {
        chat: str(((state or {}).get("intake") or {}).get("step") or sorted(state or {}))
        for chat, state in rows
    }


async def check_aftermath(
    runtime: Runtime, sent: list[int], *, seeded_cases: int, chats: list[int]
) -> None:
    async with runtime.db.read() as s:
        statuses = dict(
            (
                await s.execute(
                    select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status)
                )
            ).all()
        )
        outbox = (
            await s.execute(
                select(
                    OutboxMessage.status,
                    OutboxMessage.payload,
                    OutboxMessage.chat_id,
                    OutboxMessage.error,
                )
            )
        ).all()
        cases = (await s.execute(select(Case.id))).scalars().all()
        applicants = set(
            (
                await s.execute(select(CaseParty.case_id).where(CaseParty.side == "applicant"))
            ).scalars()
        )
        created = set((await s.execute(select(CaseEvent.case_id))).scalars())
    print(
        f"\n{len(sent)} hostile updates; inbox {statuses}; outbox "
        f"{dict((k, sum(1 for o in outbox if o[0] == k)) for k in {o[0] for o in outbox})}; "
        f"{len(cases)} cases"
    )
    assert statuses.get("pending", 0) == 0
    assert len(sent) >= EXAMPLES
    # An update whose chat id was garbled (a random integer) is answered in a chat that does
    # not exist, and a room relays a photo by copying a message id the generator invented, or
    # from the garbled chat ("Chat not found": this test failed by chance on PostgreSQL before
    # the filter knew it; issue 21): Telegram refuses them, rightly. Every other reply to a
    # real chat must go through.
    known = {str(c) for c in chats}
    refused_copy = ("copy not found", "chat not found")
    failed = [
        (p, error)
        for status, p, chat, error in outbox
        if status != "sent"
        and chat in known
        and not (p.get("kind") == "copy" and any(m in (error or "").lower() for m in refused_copy))
    ]
    assert not failed, failed[:5]
    texts = [str(p.get("text") or p.get("caption") or "") for _s, p, _c, _e in outbox]
    assert not [t for t in texts if KEY_LIKE.match(t.strip())], "a reply is a bare catalog key"
    assert set(cases) <= applicants
    assert {c for c in cases if c > seeded_cases} <= created  # seeded rooms have no events


async def webhook_garbage(
    runtime: Runtime, chats: list[int], commands: tuple[str, ...], actions: tuple[str, ...]
) -> None:
    """Random bytes and random updates POSTed to the webhook with the right secret."""
    import random

    from web.app import create_app

    r = random.Random(4)
    statuses: dict[int, int] = {}
    assert runtime.telegram is not None
    secret = runtime.telegram.webhook_secret
    async with TestClient(TestServer(create_app(runtime))) as client:
        bodies: list[bytes] = [r.randbytes(r.randint(0, 5000)) for _ in range(150)]
        bodies += [b"", b"null", b"[]", b'{"update_id": "1"}', b'{"update_id": 1.5}', b"{" * 10000]
        bodies += [b'{"update_id": %d, "message": 5}' % next(_ids), b"\xff\xfe{}", b"9" * 10**6]
        for body in bodies:
            resp = await client.post(
                "/telegram/webhook",
                data=body,
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            )
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
            assert resp.status in (200, 400, 413), (resp.status, body[:80])
        wrong = await client.post(
            "/telegram/webhook", data=b"{}", headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
        )
        assert wrong.status == 403
    await settle(runtime)
    print(f"webhook: {len(bodies)} garbage bodies, statuses {statuses}")
