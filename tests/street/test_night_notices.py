"""The street's notices to staff at night (quiet hours 22:00–08:00), from people's side.

At 23:00 a grid worker registers a wage dispute from the phone: the rule's posts have till
11:00 tomorrow, so their task cards wait for the morning (nothing reaches 市政建管岗 or 政务劳保岗
in the night); 政务劳保岗's member, still up, returns his task from /tasks at 23:20, and the
district's centre reads it in its morning digest. At 23:10 a second one comes in; by 23:30 the street's centre, on night duty,
judges it dangerous (较大): the escalation reaches the district's centre at once, the cards held
of it reach both posts at once saying so, the district hands it to 区人社局 at once, and
市政建管岗 hears at once that its lead task ended. At 08:00 each post's morning digest lists
what still waits for them — 市政建管岗 the first case only (the second is no longer theirs to
accept), 政务劳保岗 nothing (the first he returned, the second he heard of in the night) — and
接单 pressed in the digest accepts the task. A task due before the morning is not held: its desk
hears at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.runtime import Runtime
from core.clock import FakeClock
from features.street.models import StreetTask
from harness import running_service
from harness.steps import STREET_REPORT, link_unit_staff, report_in_street, take_step, wait_text
from mediation.staff_alerts import Item, QuietHours, merge
from services.staff_alerts import Policy
from services.staff_notices import policy_of, policy_payload
from standin import StandinBotAPI
from standin.simulation import SimUser
from storage.db import Database
from storage.models import OutboxMessage, Timer
from tests.conftest import backend_url
from tests.street.test_yuelai_joint import PEOPLE, Console, signed_in

HERE = Path(__file__).parent
FIRST, SECOND = "（2026）悦来调字第0001号", "（2026）悦来调字第0002号"


def units_file(tmp_path: Path, hours: int) -> Path:
    """The joint example's units with the wage rule's deadline set to ``hours``."""
    text = (HERE / "units_joint.toml").read_text(encoding="utf-8")
    rule = 'assist = ["yl-laobao"]\nhours = 4\n'
    assert rule in text
    path = tmp_path / "units.toml"
    path.write_text(text.replace(rule, f'assist = ["yl-laobao"]\nhours = {hours}\n'), "utf-8")
    return path


#: What the grid worker types at "what happened" and "who is involved": an ordinary wage
#: dispute (the risk rules' sweep leaves it at 一般, so nothing about it is urgent).
CALM = {
    "约十名工人聚集在工地大门，反映被拖欠三个月工资，情绪激动。": "施工单位拖欠一名工人三个月工资。",
    "约十名工人、项目经理、施工单位": "一名工人、施工单位",
}


async def report_calmly(reporter: SimUser) -> None:
    """``harness.steps.STREET_REPORT`` with :data:`CALM`'s words."""
    for action, argument, marker in STREET_REPORT:
        if action == "photo":
            await reporter.send_photo(caption=None)
        elif action == "voice":
            await reporter.send_voice()
        else:
            await take_step(reporter, action, CALM.get(argument, argument))
        await wait_text(reporter, marker)


async def queued_to(db: Database, telegram_id: int) -> list[str]:
    """Every text the service queued for this Telegram chat (sent or not yet)."""
    async with db.read() as session:
        rows = await session.execute(
            select(OutboxMessage.payload).where(
                OutboxMessage.channel == "telegram", OutboxMessage.chat_id == str(telegram_id)
            )
        )
        return [str(p.get("text", "")) for p in rows.scalars()]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_routine_street_notices_wait_for_the_morning_dangerous_ones_do_not(
    tmp_path: Path, backend: str
) -> None:
    clock = FakeClock()  # 17:00 in Asia/Shanghai
    url = await backend_url(backend)
    env = {
        "UNITS_FILE": str(units_file(tmp_path, 12)),
        "STAFF_QUIET_HOURS": "22:00-08:00",
    }
    async with StandinBotAPI() as standin:
        async with running_service(
            tmp_path / "var", standin=standin, database_url=url, clock=clock, web_app=True, env=env
        ) as service:
            runtime, db = service.runtime, service.runtime.db
            linked = await link_unit_staff(runtime, standin, PEOPLE.values())
            tg = {key: linked[person[0]] for key, person in PEOPLE.items()}
            grid, jianguan, laobao = tg["grid"], tg["jianguan"], tg["laobao"]
            district, renshe = tg["district"], tg["renshe"]
            ids = {key: person[1] for key, person in PEOPLE.items()}

            # 23:00 and 23:10: two reports; the posts' cards wait (their deadline is 11:00).
            clock.advance(hours=6)
            await report_calmly(grid)
            clock.advance(minutes=10)
            await report_calmly(grid)
            for who in ("jianguan", "laobao"):
                night = await queued_to(db, ids[who])
                assert not [t for t in night if FIRST in t or SECOND in t], night

            # 23:20: 政务劳保岗's member, still up, looks at /tasks and returns the first one;
            # the district's centre hears of it in the morning.
            clock.advance(minutes=10)
            await laobao.send_command("/tasks")
            card = await wait_text(laobao, FIRST)
            await laobao.press("退回", card)
            await wait_text(laobao, "退回的原因")
            await laobao.send_text("欠薪涉及劳动监察，建议由区人社局牵头。")
            await wait_text(laobao, "已退回：")
            assert not [t for t in await queued_to(db, ids["district"]) if FIRST in t]

            # 23:30: the street's centre raises the second to 较大 — it is not held.
            clock.advance(minutes=20)
            web = {
                k: await signed_in(service.base_url, PEOPLE[k][0]) for k in ("street", "district")
            }
            try:
                await _dangerous_one_goes_now(service.runtime, web, district, renshe, jianguan)
                helper = await wait_text(laobao, "风险已升为较大")
                assert SECOND in (helper.text or "") and "政务劳保岗（协办" in (helper.text or "")
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
            # 政务劳保岗: the first returned, the second told in the night: no digest at all.
            assert not [t for t in await queued_to(db, ids["laobao"]) if "需要您处理的案件" in t]
            centre = await wait_text(district, "需要您处理的案件")
            assert FIRST in (centre.text or "")
            assert "政务劳保岗（协办）退回了任务，原因：欠薪涉及劳动监察" in (centre.text or "")
            assert "。。" not in (centre.text or "")
            await jianguan.press("接单", digest)
            accepted = await wait_text(jianguan, "已接单：")
            assert FIRST in (accepted.text or "")
            async with db.read() as session:
                tasks = (
                    await session.execute(select(StreetTask).order_by(StreetTask.id))
                ).scalars()
                assert [t.status for t in tasks][:2] == ["accepted", "returned"]
            # Each card once: held at night, in the digest in the morning, never both; the
            # second's, released at night, not again in the morning.
            to_jianguan = await queued_to(db, ids["jianguan"])
            assert sum(FIRST in t and "待接单" in t for t in to_jianguan) == 1, to_jianguan
            assert sum(SECOND in t and "待接单" in t for t in to_jianguan) == 1, to_jianguan


async def _dangerous_one_goes_now(
    runtime: Runtime,
    web: dict[str, Console],
    district: SimUser,
    renshe: SimUser,
    jianguan: SimUser,
) -> None:
    """The second case, raised to 较大 on the console: escalated, its held cards sent, handed
    over, told — now."""
    db = runtime.db
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
    assert await runtime.timers.run_due() >= 2  # type: ignore[union-attr]
    released = await wait_text(jianguan, "风险已升为较大")
    assert SECOND in (released.text or "") and "市政建管岗（牵头）的任务待接单" in (
        released.text or ""
    )
    said = await web["district"].post(
        f"/street/dispatch/{case_id}",
        [("lead", "yb-renshe"), ("assist", "yl-paichusuo"), ("hours", "12")],
    )
    assert "已移交" in said
    card = await wait_text(renshe, "渝北区人社局（牵头")
    assert SECOND in (card.text or "") and "待接单" in (card.text or "")
    handed = await wait_text(jianguan, "已由上级中心移交渝北区人社局牵头")
    assert SECOND in (handed.text or "")


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_a_task_due_before_the_morning_reaches_its_desk_at_night(
    tmp_path: Path, backend: str
) -> None:
    clock = FakeClock(datetime(2026, 11, 27, 15, 0, tzinfo=ZoneInfo("UTC")))  # 23:00 local
    url = await backend_url(backend)
    env = {"UNITS_FILE": str(units_file(tmp_path, 4)), "STAFF_QUIET_HOURS": "22:00-08:00"}
    async with StandinBotAPI() as standin:
        async with running_service(
            tmp_path / "var", standin=standin, database_url=url, clock=clock, env=env
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


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_a_night_shift_members_own_quiet_hours_count(tmp_path: Path, backend: str) -> None:
    """市政建管岗's member works nights: on the console's account page he set his quiet hours to
    00:00–06:00, so the 23:00 task card reaches him at once; his colleague's waits."""
    clock = FakeClock(datetime(2026, 11, 27, 15, 0, tzinfo=ZoneInfo("UTC")))  # 23:00 local
    url = await backend_url(backend)
    env = {"UNITS_FILE": str(units_file(tmp_path, 12)), "STAFF_QUIET_HOURS": "22:00-08:00"}
    async with StandinBotAPI() as standin:
        async with running_service(
            tmp_path / "var", standin=standin, database_url=url, clock=clock, web_app=True, env=env
        ) as service:
            linked = await link_unit_staff(service.runtime, standin, PEOPLE.values())
            console = await signed_in(service.base_url, "jianguan")
            try:
                said = await console.post("/account/quiet", {"quiet_hours": "00:00-06:00"})
            finally:
                await console.http.close()
            assert "免打扰时段已保存" in said, said
            await report_calmly(linked["wangge"])
            card = await wait_text(linked["jianguan"], "市政建管岗（牵头）")
            assert FIRST in (card.text or "")
            to_laobao = await queued_to(service.runtime.db, PEOPLE["laobao"][1])
            assert not [t for t in to_laobao if FIRST in t], to_laobao


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
