"""Every party bound only by themselves, as a mediator and the parties do it in Telegram
(issue 18, items 1–3), on SQLite and PostgreSQL.

A wage case with four workers and their employer: 张三 filed it; the mediator invites 王小五
(sixteen: his mother 陈红 holds his seat), 赵六 (who never joins: 张三 holds his 授权委托书 with
特别授权) and 孙七 (who went to arbitration instead: recorded as not part of the agreement); the
respondent is made an organisation (统一社会信用代码 checked, 法定代表人 signs, seal image sent).
Drafting stops until each party can be bound; the 协议书 and the 司法确认申请书 carry each
party's full identity (民诉法解释 第三百五十四条) and who signed for whom, checked by their
extracted text; the identity stays masked in every chat message, on the verify page and in the
log.
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import select

from app.runtime import Runtime
from core.clock import FakeClock
from core.logs import QUIET, configure_logging
from documents.images import SEAL_SIDE
from documents.pool import RenderPool
from documents.seal import Sealer
from harness.steps import (
    answer_identities,
    choose_outcome,
    finish_terms,
    first_term,
    id_number,
    invite_applicant,
    join_invited,
    sign_by_typing,
)
from standin import StandinBotAPI
from standin.media import make_png
from standin.models import SentMessage
from standin.simulation import SimUser
from storage.document_models import Document, DocumentSignature
from storage.models import CaseParty, PartyAgent
from tests.agreements.flow import open_room
from tests.agreements.harness import agreement_service, verify_link, wait_file, wait_text
from tests.dialogue import Step, converse
from tests.documents.conftest import pdftotext, squash
from tests.parties.test_seal_image import stamp_photo

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
MINOR_ID = id_number("20100501", 21)  # sixteen on START
ZHAO_ID = id_number("19900808", 22)
LI_ID = id_number("19790620", 12, male=False)
CREDIT_CODE = "91350100M000100Y43"
SEAL = stamp_photo()  # a JPEG photo, as phones send it; printed at SEAL_SIDE pixels
FULL_IDS = (MINOR_ID, ZHAO_ID, LI_ID)


@asynccontextmanager
async def service_at_start(
    standin: StandinBotAPI,
    tmp_path: Path,
    render_pool: RenderPool,
    seal: Sealer,
    database_url: str | None,
) -> AsyncIterator[Runtime]:
    """The agreements' service under ``tmp_path``, its clock stopped at :data:`START` (the ages
    the draft works out are as of that day)."""
    async with agreement_service(
        standin, tmp_path / "var", render_pool, seal, database_url, clock=FakeClock(START)
    ) as (runtime, _base):
        yield runtime


async def mother_joins_for_her_son(
    standin: StandinBotAPI, mediator: SimUser, user_id: int, phone: str
) -> SimUser:
    """王小五's invitation goes to his mother's phone; she joins and holds his seat. Returns
    her."""
    token = await invite_applicant(mediator, "王小五", phone)
    mother = standin.user(user_id, first_name="红", phone=f"+86{phone}")
    await join_invited(mother, token)
    await mother.press("同意参加调解")
    await wait_text(mediator, "已加入调解")
    return mother


def record_item(seat: str, item: str, prompt: str) -> list[Step]:
    """On the parties' panel the mediator opens ``seat``'s record (✏️ 登记), chooses ``item``
    and is asked ``prompt``."""
    return [
        ("press", f"✏️ 登记 {seat}", f"{seat}：请选择要登记的事项"),
        ("press", item, prompt),
    ]


#: 赵六's record: his agent is 张三, whose 授权委托书 the mediator is asked for next.
ZHANG_FOR_ZHAO = [
    *record_item("申请人三 赵六", "登记委托代理人（授权委托书）", "谁代理申请人三"),
    ("press", "由申请人代理", "授权委托书（照片或文件）"),
]


async def send_authority(mediator: SimUser) -> SentMessage:
    """The 授权委托书 as a photo; returns what the mediator is asked to check."""
    await mediator.send_photo(make_png(300, 420, (250, 250, 250)))
    return await wait_text(mediator, "请核对")


async def record_agent(mediator: SimUser) -> None:
    """赵六 never joins; 张三 holds his written authority with 特别授权 (checked by the mediator)."""
    text_is_no_document = ("text", "稍后补", "需要照片或文件")
    await converse(mediator, [*ZHANG_FOR_ZHAO, text_is_no_document])
    check = await send_authority(mediator)
    assert "赵六 委托 张三" in (check.text or "")
    await mediator.press("仅一般授权（不能代为签署）")
    await wait_text(mediator, "一般授权")
    panel = await wait_text(mediator, "👥 当事人")
    assert "没有经核对的特别授权" in (panel.text or "")  # a general authority signs nothing
    await converse(mediator, ZHANG_FOR_ZHAO)
    await send_authority(mediator)
    await converse(mediator, [("press", "✅ 已核对：有特别授权", "可代为签署")])


async def record_absent(mediator: SimUser) -> None:
    await converse(mediator, record_item("申请人四 孙七", "记录未参加原因", "未参加本协议的原因"))
    await mediator.send_text("已另行申请劳动仲裁")


async def make_employer(mediator: SimUser) -> None:
    """李四's seat is the employer's: the company, its code, 法定代表人 signs, its seal."""
    await converse(
        mediator,
        [
            *record_item("被申请人 李四", "设为单位（法人或其他组织）", "单位全称"),
            ("text", "重庆某某餐饮有限公司", "统一社会信用代码"),
            ("text", "91350100M000100Y44", "校验不通过"),
            ("text", CREDIT_CODE.lower(), "法定代表人（负责人）姓名"),
            ("text", "李四", "职务"),
            ("text", "执行董事", "由谁代表"),
            ("press", "法定代表人（负责人）本人", "单位印章图片"),
        ],
    )
    await send_seal(mediator)


async def send_seal(mediator: SimUser) -> None:
    """The organisation's seal image, asked for last in its record."""
    await mediator.send_photo(SEAL)
    await wait_text(mediator, "已收到单位印章图片")


async def add_guardian(mediator: SimUser) -> None:
    """王小五's ID number shows he is sixteen: the draft stops until his mother is recorded."""
    await converse(
        mediator,
        [
            *record_item("申请人二 王小五", "登记法定代理人（监护人）", "谁代理申请人二"),
            ("press", "由申请人2代理", "法定代理人（监护人）姓名"),
            ("text", "陈红", "关系"),
        ],
    )
    await mediator.send_text("母亲")


async def write_terms(mediator: SimUser, *, copies: int | None = 5) -> None:
    await first_term(
        mediator,
        "被申请人未按时足额支付劳动报酬，应当承担支付责任。",
        "被申请人于2026年12月31日前向申请人张三、王小五、赵六各支付工资四千元。",
    )
    await finish_terms(mediator)
    if copies is not None:
        # More parties bound than when the draft began: one copy each and one kept (第二十九条).
        await wait_text(mediator, f"至少 {copies} 份")
        await mediator.press(f"{copies} 份")
    review = await wait_text(mediator, "协议书草稿")
    text = review.text or ""
    assert not any(full in text for full in FULL_IDS)
    await mediator.press("✅ 生成并发送")
    await wait_text(mediator, "第 1 版已生成")


async def everyone_signs(
    zhang: SimUser, mother: SimUser, li: SimUser, mediator: SimUser
) -> SentMessage:
    """张三, 陈红 and 李四 sign version 1 by typing their names, then the mediator; returns the
    signed 协议书 as 张三 receives it."""
    await sign_by_typing(zhang, "张三")
    await sign_by_typing(mother, "陈红")
    await sign_by_typing(li, "李四")
    await wait_text(mediator, "请您签署")
    await mediator.press("⌨️ 输入全名签署", mediator.messages[-1])
    await wait_text(mediator, "全名")
    await mediator.send_text("王调解")
    return await wait_file(zhang, timeout=60)


async def apply_jointly(people: list[SimUser]) -> None:
    for person in people:
        await wait_text(person, "司法确认")
        await person.press("同意申请司法确认")
        await wait_text(person, "送达地址")
        await person.press("使用协议书上的住址")
        await wait_text(person, "受理法院")
        await person.press("向示范区人民法院申请")


async def test_every_party_bound_by_themselves(
    tmp_path: Path,
    render_pool: RenderPool,
    seal: Sealer,
    database_url: str | None,
) -> None:
    log = io.StringIO()
    async with service_logging(log), StandinBotAPI() as standin, aiohttp.ClientSession() as http:
        async with service_at_start(standin, tmp_path, render_pool, seal, database_url) as runtime:
            zhang, li, mediator = await open_room(runtime, standin, 8400)
            mother = await mother_joins_for_her_son(standin, mediator, 8421, "13700000021")
            await invite_applicant(mediator, "赵六", "13700000022")
            await invite_applicant(mediator, "孙七", "13700000023")

            # A speaking representative (发言代表) speaks for the side; signs for nobody.
            await mediator.press("设申请人为发言代表")
            await wait_text(mediator, "申请人★")
            told = await wait_text(zhang, "发言代表")
            assert "仍由每位当事人本人签署" in (told.text or "")
            # Drafting stops: 赵六 and 孙七 are not in the room, and nobody signs for them.
            await choose_outcome(mediator, "📝 制作书面协议书")
            panel = (await wait_text(mediator, "尚不能签署")).text or ""
            assert panel.count("未在调解室") == 2 and "申请人 张三：✅ 本人签署" in panel
            await record_agent(mediator)
            await record_absent(mediator)
            await make_employer(mediator)

            # Identity for the court-facing papers; 王小五's ID number makes him a minor.
            asked = await answer_identities(
                mediator,
                {"王小五": {"id": MINOR_ID}, "赵六": {"id": ZHAO_ID}},
                until="须由法定代理人代理",
            )
            assert asked == ["张三:ethnicity", "张三:occupation", "张三:address", "王小五:id"]
            await add_guardian(mediator)
            asked = await answer_identities(
                mediator,
                {"赵六": {"id": ZHAO_ID, "ethnicity": "土家族"}, "重庆某某餐饮有限公司": {}},
            )
            assert asked == [
                "王小五:ethnicity",
                "王小五:occupation",
                "王小五:address",
                "陈红:id",  # the guardian is identified too (民诉法解释 第三百五十四条)
                "赵六:id",
                "赵六:ethnicity",
                "赵六:occupation",
                "赵六:address",  # 赵六's agent 张三 is a party: identified by his own record
                "重庆某某餐饮有限公司:address",
                "李四:id",  # who signs for the employer
            ], asked
            await write_terms(mediator)
            review = next(
                m.text or "" for m in reversed(mediator.messages) if "草稿" in (m.text or "")
            )
            assert "份数：5" in review and "孙七（未参加本协议" in review

            words = await pdf_words(zhang, tmp_path / "v1.pdf")
            for expected in (
                f"公民身份号码：{ZHAO_ID}",
                f"公民身份号码：{MINOR_ID}",
                "2010年5月1日出生",
                "土家族",
                "委托代理人：张三，公民身份号码：11010519491231002X，特别授权",
                "法定代理人：陈红（母亲）",
                f"统一社会信用代码：{CREDIT_CODE}",
                "法定代表人（负责人）：李四（执行董事）",
                "签署人：李四（执行董事），公民身份号码：",
                "，依据：法定代表人",
                "申请人四孙七未参加本协议（原因：已另行申请劳动仲裁），本协议对其不发生效力",
                "申请人三赵六（委托代理人张三代为签署）",
                "申请人二王小五（法定代理人陈红代为签署）",
                "被申请人重庆某某餐饮有限公司（签署人李四代为签署）（盖章并由签署人签名）",
            ):
                assert expected in words, expected
            assert "申请人四孙七（签名" not in words

            # 张三 signs once, for himself and as 赵六's agent; 陈红 for her son; 李四 for the
            # company; then the mediator. Nobody signs for a whole side.
            signed = await everyone_signs(zhang, mother, li, mediator)
            notice = await wait_text(zhang, "已生效")
            pdf = signed.file or b""
            words = squash(pdftotext(_save(tmp_path / "signed.pdf", pdf)))
            assert words.count("张三（电子签名）") == 2 and "陈红（电子签名）" in words
            assert "李四（电子签名）" in words
            # The organisation's seal image is printed with its signatory's signature.
            assert _image_sizes(tmp_path / "signed.pdf").count((SEAL_SIDE, SEAL_SIDE)) == 1

            async with runtime.db.read() as session:
                doc = (
                    await session.execute(select(Document).where(Document.status == "effective"))
                ).scalar_one()
                rows = (
                    (
                        await session.execute(
                            select(DocumentSignature).where(DocumentSignature.document_id == doc.id)
                        )
                    )
                    .scalars()
                    .all()
                )
                parties = {
                    p.name: p for p in (await session.execute(select(CaseParty))).scalars().all()
                }
                agents = (await session.execute(select(PartyAgent))).scalars().all()
            by_party = {r.signer_id.partition("m")[0]: r for r in rows if r.role == "party"}
            assert set(by_party) == {
                f"p{parties[n].id}" for n in ("张三", "王小五", "赵六", "重庆某某餐饮有限公司")
            }
            assert by_party[f"p{parties['赵六'].id}"].member_id == (
                by_party[f"p{parties['张三'].id}"].member_id
            )
            assert parties["孙七"].absent_reason == "已另行申请劳动仲裁"
            assert parties["重庆某某餐饮有限公司"].credit_code == CREDIT_CODE
            assert {(a.kind, a.authority, a.checked_at is not None) for a in agents} == {
                ("entrusted", "special", True),
                ("legal", "guardian", True),
                ("signatory", "legal_rep", True),
            }

            # 司法确认: 张三 answers once for himself and 赵六.
            await apply_jointly([zhang, mother, li])
            words = await pdf_words(zhang, tmp_path / "jc.pdf", timeout=60)
            for expected in (
                f"公民身份号码：{ZHAO_ID}",
                f"统一社会信用代码：{CREDIT_CODE}",
                "授权委托书（赵六委托张三，特别授权）",
                "法定代理人身份及监护关系证明（王小五）",
                "营业执照（副本）及法定代表人身份证明书（重庆某某餐饮有限公司）",
            ):
                assert expected in words, expected
            assert "孙七" not in words  # not part of the agreement, not an applicant

            # Masked everywhere else: chat messages, the verify page, the log.
            async with http.get(verify_link(notice.text or "")) as response:
                page = await response.text()
            seen = [m.text or "" for u in (zhang, mother, li, mediator) for m in u.messages]
            for full in FULL_IDS:
                assert full not in page and not any(full in t for t in seen), full
                assert full not in log.getvalue(), full
            assert "13700000021" not in page
            assert "INFO app.runtime" in log.getvalue()  # the service logged meanwhile


async def test_a_child_without_an_id_number_and_an_employer_signing_through_its_manager(
    tmp_path: Path, render_pool: RenderPool, seal: Sealer, database_url: str | None
) -> None:
    """A stated age of fifteen (no ID number yet: 居民身份证法 第二条) makes 王小五 a minor; the
    employer signs through its manager, whose written authority the mediator checked."""
    async with StandinBotAPI() as standin:
        async with service_at_start(standin, tmp_path, render_pool, seal, database_url) as runtime:
            zhang, li, mediator = await open_room(runtime, standin, 8600)
            mother = await mother_joins_for_her_son(standin, mediator, 8631, "13700000031")
            await choose_outcome(mediator, "📝 制作书面协议书")
            # Everyone is in the room, so the draft asks for identities; the panel is a button.
            question = await wait_text(mediator, "（张三）的民族")
            await mediator.press("👥 当事人与代理人", question)
            panel = (await wait_text(mediator, "👥 当事人")).text or ""
            assert "申请人2" not in panel and "申请人二 王小五：✅ 本人签署" in panel
            await converse(
                mediator,
                [
                    *record_item("申请人二 王小五", "登记年龄（尚无身份证号时）", "年龄（周岁"),
                    ("text", "十五", "0 到 130"),
                    ("text", "15岁", "须由法定代理人代理"),
                ],
            )
            await add_guardian(mediator)
            question = await wait_text(mediator, "（张三）的民族")
            await mediator.press("👥 当事人与代理人", question)
            await wait_text(mediator, "👥 当事人")
            await converse(
                mediator,
                [
                    *record_item("被申请人 李四", "设为单位（法人或其他组织）", "单位全称"),
                    ("text", "重庆某某物业服务有限公司", "统一社会信用代码"),
                    ("text", CREDIT_CODE, "法定代表人（负责人）姓名"),
                    ("text", "周建国", "职务"),
                    ("text", "总经理", "由谁代表"),
                    ("press", "其他人员（凭授权委托书）", "签署的人员姓名"),
                    ("text", "李四", "职务"),
                    ("text", "项目经理", "授权委托书（照片或文件"),
                ],
            )
            await mediator.send_document(b"%PDF-1.4 authority", "授权委托书.pdf")
            await wait_text(mediator, "请核对")
            await converse(mediator, [("press", "✅ 已核对：有特别授权", "单位印章图片")])
            await send_seal(mediator)
            asked = await answer_identities(mediator, {"王小五": {"gender": "男性"}})
            assert asked == [
                "张三:ethnicity",
                "张三:occupation",
                "张三:address",
                "王小五:gender",  # no ID number: sex asked, the stated age printed
                "王小五:ethnicity",
                "王小五:occupation",
                "王小五:address",
                "陈红:id",
                "重庆某某物业服务有限公司:address",
                "李四:id",
            ], asked
            await write_terms(mediator, copies=None)  # three parties from the start

            words = await pdf_words(zhang, tmp_path / "v1.pdf")
            for expected in (
                "王小五，男，15岁，汉族",
                "法定代理人：陈红（母亲）",
                "法定代表人（负责人）：周建国（总经理）",
                "签署人：李四（项目经理），公民身份号码：",
                "，依据：授权委托书",
                "被申请人重庆某某物业服务有限公司（签署人李四代为签署）",
            ):
                assert expected in words, expected
            signed = await everyone_signs(zhang, mother, li, mediator)
            _save(tmp_path / "signed.pdf", signed.file or b"")
            assert _image_sizes(tmp_path / "signed.pdf").count((SEAL_SIDE, SEAL_SIDE)) == 1
            await apply_jointly([zhang, mother, li])
            words = await pdf_words(zhang, tmp_path / "jc.pdf", timeout=60)
            assert "授权委托书（重庆某某物业服务有限公司）" in words
            assert "法定代理人身份及监护关系证明（王小五）" in words


@asynccontextmanager
async def service_logging(stream: io.StringIO) -> AsyncIterator[None]:
    """The service's own logging (core.logs, at DEBUG) into ``stream``, restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in QUIET})
    configure_logging("DEBUG", stream)
    try:
        yield
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


async def pdf_words(person: SimUser, path: Path, timeout: float = 30.0) -> str:  # noqa: ASYNC109
    """The next PDF ``person`` receives, kept at ``path``, as its text without white space."""
    sent = await wait_file(person, timeout=timeout)
    return squash(pdftotext(_save(path, sent.file or b"")))


def _save(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _image_sizes(pdf: Path) -> list[tuple[int, int]]:
    """(width, height) of each image in the PDF, masks aside (``pdfimages -list``)."""
    import subprocess

    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    rows = [line.split() for line in listing if line.strip()]
    return [(int(r[3]), int(r[4])) for r in rows if r[2] == "image"]
