"""A group's written agreement signed by every worker or their representative (issue 24, item 5),
on both databases, from the people's side.

Ten workers are owed wages by 刘建国. The grid worker registers the dispute at the site (张秀英
for the workers, 刘建国 the other side); the post that leads records the roster of ten with
each one's phone and amount: each new worker becomes a party of the case and gets the
invitation by SMS. 李强 and 王伟 give 张秀英 a special authority (checked by staff); 刘洋 only a
general one. The workers join with the code they were texted, the mediator takes the case and
drafts the 协议书: it lists all ten, their amounts and the total, and says who signs for whom.
张秀英 signs once, for herself and for 李强 and 王伟; the others sign themselves; 吴斌 does not
yet: the agreement is not effective, the mediator is told 吴斌 is missing (chat and console),
and may not sign. 吴斌 signs; the mediator signs; the sealed PDF lists the ten with amounts and
who signed for whom.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from documents.pool import RenderPool
from documents.seal import Sealer
from features.street.models import StreetMember
from features.webchat.otp import MemorySmsGateway
from harness.steps import (
    answer_identities,
    id_number,
    link_unit_staff,
    open_session,
    take_case,
    wait_file,
    wait_text,
)
from mediation.invitations import format_code
from standin import StandinBotAPI
from standin.simulation import SimUser
from storage.document_models import Document, DocumentSignature
from storage.models import Case
from tests.documents.conftest import pdftotext, squash
from tests.street.service import street_with_bot
from tests.street.test_yuelai_joint import CSRF, Console, signed_in

#: (name, phone, amount in yuan); 张秀英 is the representative registered at the site.
WORKERS = [
    ("张秀英", "13800001111", 8600),
    ("李强", "13800002001", 8100),
    ("王伟", "13800002002", 8200),
    ("刘洋", "13800002003", 8300),
    ("陈杰", "13800002004", 8400),
    ("杨勇", "13800002005", 8500),
    ("赵磊", "13800002006", 8600),
    ("黄军", "13800002007", 8700),
    ("周涛", "13800002008", 8800),
    ("吴斌", "13800002009", 8900),
]
SIGNED_FOR = ("李强", "王伟")  # special authority to 张秀英: she signs for them
LATE = "吴斌"
BOSS = ("刘建国", "13900009999")


async def post_page(console: Console, path: str, data: dict[str, str]) -> str:
    """Post a form and return the page the browser lands on (shown once: the invitations)."""
    async with console.http.post(
        console.base + "/staff" + path, data={"_csrf": console.csrf, **data}
    ) as resp:
        text = await resp.text()
        assert resp.status == 200, text[:500]
    if found := CSRF.search(text):
        console.csrf = found.group(1)
    return text


async def join_by_code(person: SimUser, code: str) -> None:
    """The worker types the code from the SMS, shares the phone it was sent to, confirms."""
    await person.send_command("/join", code)
    ask = await wait_text(person, "分享您的手机号")
    assert ask is not None
    await person.press("📱 分享我的手机号")
    await wait_text(person, "记录无误")
    await person.press("记录无误，同意调解")
    await wait_text(person, "】")


async def sign_typed(person: SimUser, name: str) -> None:
    prompt = await wait_text(person, "签署即表示", timeout=60)
    await person.press("⌨️ 输入全名签署", prompt)
    await wait_text(person, "全名")
    await person.send_text(name)
    await wait_text(person, "您已签署协议书第 1 版")


async def test_every_worker_signs_or_is_signed_for(
    tmp_path: Path, database_url: str | None, render_pool: RenderPool, seal: Sealer
) -> None:
    gateway = MemorySmsGateway()
    async with street_with_bot(
        tmp_path,
        "units_joint.toml",
        database_url=database_url,
        render_pool=render_pool,
        sealer=seal,
        sms_gateway=gateway,
    ) as (standin, runtime, base):
        staff = await link_unit_staff(
            runtime,
            standin,
            (("wangge", 7401, "grid", "yuelai-sq"), ("jianguan", 7402, "mediator", "yuelai")),
        )
        grid, lead = await signed_in(base, "wangge"), await signed_in(base, "jianguan")
        try:
            await _journey(runtime, standin, gateway, staff["jianguan"], grid, lead, tmp_path)
        finally:
            for c in (grid, lead):
                await c.http.close()


async def _journey(
    runtime: object,
    standin: StandinBotAPI,
    gateway: MemorySmsGateway,
    mediator: SimUser,
    grid: Console,
    lead: Console,
    tmp: Path,
) -> None:
    db = runtime.db  # type: ignore[attr-defined]
    # At the site: the grid worker registers the dispute with the representative and the boss.
    await grid.get("/street/register")
    said = await grid.post(
        "/street/register",
        {
            "dispute_type": "labour_wages",
            "place": "渝北区悦来街道 某建筑工地",
            "facts": "十名工人反映包工头刘建国拖欠三个月工资，已多次讨要未果。",
            "side0": "applicant",
            "name0": "张秀英",
            "phone0": WORKERS[0][1],
            "side1": "respondent",
            "name1": BOSS[0],
            "phone1": BOSS[1],
        },
    )
    await wait_text(mediator, "市政建管岗（牵头")
    async with db.read() as session:
        case = (await session.execute(select(Case))).scalar_one()
    page = f"/street/cases/{case.id}"

    # The lead records the roster: nine new claimants, each invited by SMS; 张秀英 is matched
    # to the party already registered (same phone), not added twice.
    await lead.get(page)
    lines = [f"{n} {p} {a}" for n, p, a in WORKERS]
    text = await post_page(
        lead, page, {"do": "roster", "representative": "张秀英", "members": "\n".join(lines)}
    )
    assert "已添加 10 人" in text
    invites = text[text.index('data-testid="member-invites"') :]
    invites = invites[: invites.index("</div>")]
    assert invites.count("邀请码") == 9 and "张秀英" not in invites
    assert "已向 138****2001 发送短信邀请" in invites
    codes = {phone: code for phone, _unit, code in gateway.invitations}
    assert set(codes) == {p for _n, p, _a in WORKERS} | {BOSS[1]}
    assert format_code(codes["13800002009"]) in invites

    # Two workers give 张秀英 a special authority, one a general one (staff saw the papers).
    async with db.read() as session:
        members = {m.name: m for m in (await session.execute(select(StreetMember))).scalars()}
    assert all(m.party_id for m in members.values())
    for name, kind in (("李强", "special"), ("王伟", "special"), ("刘洋", "general")):
        said = await lead.post(
            page, {"do": "authority", "member": str(members[name].id), "authority": kind}
        )
        assert "授权已记录" in said

    # Everyone but the two who authorised 张秀英 joins with the texted code; so does the boss.
    people: dict[str, SimUser] = {}
    for i, (name, phone, _a) in enumerate([*WORKERS, (BOSS[0], BOSS[1], 0)]):
        if name in SIGNED_FOR:
            continue
        person = standin.user(7500 + i, first_name=name, phone=f"+86{phone}")
        await join_by_code(person, format_code(codes[phone]))
        people[name] = person

    # The mediator takes the case, opens the session and drafts the written agreement.
    await take_case(mediator, case.number)
    await open_session(mediator)
    await mediator.press("结案")
    await wait_text(mediator, "结果")
    await mediator.press("📝 制作书面协议书")
    await wait_text(mediator, "制作书面调解协议书")
    ids = {name: id_number(seq=20 + i) for i, (name, _p, _a) in enumerate(WORKERS)}
    await answer_identities(mediator, {n: {"id": v} for n, v in ids.items()})
    await mediator.press("使用登记时的陈述")
    await wait_text(mediator, "争议事项")
    await mediator.send_text("刘建国是否应当支付十名工人欠付的工资及金额。")
    await wait_text(mediator, "各方当事人的责任")
    await mediator.send_text("被申请人未按时足额支付劳动报酬，应当承担支付责任。")
    await wait_text(mediator, "协议内容")
    await mediator.send_text(
        "被申请人刘建国于2026年12月20日前按成员名册所列金额向十名申请人分别支付欠付工资，"
        "共计85,100.00元。"
    )
    await wait_text(mediator, "已添加第 1 条")
    await mediator.press("完成条款 ✓")
    await wait_text(mediator, "履行方式")
    await mediator.send_text("银行转账")
    await wait_text(mediator, "履行地点")
    await mediator.send_text("渝北区悦来街道")
    await wait_text(mediator, "履行期限")
    await mediator.send_text("2026-12-20")
    await wait_text(mediator, "协议书草稿")
    await mediator.press("✅ 生成并发送")
    await wait_text(mediator, "第 1 版已生成")

    # Everyone present signs but 吴斌; 张秀英 signs once, for herself and the two she may.
    for name, person in people.items():
        if name != LATE:
            await sign_typed(person, name)
    missing = await wait_text(mediator, "还有 1 位当事人未签署")
    assert LATE in (missing.text or "") and "李强" not in (missing.text or "")
    _status, text = await lead.get(page)
    line = text[text.index('data-testid="group-signing"') :]
    assert "9/10" in line[:300] and f"尚未签署：{LATE}" in line[:300]
    assert text.count("代表人 张秀英 已依特别授权代为签署") == 2
    assert "待本人签署" in text and text.count("本人已签署") == 7
    said = await lead.post(page, {"do": "roster", "members": "孙七 9000"})
    assert "协议书正在签署中" in said, "a claimant added now would not be bound by version 1"
    _status, ledger = await lead.get(f"/cases/{case.id}")  # the ledger's case page says it too
    assert f"尚未签署：申请人十 {LATE}" in ledger and "当事人已签署 10/11" in ledger
    async with db.read() as session:
        doc = (await session.execute(select(Document))).scalar_one()
    assert doc.status == "signing", "a worker who has not signed keeps it from taking effect"

    # 吴斌 signs; the mediator is asked, signs, and the sealed agreement reaches everyone.
    await sign_typed(people[LATE], LATE)
    turn = await wait_text(mediator, "请您签署")
    await mediator.press("⌨️ 输入全名签署", turn)
    await wait_text(mediator, "全名")
    await mediator.send_text("jianguan")
    delivered = await wait_file(people["张秀英"], timeout=90)
    assert delivered is not None
    async with db.read() as session:
        doc = (await session.execute(select(Document))).scalar_one()
    assert doc.status == "effective"
    _status, text = await lead.get(page)
    assert "全部成员均已签署" in text

    pdf = tmp / "group-agreement.pdf"
    pdf.write_bytes(delivered.file or b"")
    flat = squash(pdftotext(pdf))
    for name, _p, amount in WORKERS:
        assert re.search(rf"{name}\S{{0,40}}{amount:,}\.00", flat), name
    assert "85,100.00" in flat and "捌万伍仟壹佰元整" in flat
    assert flat.count("由代表人张秀英依特别授权代为签署") == 2
    assert "代为和解并签署本协议：李强、王伟。" in flat
    assert "代表人只能代为陈述，不得代为签署，须由本人签署：刘洋。" in flat
    # One act of 张秀英's, one signature row for each party she binds.
    async with db.read() as session:
        rows = (
            (await session.execute(select(DocumentSignature).order_by(DocumentSignature.id)))
            .scalars()
            .all()
        )
        mine = {r.signer_id for r in rows if r.member_id == rows[0].member_id}
    parties = {m.party_id for n, m in members.items() if n in ("张秀英", *SIGNED_FOR)}
    assert {int(s[1:].split("m")[0]) for s in mine} == parties
    assert len(rows) == 12, "ten workers, the boss, the mediator"
    assert ids["李强"][:6] + "********" in flat or ids["李强"] in flat
