"""The station's lawyer (驻所律师) works street tasks on the console (issue 24), over HTTP on
both databases, as each person's browser would.

An admin of the street gives the lawyer a console account (role 律师) — the way every staff
member gets one; the lawyer turns on TOTP and signs in with it, and lands on the tasks of the
司法所 they sit in (not on a dashboard they may not see). Two neighbour disputes a grid worker
registered were dispatched to the post (lead) with the 司法所 assisting: the lawyer accepts one,
records what was done and finishes it; returns the other, first without a reason (refused),
then with one. The joint case shows the lawyer only what an assisting department sees — no
流转记录, no phone in full, no outcome to decide — and the returned case, the ledger's case page
(the lawyer is not assigned to it) and the centre's pages are not theirs. The lead post sees the
lawyer's steps on the case's timeline.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from core.clock import FakeClock
from features.street.models import StreetTask, StreetTaskNote
from storage.models import CaseEvent, StaffAccount
from tests.street.browser import CHROMIUM, SHOTS, add_staff, phones
from tests.street.service import street_with_bot
from tests.street.test_yuelai_joint import PASSWORD, Console, signed_in

TASK_FORM = re.compile(r'action="/staff/street/tasks/(\d+)"')
JOINT_LINK = re.compile(r'href="/staff/street/cases/(\d+)"')
SECRET = re.compile(r'data-testid="totp-secret">([A-Z2-7]+)<')
FLASH = re.compile(r'<div class="flash (\w+)" role="status">([^<]*)</div>')

#: Two neighbour disputes the grid worker registers: (place, facts, applicant, phone, respondent).
DISPUTES = (
    (
        "渝北区悦来街道 3 栋",
        "楼上漏水，两家在楼道争吵，已经推搡。",
        "张秀英",
        "13800001111",
        "李强",
    ),
    (
        "渝北区悦来街道 8 栋",
        "邻居在公共楼道堆放杂物，多次协商不成。",
        "王伟",
        "13900002222",
        "刘洋",
    ),
)


async def _register(grid: Console) -> None:
    for place, facts, applicant, phone, respondent in DISPUTES:
        said = await grid.post(
            "/street/register",
            {
                "dispute_type": "neighbour",
                "place": place,
                "facts": facts,
                "involved": "",
                "police_ref": "",
                "side0": "applicant",
                "name0": applicant,
                "phone0": phone,
                "side1": "respondent",
                "name1": respondent,
                "phone1": "",
                "side2": "",
                "name2": "",
                "phone2": "",
                "side3": "",
                "name3": "",
                "phone3": "",
            },
        )
        assert "error" not in said, said


async def _totp_sign_in(lawyer: Console, secret: str, clock: FakeClock) -> str:
    """Password, then the authenticator's code; returns the page the sign-in lands on."""
    await lawyer.get("/login")
    async with lawyer.http.post(
        lawyer.base + "/staff/login",
        data={"_csrf": lawyer.csrf, "username": "lvshi", "password": PASSWORD},
        allow_redirects=False,
    ) as resp:
        assert resp.headers["Location"] == "/staff/login/totp"
    _, text = await lawyer.get("/street/tasks")
    assert 'name="password"' in text, "the password alone is not a session"
    await lawyer.get("/login/totp")
    async with lawyer.http.post(
        lawyer.base + "/staff/login/totp",
        data={"_csrf": lawyer.csrf, "code": pyotp.TOTP(secret).at(clock.now())},
    ) as resp:
        text = await resp.text()
        assert resp.status == 200, text[:500]
        if m := re.search(r'name="_csrf" value="([^"]+)"', text):
            lawyer.csrf = m.group(1)
        return str(resp.url.path)


async def test_the_station_lawyer_works_tasks_on_the_console(
    tmp_path: Path, database_url: str | None
) -> None:
    clock = FakeClock()
    async with street_with_bot(
        tmp_path, "units_lawyer.toml", database_url=database_url, clock=clock
    ) as (_standin, runtime, base):
        await add_staff(
            runtime,
            (
                ("yl-admin", "admin", "yuelai"),
                ("wangge", "grid", "yuelai-sq"),
                ("jianguan", "mediator", "yuelai"),
            ),
        )
        people: list[Console] = []
        try:
            admin = await signed_in(base, "yl-admin")
            people.append(admin)
            said = await admin.post(
                "/users",
                {
                    "username": "lvshi",
                    "display_name": "刘律师",
                    "role": "lawyer",
                    "unit": "yuelai",
                    "password": PASSWORD,
                },
            )
            assert "账号已创建" in said, said
            grid = await signed_in(base, "wangge")
            people.append(grid)
            await _register(grid)
            lawyer = await signed_in(base, "lvshi")
            people.append(lawyer)
            lead = await signed_in(base, "jianguan")
            people.append(lead)
            await _the_lawyers_day(lawyer, lead, clock)
        finally:
            for person in people:
                await person.http.close()

        async with runtime.db.read() as session:
            lawyer_id = (
                await session.execute(
                    select(StaffAccount.id).where(StaffAccount.username == "lvshi")
                )
            ).scalar_one()
            tasks = (
                (
                    await session.execute(
                        select(StreetTask)
                        .where(StreetTask.desk_code == "yl-sifasuo")
                        .order_by(StreetTask.id)
                    )
                )
                .scalars()
                .all()
            )
            notes = (await session.execute(select(StreetTaskNote))).scalars().all()
            kinds = (
                await session.execute(
                    select(CaseEvent.kind)
                    .where(CaseEvent.actor == f"staff:{lawyer_id}")
                    .order_by(CaseEvent.id)
                )
            ).scalars()
        assert [(t.status, t.reason) for t in tasks] == [
            ("done", None),
            ("returned", "物业纠纷应由物业公司和社区先行处理。"),
        ]
        assert [(n.staff_id, n.text) for n in notes] == [
            (lawyer_id, "到现场向双方讲解相邻关系的规定，双方同意先修漏水点。")
        ]
        assert list(kinds) == ["task_accepted", "task_note", "task_done", "task_returned"]


async def _the_lawyers_day(lawyer: Console, lead: Console, clock: FakeClock) -> None:
    # Signed in, the lawyer starts on the tasks (the dashboard is not theirs).
    status, text = await lawyer.get("/")
    assert status == 200 and "岗位任务" in text and "悦来司法所" in text
    assert text.count('data-testid="task"') == 2 and text.count("待接单") == 2
    assert "协办" in text and "市政建管岗" in text  # whom they help
    assert "/staff/street/dispatch" not in text and "/staff/users" not in text

    # TOTP, as every staff member may: turned on, then required at the next sign-in.
    await lawyer.post("/account/totp", {"step": "begin"})
    status, page = await lawyer.get("/account")
    secret = SECRET.search(page)
    assert secret is not None
    said = await lawyer.post(
        "/account/totp",
        {"step": "confirm", "code": pyotp.TOTP(secret.group(1)).at(clock.now())},
    )
    assert "error" not in said, said
    await lawyer.post("/logout", {})
    clock.advance(seconds=30)
    landed = await _totp_sign_in(lawyer, secret.group(1), clock)
    assert landed == "/staff/street/tasks"

    status, text = await lawyer.get("/street/tasks")
    first, second = (int(i) for i in TASK_FORM.findall(text))
    case_a, case_b = (int(i) for i in JOINT_LINK.findall(text))
    assert "13800001111" not in text

    # The first: accepted, what was done recorded (not a blank), finished; the second:
    # returned — not without a reason.
    for task, form, answer in (
        (first, {"do": "accept"}, "ok:已接单"),
        (first, {"do": "note", "text": "  "}, "请写下做了什么"),
        (
            first,
            {"do": "note", "text": "到现场向双方讲解相邻关系的规定，双方同意先修漏水点。"},
            "处置情况已记录",
        ),
        (first, {"do": "done"}, "ok:已办结"),
        (second, {"do": "return", "text": ""}, "请写明退回原因"),
        (second, {"do": "return", "text": "物业纠纷应由物业公司和社区先行处理。"}, "ok:已退回"),
    ):
        said = await lawyer.post(f"/street/tasks/{task}", form)
        assert answer in said, (form, said)
    status, text = await lawyer.get("/street/tasks")
    assert "已办结" in text and "已退回" in text and "双方同意先修漏水点" in text
    assert text.count('data-testid="joint-link"') == 1  # the returned case is no longer theirs
    said = await lawyer.post(f"/street/tasks/{second}", {"do": "accept"})
    assert said.startswith("error:"), said

    # The joint case as an assisting department sees it, and no more.
    status, text = await lawyer.get(f"/street/cases/{case_a}")
    assert status == 200 and "协办部门" in text
    assert "楼上漏水" in text and "张秀英" in text
    assert "13800001111" not in text and "138****1111" in text
    assert 'data-testid="handovers"' not in text and 'name="outcome"' not in text
    said = await lawyer.post(
        f"/street/cases/{case_a}", {"do": "outcome", "outcome": "settled", "text": "已化解"}
    )
    assert "角色不能做这一步" in said
    status, _ = await lawyer.get(f"/street/cases/{case_b}")
    assert status == 404
    status, _ = await lawyer.get(f"/cases/{case_a}")
    assert status == 404  # the ledger's case page: not a case the lawyer is assigned to
    status, _ = await lawyer.get("/street/dispatch")
    assert status == 403

    # The lead post sees the lawyer's steps on the shared timeline, each naming the desk.
    status, text = await lead.get(f"/street/cases/{case_a}")
    timeline = text[text.index('data-testid="timeline"') :]
    for line in (
        "派单：市政建管岗牵头，协办：悦来司法所",
        "悦来司法所（协办）接单",
        "悦来司法所记录处置情况",
        "悦来司法所（协办）办结",
    ):
        assert line in timeline, line


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
async def test_the_lawyers_tasks_on_a_phone(tmp_path: Path) -> None:
    """The same at 390×844 in Chromium: signed in, the lawyer is on the tasks, accepts one and
    records what was done (docs/screenshots/street-lawyer-tasks.png)."""
    async with (
        street_with_bot(tmp_path, "units_lawyer.toml", clock=FakeClock()) as (
            _standin,
            runtime,
            base,
        ),
    ):
        await add_staff(
            runtime,
            (("wangge", "grid", "yuelai-sq"), ("lvshi", "lawyer", "yuelai")),
            names={"lvshi": "刘律师"},
        )
        grid = await signed_in(base, "wangge")
        try:
            await _register(grid)
        finally:
            await grid.http.close()
        async with phones(base) as signed_in_phone:
            page = await signed_in_phone("lvshi")
            await page.wait_for_selector("[data-testid=task]")
            assert page.url.endswith("/staff/street/tasks")
            first = page.locator("[data-testid=task]").first
            await first.locator("button[value=accept]").click()
            await page.wait_for_selector(".task-accepted")
            accepted = page.locator(".task-accepted")
            await accepted.locator("textarea[name=text]").fill(
                "到现场向双方讲解相邻关系的规定，双方同意先修漏水点。"
            )
            await accepted.locator("button[value=note]").click()
            await page.wait_for_selector("text=双方同意先修漏水点")
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page scrolls sideways on a phone: {width}px"
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / "street-lawyer-tasks.png"), full_page=True)
            await page.locator(".task-accepted [data-testid=joint-link]").click()
            await page.wait_for_selector("[data-testid=roles]")
            assert "协办部门" in await page.locator("[data-testid=roles]").inner_text()
