"""The real service through Telegram's faults, one at a time, against the stand-in Bot API.

Each test injects one kind of fault (standin: ``fail_next``, ``delay_next``,
``timeout_next``, ``reset_next``, shuffled/repeated getUpdates batches, duplicate webhook
deliveries) and then proves: every message reached its chat once, ``retry_after`` was honoured,
5xx answers were retried with growing pauses, updates were handled once and in order per chat,
and the invariant checker finds nothing over the database and the stand-in's record.

The one honest exception: when Telegram carried a ``sendMessage`` out but its answer never
came back (a late reply or a reset after the fact), the sender cannot know and sends again —
the stand-in records such calls (``abandoned``) and the tests require the duplicates to be
exactly those, never more. See docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

import bot.botapi
from app.runtime import Runtime
from services.invariants import check
from standin import StandinBotAPI
from standin.simulation import SimUser
from storage.models import InboxUpdate
from tests.e2e.harness import running_service, seed_rooms, service_env, texts

pytestmark = pytest.mark.slow


async def settle(runtime: Runtime, standin: StandinBotAPI) -> None:
    await standin.wait_idle(20)
    assert runtime.telegram is not None
    await asyncio.sleep(0.3)
    await runtime.telegram.sender.drain(within=60)


async def assert_consistent(
    runtime: Runtime, standin: StandinBotAPI, users: list[SimUser], duplicates: int = 0
) -> None:
    """Zero findings, except one unaccounted message per call Telegram carried out but
    whose answer was lost (the only duplicate a correct sender can produce)."""
    await settle(runtime, standin)
    delivered = {u.chat_id: [m.message_id for m in u.messages] for u in users}
    report = await check(runtime.db, grace=timedelta(0), delivered=delivered)
    counts = dict(report.counts)
    assert counts.pop("delivered_unaccounted", 0) == duplicates, report.render()
    assert counts == {}, report.render()


async def room(standin: StandinBotAPI, data_dir: Path) -> tuple[SimUser, SimUser, SimUser]:
    ((applicant, respondent, mediator),) = await seed_rooms(
        service_env(standin, data_dir), 1, first_id=700
    )
    people = (standin.user(applicant), standin.user(respondent), standin.user(mediator))
    for u in people:
        u.register()
    return people


def sends_to(standin: StandinBotAPI, chat_id: int) -> list[float]:
    return [
        c.time
        for c in standin.calls_to("sendMessage")
        if str(c.params.get("chat_id")) == str(chat_id)
    ]


async def test_retry_after_is_honoured_and_nothing_lost(tmp_path: Path) -> None:
    async with StandinBotAPI() as standin:
        a, r, m = await room(standin, tmp_path / "var")
        async with running_service(standin, tmp_path / "var") as runtime:
            standin.fail_next("sendMessage", 429, retry_after=2)
            started = time.time()
            await a.send_text("第一条")
            await a.send_command("/help")
            await r.send_text("第二条")
            for listener, n in ((r, 1), (m, 2), (a, 2)):
                await listener.wait_for_messages(n, timeout=20)
            refused = [e for e in standin.errors if e.status == 429]
            assert len(refused) == 1
            # Nothing went out again until the 2 s had passed (requests already on the wire
            # when the 429 left do not count), and nothing was early.
            slack = refused[0].time + standin.FLOOD_WAIT_SLACK
            after = [c.time for c in standin.calls_to("sendMessage") if c.time > slack]
            assert after and min(after) - refused[0].time >= 2.0
            assert standin.early_calls == []
            assert time.time() - started >= 2.0
            assert "第一条" in (r.messages[0].text or "")
            await assert_consistent(runtime, standin, [a, r, m])


async def test_5xx_retried_with_growing_pauses(tmp_path: Path) -> None:
    async with StandinBotAPI() as standin:
        user = standin.user(8201)
        async with running_service(standin, tmp_path / "var") as runtime:
            await user.send_command("/help")
            await texts(user, 1)
            standin.fail_next("sendMessage", 502, times=2)
            standin.fail_next("sendMessage", 500, times=1)
            standin.fail_next("sendMessage", 503, times=1)
            before = len(sends_to(standin, user.chat_id))
            await user.send_command("/cases")
            (answer,) = await texts(user, 1, timeout=30)
            assert "案件" in answer
            times = sends_to(standin, user.chat_id)[before:]
            assert len(times) == 5  # four refusals, then the one that went through
            gaps = [b - a for a, b in itertools.pairwise(times)]
            # Exponential backoff from 0.5 s: each pause at least the one before, doubled.
            assert gaps[0] >= 0.45 and gaps[1] >= 0.9 and gaps[2] >= 1.8 and gaps[3] >= 3.6, gaps
            await assert_consistent(runtime, standin, [user])


async def test_timeouts_and_resets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The real client gives up after 10 s; a shorter read timeout keeps the test short.
    monkeypatch.setattr(
        bot.botapi, "TIMEOUT", aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=1)
    )
    async with StandinBotAPI() as standin:
        a, r, m = await room(standin, tmp_path / "var")
        async with running_service(standin, tmp_path / "var") as runtime:
            # Not carried out: held until the client gave up, or dropped before the work.
            standin.delay_next("sendMessage", 2.5)
            standin.reset_next("sendMessage")
            await a.send_text("慢一点的消息")
            for listener in (r, m):
                (got,) = await texts(listener, 1, timeout=30)
                assert "慢一点的消息" in got
            await assert_consistent(runtime, standin, [a, r, m], duplicates=0)
            await asyncio.sleep(3)  # the held call finds its client gone and says so
            assert [c for _, _, c, _ in standin.abandoned] == [False, False]

            # Carried out, answer lost: late (beyond the client timeout) and reset after.
            standin.timeout_next("sendMessage", 2.5)
            standin.reset_next("sendMessage", after=True)
            await a.send_text("送达但没有回音")
            await asyncio.sleep(8)
            await settle(runtime, standin)
            lost_answers = [
                p for name, p, carried, _ in standin.abandoned if carried and name == "sendMessage"
            ]
            assert len(lost_answers) == 2
            copies = [
                x.text for u in (r, m) for x in u.messages if "送达但没有回音" in (x.text or "")
            ]
            # Each recipient has it at least once; the extra copies are exactly the calls
            # whose answer was lost after Telegram had carried them out.
            assert len(copies) == 2 + len(lost_answers)
            await assert_consistent(runtime, standin, [a, r, m], duplicates=len(lost_answers))


async def test_get_updates_shuffled_repeated_and_failing(tmp_path: Path) -> None:
    """Batches out of order, the same batch again after it was confirmed, 5xx and 429 on
    getUpdates: every update handled once, in order within its chat."""
    async with StandinBotAPI() as standin:
        a, r, m = await room(standin, tmp_path / "var")
        async with running_service(standin, tmp_path / "var") as runtime:
            standin.bot.shuffle_batches = True
            standin.bot.repeat_batches = 4
            standin.fail_next("getUpdates", 502, times=2)
            standin.fail_next("getUpdates", 429, retry_after=1)
            sent = [f"顺序{k:02d}" for k in range(30)]
            for text in sent:
                await a.send_text(text)  # no waiting: they pile up into batches
            for listener in (r, m):
                got = await texts(listener, len(sent), timeout=60)
                assert [t.split("\n")[-1] for t in got] == sent  # in order, each once
            # The confirmed batch comes back after the faults on getUpdates have passed.
            for _ in range(200):
                if standin.bot.repeat_batches == 0:
                    break
                await asyncio.sleep(0.1)
            assert standin.bot.repeated_updates >= 4  # four batches handed out again
            await asyncio.sleep(0.5)
            await assert_consistent(runtime, standin, [a, r, m])
            async with runtime.db.read() as s:
                handled = (
                    await s.execute(
                        select(func.count())
                        .select_from(InboxUpdate)
                        .where(InboxUpdate.status == "done")
                    )
                ).scalar_one()
            assert handled == len(sent)


async def test_duplicate_webhook_deliveries(tmp_path: Path) -> None:
    from tests.e2e.test_webhook import webhook_service

    async with StandinBotAPI() as standin, webhook_service(standin, tmp_path) as (runtime, _):
        a, r, m = await room(standin, tmp_path / "var")
        standin.bot.duplicate_webhooks = 1_000  # every update is POSTed twice
        sent = [f"重复投递{k:02d}" for k in range(15)]
        for text in sent:
            await a.send_text(text)
        for listener in (r, m):
            got = await texts(listener, len(sent), timeout=60)
            assert [t.split("\n")[-1] for t in got] == sent
        await a.send_command("/help")
        assert "可用命令" in (await texts(a, 1))[0]
        await asyncio.sleep(0.5)
        dispatcher = standin.webhook_dispatcher(standin.bot)
        assert dispatcher is not None and dispatcher.duplicates == len(sent) + 1
        await assert_consistent(runtime, standin, [a, r, m])


async def test_retry_after_on_a_callback_answer_is_honoured(tmp_path: Path) -> None:
    """answerCallbackQuery is no message and has no flood bucket, but a 429 on it still
    carries a retry_after that must be waited out."""
    async with StandinBotAPI() as standin:
        user = standin.user(8301)
        async with running_service(standin, tmp_path / "var") as runtime:
            await user.send_command("/start")
            await texts(user, 2)
            standin.fail_next("answerCallbackQuery", 429, retry_after=2)
            update = await user.press("同意，开始登记")
            assert "纠纷类型" in (await texts(user, 1, timeout=20))[0]
            query_id = update["callback_query"]["id"]
            for _ in range(100):
                if standin.callback_answer(query_id) is not None:
                    break
                await asyncio.sleep(0.1)
            assert standin.callback_answer(query_id) is not None
            assert standin.early_calls == [], standin.early_calls
            await assert_consistent(runtime, standin, [user])


async def test_polling_survives_a_failed_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database refuses to store a batch once (locked, connection lost): the poller must
    keep running and fetch the same updates again — not die and leave the bot deaf."""
    async with StandinBotAPI() as standin:
        user = standin.user(8401)
        async with running_service(standin, tmp_path / "var") as runtime:
            assert runtime.telegram is not None
            inbox = runtime.telegram.inbox
            real = inbox.accept
            failures = {"left": 1}

            async def flaky(update_id: int, chat_key: str, payload: dict[str, object]) -> bool:
                if failures["left"]:
                    failures["left"] -= 1
                    raise OSError("database is unavailable (injected)")
                return await real(update_id, chat_key, payload)

            monkeypatch.setattr(inbox, "accept", flaky)
            await user.send_command("/help")
            assert "可用命令" in (await texts(user, 1, timeout=20))[0]
            await user.send_command("/cases")
            assert (await texts(user, 1, timeout=20))[0]
            assert failures["left"] == 0
            await assert_consistent(runtime, standin, [user])
