"""Staff in the chat (issue 20): each role's command menu (set per chat over the Bot API) and
/help, unlinking, and /case for a mediator — tried as the staff member would, over the stand-in
Bot API, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.features import load as load_features
from bot.app import COMMANDS
from features.console.accounts import AccountService
from features.console.context import StaffContext
from harness.steps import link_staff, wait_text
from services import menus
from services.routing import Audience
from standin import StandinBotAPI
from standin.simulation import SimUser
from storage.db import Database
from storage.models import StaffAccount
from tests.e2e.harness import running_service, texts
from tests.e2e.test_intake import walk_intake
from tests.test_routing import _service

NUMBER = "（2026）示调字第0001号"
PARTY_MENU = [c for c, _ in COMMANDS["zh-CN"]]
HEADERS = {
    "mediator": "工作人员命令",
    "admin": "工作人员命令",
    "lawyer": "律师命令",
    "viewer": "查看者命令",
}


async def _until(user: SimUser, needle: str) -> list[str]:
    """The texts ``user`` receives up to and including the first containing ``needle``."""
    seen: list[str] = []
    while not seen or needle not in seen[-1]:
        seen += await texts(user, 1)
    return seen


def test_every_menu_command_is_routed_for_staff(tmp_path: Path, sqlite_db: Database) -> None:
    """No role's menu or /help lists a command the routing table does not route for staff."""
    load_features()
    table = _service(tmp_path, sqlite_db).routes
    for role, names in menus.MENUS.items():
        missing = [n for n in names if table.command(n, Audience.STAFF) is None]
        assert missing == [], role


async def test_each_role_sees_its_menu_and_help(tmp_path: Path, database_url: str | None) -> None:
    """Linked, a mediator, an admin, a lawyer and a viewer each see their role's menu behind "/"
    and the same commands in /help; every one of them answers (none is "unknown"). Unlinked,
    the chat is a party's again: the default menu and the parties' /help."""
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", database_url) as runtime:
            party = standin.user(7401)
            assert await party.wait_for_menu(lambda m: m == PARTY_MENU)
            people = {}
            for n, role in enumerate(HEADERS):
                user = await link_staff(runtime, standin, f"{role}_m", 7410 + n, role=role)
                assert user.menu == list(menus.MENUS[role])  # set before "已关联" arrived
                people[role] = user
            for role, user in people.items():
                await user.send_command("/help")
                (text,) = await texts(user, 1)
                assert text.startswith(HEADERS[role])
                listed = [line.split()[0] for line in text.splitlines()[1:]]
                assert listed == [f"/{name}" for name in menus.MENUS[role]]
                for name in menus.MENUS[role]:
                    if name in ("unlink", "help"):
                        continue
                    await user.send_command(f"/{name}")
                    await user.send_command("/help")  # all of /name's replies come first
                    answers = await _until(user, HEADERS[role])
                    assert len(answers) >= 2, (role, name)
                    assert not any("不认识这个命令" in a for a in answers), (role, name, answers)
            assert party.menu == PARTY_MENU  # the staff menus are their chats' own
            lawyer = people["lawyer"]
            await lawyer.send_command("/unlink")
            (unlinked,) = await texts(lawyer, 1)
            assert "已解除" in unlinked and lawyer.menu == PARTY_MENU
            await lawyer.send_command("/help")
            assert "/start 登记新的纠纷" in (await texts(lawyer, 1))[0]


async def test_a_deactivated_account_loses_its_menu(
    tmp_path: Path, database_url: str | None
) -> None:
    """An account switched off in the console hears it at once in its chat, in its language,
    and the chat's menu goes back to the parties' right away — not at its next message; the
    next message no longer acts as staff."""
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", database_url) as runtime:
            mediator = await link_staff(runtime, standin, "med_off", 7421)
            await mediator.send_command("/language")
            await texts(mediator, 1)
            await mediator.press("English")
            assert (await texts(mediator, 1))[0] == "Language switched to English."
            await mediator.wait_for_menu(lambda m: m == list(menus.MEDIATING))
            assert (
                standin.commands({"type": "chat", "chat_id": mediator.user_id})[0]["description"]
                == "Cases waiting"
            )
            await link_staff(runtime, standin, "admin_off", 7422, role="admin")
            async with runtime.db.read() as session:
                accounts = {
                    a.username: a for a in (await session.execute(select(StaffAccount))).scalars()
                }
            accounts_service = AccountService(
                runtime.db, runtime.units, runtime.clock, deliver=runtime.deliver
            )
            await accounts_service.set_active(
                StaffContext.of(accounts["admin_off"], runtime.units),
                accounts["med_off"].id,
                False,
                "127.0.0.1",
            )
            (told,) = await texts(mediator, 1)
            assert "deactivated" in told and "administrator" in told
            await mediator.wait_for_menu(lambda m: m == PARTY_MENU)
            await mediator.send_command("/help")
            (text,) = await texts(mediator, 1)
            assert "/queue" not in text


async def test_case_shows_a_mediator_the_case(tmp_path: Path, database_url: str | None) -> None:
    """/case 1 answered a mediator "没有找到这个案件"; now it shows the facts, claims, amount,
    masked parties, documents and progress, with a take button, then the room's buttons."""
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", database_url) as runtime:
            mediator = await link_staff(runtime, standin, "med_case", 7431)
            lawyer = await link_staff(runtime, standin, "law_case", 7432, role="lawyer")
            applicant = standin.user(7433, first_name="甲", phone="+8613800007433")
            await walk_intake(applicant)
            await wait_text(mediator, "新案件待接手")
            await mediator.send_command("/case", "1")
            (card,) = await mediator.wait_for_messages(1)
            text = card.text or ""
            assert f"案件 {NUMBER}" in text and "劳动争议/欠薪" in text
            assert "老板拖欠我三个月工资" in text and "支付拖欠的工资一万二千元" in text
            assert "¥12,000.00" in text
            assert "申请人 张*" in text and "138****7433" in text
            assert "李*" in text and "139****4321" in text
            assert "13800007433" not in text and "张三" not in text
            assert "人民调解申请书" in text or "文书：\n（无）" in text
            assert "当事人登记了纠纷" in text
            assert [b for b, _ in card.buttons] == [f"接手 {NUMBER}"]
            await mediator.press(f"接手 {NUMBER}")
            await wait_text(mediator, "调解方式")
            await mediator.send_command("/case")
            (card,) = await mediator.wait_for_messages(1)
            assert "调解员接手案件" in (card.text or "")
            assert [b for b, _ in card.buttons] == ["调解室面板", "调解记录"]
            await mediator.press("调解记录")
            assert NUMBER in (await texts(mediator, 1))[0]
            await mediator.press("调解室面板")
            switched, panel = await texts(mediator, 2)
            assert NUMBER in switched and "调解方式" in panel
            # A lawyer not brought into the case does not see it; neither does a wrong number.
            await lawyer.send_command("/case", "1")
            assert "没有找到这个案件" in (await texts(lawyer, 1))[0]
            await mediator.send_command("/case", "（2026）示调字第0009号")
            assert "没有找到这个案件" in (await texts(mediator, 1))[0]
