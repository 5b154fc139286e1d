"""The routing table: one owner per command, button prefix and awaited input; conflicts fail at
start; invitations and /cancel reach their owner in every state."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app.features import load as load_features
from core.clock import FakeClock
from harness.steps import RESPONDENT_PHONE, join_invited, link_staff
from mediation.replies import Reply, reply
from services import features
from services.conversation import ConversationService
from services.routing import (
    ActionRoute,
    Audience,
    AwaitedInput,
    CommandRoute,
    RouteConflict,
    RoutingTable,
    Who,
)
from services.turn import Turn
from services.units import load_units
from standin import StandinBotAPI
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import make_settings
from tests.e2e.harness import running_service, texts
from tests.e2e.test_intake import walk_intake


async def _nothing(turn: Turn, who: Who, data: object) -> list[Reply] | None:
    return None


def _service(tmp_path: Path, db: Database) -> ConversationService:
    settings = make_settings(tmp_path)
    return ConversationService(db, settings, load_units(settings.units_file), FakeClock())


def test_the_real_table_has_one_owner_for_everything(sqlite_db: Database, tmp_path: Path) -> None:
    load_features()
    table = _service(tmp_path, sqlite_db).routes
    staff, party = table.command_names(Audience.STAFF), table.command_names(Audience.PARTY)
    assert {"queue", "note", "invite", "room", "help", "cancel", "link", "agreement"} <= set(staff)
    assert {"start", "join", "cases", "help", "cancel", "ask", "offer"} <= set(party)
    assert "queue" not in party
    start = table.command("start", Audience.STAFF)
    assert start is not None and start.owner == "features.room.staff"
    # The agreements' outcome step narrows the staff panel's buttons, and says so.
    chain = table.action_chain("m:close", Audience.STAFF)
    assert [r.owner for r in chain] == ["features.agreements.feature", "features.room.staff"]
    assert {"join", "ag_input", "ng_input", "voice_edit", "staff_input"} <= set(
        table.awaited_keys()
    )


@pytest.fixture
def clashing_feature() -> Iterator[None]:
    """A feature that claims the staff flow's /note and the party flow's buttons."""
    features.command("note")(_nothing)
    yield
    del features.COMMANDS["note"]


def test_a_feature_claiming_a_flows_command_fails_at_start(
    clashing_feature: None, sqlite_db: Database, tmp_path: Path
) -> None:
    with pytest.raises(RouteConflict, match=r"/note .*features.room.staff"):
        _ = _service(tmp_path, sqlite_db).routes


def test_conflicts_by_audience_prefix_and_awaited_input() -> None:
    table = RoutingTable()
    table.add(CommandRoute("switch", "party", _nothing, Audience.PARTY))
    table.add(CommandRoute("switch", "staff", _nothing, Audience.STAFF))  # different people
    with pytest.raises(RouteConflict):
        table.add(CommandRoute("switch", "feature", _nothing))  # anyone overlaps both
    table.add(ActionRoute("m:", "staff", _nothing, Audience.STAFF))
    with pytest.raises(RouteConflict, match="extends"):
        table.add(ActionRoute("m:x", "feature", _nothing))
    table.add(ActionRoute("m:x", "feature", _nothing, extends="m:"))
    with pytest.raises(RouteConflict):
        table.add(ActionRoute("m:x", "other", _nothing, extends="m:"))
    table.add(AwaitedInput("ask", "lawyers"))
    with pytest.raises(RouteConflict):
        table.add(AwaitedInput("ask", "other"))


async def test_the_code_typed_at_the_consent_screen_joins(tmp_path: Path) -> None:
    """Told "打开本机器人，输入邀请码", the other side opens the bot (/start shows the consent
    question) and types the code as read over the phone: lower case, a space for the dash."""
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var"):
            applicant = standin.user(7301, first_name="甲", phone="+8613800007301")
            await walk_intake(applicant)
            invite_text = applicant.messages[-2].text or ""
            found = re.search(r"邀请码：([A-Z0-9]{4})-([A-Z0-9]{4})", invite_text)
            assert found
            respondent = standin.user(7302, first_name="乙", phone=RESPONDENT_PHONE)
            await respondent.send_command("/start")
            await texts(respondent, 2)  # welcome and the consent question
            await respondent.send_text(f"{found.group(1).lower()} {found.group(2).lower()}")
            # The invitation is bound to the number the applicant gave: prove it, then join.
            assert "分享您的手机号" in (await texts(respondent, 1))[0]
            await respondent.press("📱 分享我的手机号")
            summary = (await texts(respondent, 2))[-1]
            assert "您被邀请参加" in summary
            await respondent.press("同意参加调解")
            (welcome,) = await texts(respondent, 1)
            assert "被申请人】" in welcome
            # The unbegun intake gave way: their next words are not a consent answer.
            await respondent.send_text("我同意调解")
            (after,) = await texts(respondent, 1)
            assert "调解会话尚未开始，您的消息已记录" in after


async def test_a_wrong_code_at_consent_says_so(tmp_path: Path) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var"):
            person = standin.user(7311)
            await person.send_command("/start")
            await texts(person, 2)
            await person.send_text("ABCD-EFGH")
            (answer,) = await texts(person, 1)
            assert "邀请" in answer and "同意" not in answer


async def test_cancel_ends_a_waiting_input_outside_the_intake(tmp_path: Path) -> None:
    """Declining asks for a reason; /cancel ends that wait, and the next words are not taken
    as the reason (the invitation stays open)."""
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var"):
            applicant = standin.user(7321, first_name="甲", phone="+8613800007321")
            await walk_intake(applicant)
            token = re.search(r"start=(inv_[A-Za-z0-9_-]+)", applicant.messages[-2].text or "")
            assert token
            respondent = standin.user(7322, first_name="乙", phone=RESPONDENT_PHONE)
            await join_invited(respondent, token.group(1))
            await respondent.press("不参加")
            assert "原因" in (await texts(respondent, 1))[0]
            await respondent.send_command("/cancel")
            assert (await texts(respondent, 1))[0] == "已取消，不再等待您的输入。"
            await respondent.send_text("太忙了")
            (idle,) = await texts(respondent, 1)
            assert "/start" in idle  # an ordinary idle answer, not "declined"
            await respondent.send_command("/cancel")
            assert "没有正在填写" in (await texts(respondent, 1))[0]


def test_pre_route_reply_keys_exist() -> None:
    assert reply("bot.input_cancelled").text.key == "bot.input_cancelled"


async def test_help_is_for_the_person_asking(tmp_path: Path) -> None:
    """A party's /help lists the party's commands; a linked mediator's lists the staff tools
    (/queue, /room, /note…), a lawyer's the lawyer's (/duty, /review…)."""
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var") as runtime:
            party = standin.user(7331)
            await party.send_command("/help")
            (text,) = await texts(party, 1)
            assert "/start 登记新的纠纷" in text and "/queue" not in text
            mediator = await link_staff(runtime, standin, "med_help", 7332)
            await mediator.send_command("/help")
            (text,) = await texts(mediator, 1)
            assert "工作人员命令" in text
            assert all(c in text for c in ("/queue", "/room", "/note", "/record", "/agreement"))
            lawyer = await link_staff(runtime, standin, "law_help", 7333, role="lawyer")
            await lawyer.send_command("/help")
            (text,) = await texts(lawyer, 1)
            assert "律师命令" in text and "/duty" in text and "/queue" not in text


async def test_a_new_case_reaches_the_units_mediators(tmp_path: Path) -> None:
    """Filed in the chat, a case is announced to the unit's linked mediator with a take button;
    a lawyer of the same unit is not told."""
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var") as runtime:
            mediator = await link_staff(runtime, standin, "med_alert", 7341)
            lawyer = await link_staff(runtime, standin, "law_alert", 7342, role="lawyer")
            applicant = standin.user(7343, first_name="甲", phone="+8613800007343")
            await walk_intake(applicant)
            (alert,) = await texts(mediator, 1)
            assert alert.startswith("新案件待接手：（2026）示调字第0001号")
            await mediator.press("接手 （2026）示调字第0001号")
            assert "已接手" in (await texts(mediator, 2))[0]
            async with runtime.db.read() as session:
                rows = await session.execute(select(OutboxMessage.chat_id, OutboxMessage.payload))
                alerted = {chat for chat, p in rows.all() if "新案件" in str(p.get("text", ""))}
            assert alerted == {str(mediator.user_id)}  # not the lawyer
            assert lawyer.user_id != mediator.user_id
