"""An invitation works wherever the invited person types it, and the person who joins checks
the name the applicant typed for them (issue 19, items 1 and 7).

The invitation says "对方也可以打开本机器人，直接发送邀请码": these tests do that at each step a
person may be at — the consent screen right after opening the bot, the middle of their own
intake, idle, with a pasted link — and as ``/join`` (the browser chat's join sends that same
command through the same core path). After a case is agreed: tests/parties/test_journey_telegram
(which also has the name corrected and the agreement's draft naming the corrected name).
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from harness.steps import NEIGHBOUR_INTAKE, texts, walk_steps
from standin import StandinBotAPI
from standin.simulation import SimUser
from storage.models import CaseParty
from tests.dialogue import begin_neighbour_intake
from tests.e2e.harness import running_service

CODE = re.compile(r"邀请码：([A-Z0-9]{4})-([A-Z0-9]{4})")
LINK = re.compile(r"https?://\S*start=inv_[A-Za-z0-9_-]+")


async def file_case(user: SimUser, other_name: str = "李四") -> tuple[str, str, str]:
    """The applicant files a neighbour dispute naming the other side ``other_name`` (no phone,
    so the invitation is not bound to one); returns the code's halves and the invitation."""
    steps = [
        (action, other_name if (action, argument) == ("text", "李四") else argument, markers)
        for action, argument, markers in NEIGHBOUR_INTAKE
    ]
    await walk_steps(user, steps)
    invitation = next(m.text or "" for m in reversed(user.messages) if "邀请码" in (m.text or ""))
    assert "直接发送邀请码" in invitation  # the way that works, named where it is read
    found = CODE.search(invitation)
    assert found
    return found.group(1), found.group(2), invitation


async def test_the_code_joins_at_consent_mid_intake_idle_and_as_a_link(
    tmp_path: Path, database_url: str | None
) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", database_url) as runtime:
            # At the consent screen, the code as printed, after /start twice.
            first, second, _ = await file_case(standin.user(7401, phone="+8613800007401"))
            contractor = standin.user(7402)
            await contractor.send_command("/start")
            await texts(contractor, 2)
            await contractor.send_command("/start")
            await texts(contractor, 1)  # "您有一份尚未提交的登记…"
            await contractor.send_text(f"{first}-{second}")
            (summary,) = await texts(contractor, 1)
            assert "您被邀请参加" in summary and "同意" not in summary.split("\n")[0]
            await contractor.press("同意参加调解")
            (welcome,) = await texts(contractor, 1)
            assert "被申请人】" in welcome and "申请人填写您的姓名为「李四」" in welcome

            # In the middle of their own intake: the code typed with an input method's
            # full-width letters and a long dash, after "邀请码：".
            first, second, _ = await file_case(standin.user(7403, phone="+8613800007403"))
            neighbour = standin.user(7404)
            await begin_neighbour_intake(neighbour)
            wide = "".join(chr(ord(c) + 0xFEE0) for c in f"{first}{second}".lower())
            await neighbour.send_text(f"邀请码：{wide[:4]}—{wide[4:]}")
            summary, again = await texts(neighbour, 2)
            assert "您被邀请参加" in summary and "发生了什么" in again
            await neighbour.press("同意参加调解")
            welcome, parked = await texts(neighbour, 2)
            assert "被申请人】" in welcome and "发送 /start 可以继续" in parked
            # Their words go to the room now, not to the intake's question.
            await neighbour.send_text("我愿意调解")
            assert "调解会话尚未开始，您的消息已记录" in (await texts(neighbour, 1))[0]
            await neighbour.send_command("/start")  # the put-aside intake is still there
            assert "尚未提交的登记" in (await texts(neighbour, 1))[0]
            await neighbour.press("继续填写")
            assert "发生了什么" in (await texts(neighbour, 2))[-1]

            # Idle, the invitation pasted whole (link and all).
            _, _, invitation = await file_case(standin.user(7405, phone="+8613800007405"))
            link = LINK.search(invitation)
            assert link, invitation
            idle = standin.user(7406)
            await idle.send_text(f"有人发给我这个：{link.group(0)} 怎么用？")
            assert "您被邀请参加" in (await texts(idle, 1))[0]

            # Idle, a code that is wrong says so (not the greeting).
            guesser = standin.user(7407)
            await guesser.send_text("ABCD-EFGH")
            assert "邀请码或链接无效" in (await texts(guesser, 1))[0]

            # /join at the consent screen (the browser chat's join sends this command).
            first, second, _ = await file_case(standin.user(7408, phone="+8613800007408"))
            web_like = standin.user(7409)
            await web_like.send_command("/start")
            await texts(web_like, 2)
            await web_like.send_command("/join", f"{first.lower()}-{second.lower()}")
            assert "您被邀请参加" in (await texts(web_like, 1))[0]
            await web_like.press("同意参加调解")
            assert "被申请人】" in (await texts(web_like, 1))[0]
            await web_like.send_text("你好")  # the consent screen gave way: this is room talk
            assert "调解会话尚未开始" in (await texts(web_like, 1))[0]

            async with runtime.db.read() as session:
                names = (await session.execute(select(CaseParty.name))).scalars().all()
            assert "李四" in names
