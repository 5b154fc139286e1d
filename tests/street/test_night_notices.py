"""The street's notices to staff at night (quiet hours 22:00–08:00), from people's side.

At 23:00 a grid worker registers a wage dispute from the phone: the rule's posts have till
11:00 tomorrow, so their task cards wait for the morning (nothing reaches 市政建管岗 or 政务劳保岗
in the night). At 23:10 a second one comes in; by 23:30 the street's centre, on night duty,
judges it dangerous (较大): the escalation reaches the district's centre at once, the district
hands it to 区人社局 at once, and 市政建管岗 hears at once that its lead task ended. At 08:00 each
post's morning digest lists what still waits for them — 市政建管岗 the first case only (the
second is no longer theirs to accept) — and 接单 pressed in the digest accepts the task. A task
due before the morning is not held: its desk hears at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.clock import FakeClock
from features.street.models import StreetTask
from harness import running_service
from harness.steps import link_unit_staff, report_in_street, wait_text
from mediation.staff_alerts import Item, QuietHours, merge
from services.staff_alerts import Policy
from services.staff_notices import policy_of, policy_payload
from standin import StandinBotAPI
from standin.simulation import SimUser
from storage.db import Database
from storage.models import OutboxMessage, Timer
from tests.street.service import street_with_bot
from tests.street.test_yuelai_joint import PEOPLE, Console, signed_in

HERE = Path(__file__).parent
FIRST, SECOND = "（2026）悦来调字第0001号", "（2026）悦来调字第0002号"
#: Staff notices held from 22:00 to 08:00 (the setting both tests run under).
QUIET_NIGHTS = {"STAFF_QUIET_HOURS": "22:00-08:00"}


def units_file(tmp_path: Path, hours: int) -> Path:
    """The joint example's units with the wage rule's deadline set to ``hours``."""
    text = (HERE / "units_joint.toml").read_text(encoding="utf-8")
    rule = 'assist = ["yl-laobao"]\nhours = 4\n'
    assert rule in text
    path = tmp_path / "units.toml"
    path.write_text(text.replace(rule, f'assist = ["yl-laobao"]\nhours = {hours}\n'), "utf-8")
    return path


async def queued_to(db: Database, telegram_id: int) -> list[str]:
    """Every text the service queued for this Telegram chat (sent or not yet)."""
    async with db.read() as session:
        rows = await session.execute(
            select(OutboxMessage.payload).where(
                OutboxMessage.channel == "telegram", OutboxMessage.chat_id == str(telegram_id)
            )
        )
        return [str(p.get("text", "")) for p in rows.scalars()]


async def test_routine_street_notices_wait_for_the_morning_dangerous_ones_do_not(
    tmp_path: Path, database_url: str | None
) -> None:
    clock = FakeClock()  # 17:00 in Asia/Shanghai
    units = str(units_file(tmp_path, 12))
    async with street_with_bot(
        tmp_path, units, database_url=database_url, clock=clock, env=QUIET_NIGHTS
    ) as (standin, runtime, base):
        db = runtime.db
        linked = await link_unit_staff(runtime, standin, PEOPLE.values())
        tg = {key: linked[person[0]] for key, person in PEOPLE.items()}
        grid, jianguan, laobao = tg["grid"], tg["jianguan"], tg["laobao"]
        district, renshe = tg["district"], tg["renshe"]
        ids = {key: person[1] for key, person in PEOPLE.items()}

        # 23:00 and 23:10: two reports; the posts' cards wait (their deadline is 11:00).
        clock.advance(hours=6)
        await report_in_street(grid)
        clock.advance(minutes=10)
        await report_in_street(grid)
        # (The console's risk alert on the words "聚集…情绪激动" is its own, and not held.)
        for who in ("jianguan", "laobao"):
            night = await queued_to(db, ids[who])
            assert not [t for t in night if "【待接单】" in t], night

        # 23:30: the street's centre raises the second to 较大 — it is not held.
        clock.advance(minutes=20)
        web = {k: await signed_in(base, PEOPLE[k][0]) for k in ("street", "district")}
        try:
            await _dangerous_one_goes_now(db, web, district, renshe, jianguan)
        finally:
            for console in web.values():
                await console.http.close()

        # 08:00: the morning's digest, with what still waits for each.
        clock.advance(hours=8, minutes=30)
        assert await runtime.timers.run_due() >= 2  # type: ignore[union-attr]
        digest = await wait_text(jianguan, "需要您处理的案件")
        text = digest.text or ""
        assert FIRST in text and "市政建管岗（牵头）的任务待接单" in text
        assert SECOND not in text, "handed over in the night: no longer theirs to accept"
        helper = await wait_text(laobao, "需要您处理的案件")
        assert FIRST in (helper.text or "") and "政务劳保岗（协办，牵头：市政建管岗）" in (
            helper.text or ""
        )
        await jianguan.press("接单", digest)
        accepted = await wait_text(jianguan, "已接单：")
        assert FIRST in (accepted.text or "")
        async with db.read() as session:
            tasks = (await session.execute(select(StreetTask).order_by(StreetTask.id))).scalars()
            assert [t.status for t in tasks][:2] == ["accepted", "assigned"]
        # Each card once: held at night, in the digest in the morning, never both.
        to_jianguan = await queued_to(db, ids["jianguan"])
        assert sum(FIRST in t and "待接单" in t for t in to_jianguan) == 1, to_jianguan


async def _dangerous_one_goes_now(
    db: Database, web: dict[str, Console], district: SimUser, renshe: SimUser, jianguan: SimUser
) -> None:
    """The second case, raised to 较大 on the console: escalated, handed over, told — now."""
    async with db.read() as session:
        tasks = list((await session.execute(select(StreetTask))).scalars())
    case_id = max(t.case_id for t in tasks)
    page = f"/street/cases/{case_id}"
    said = await web["street"].post(
        page, {"do": "risk", "level": "major", "reason": "工人情绪激动，扬言堵路。"}
    )
    assert "已升级上报" in said
    escalated = await wait_text(district, "【升级上报】")
    assert SECOND in (escalated.text or "")
    said = await web["district"].post(
        f"/street/dispatch/{case_id}",
        [("lead", "yb-renshe"), ("assist", "yl-paichusuo"), ("hours", "12")],
    )
    assert "已移交" in said
    card = await wait_text(renshe, "渝北区人社局（牵头")
    assert SECOND in (card.text or "") and "待接单" in (card.text or "")
    handed = await wait_text(jianguan, "已由上级中心移交渝北区人社局牵头")
    assert SECOND in (handed.text or "")


async def test_a_task_due_before_the_morning_reaches_its_desk_at_night(
    tmp_path: Path, database_url: str | None
) -> None:
    clock = FakeClock(datetime(2026, 11, 27, 15, 0, tzinfo=ZoneInfo("UTC")))  # 23:00 local
    env = {"UNITS_FILE": str(units_file(tmp_path, 4)), **QUIET_NIGHTS}
    async with StandinBotAPI() as standin:
        async with running_service(
            tmp_path / "var", standin=standin, database_url=database_url, clock=clock, env=env
        ) as service:
            linked = await link_unit_staff(service.runtime, standin, PEOPLE.values())
            await report_in_street(linked["wangge"])
            card = await wait_text(linked["jianguan"], "市政建管岗（牵头）")
            assert FIRST in (card.text or "") and "11-28 03:00" in (card.text or "")
            await wait_text(linked["laobao"], "政务劳保岗（协办")
            async with service.runtime.db.read() as session:
                timers = (
                    await session.execute(select(Timer).where(Timer.kind == "street.task_due"))
                ).scalars()
                payloads = [t.payload for t in timers]
            # The overdue alert will fire at 03:00: it knows the quiet hours then.
            assert all(p["quiet_hours"] == "22:00-08:00" for p in payloads), payloads


def test_a_features_held_item_and_the_policy_a_timer_carries() -> None:
    task = Item("street.task", 1, ref=7)
    assert Item.from_json(task.to_json()) == task
    assert Item.from_json({"kind": "street", "case": 1}) is None
    assert Item.from_json({"kind": "street.", "case": 1}) is None
    other = Item("street.task", 1, ref=8)
    assert merge(merge([task], other), task) == [other, task], "two tasks, one each"
    policy = Policy(QuietHours.parse("23:30-07:00"), ZoneInfo("Asia/Shanghai"), timedelta(0))
    back = policy_of(policy_payload(policy))
    assert back is not None and back.quiet == policy.quiet and back.tz == policy.tz
    assert policy_of({}) is None
    off = policy_of(policy_payload(Policy(None, ZoneInfo("Asia/Shanghai"), timedelta(0))))
    assert off is not None and off.quiet is None
