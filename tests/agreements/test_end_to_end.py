"""A written agreement end to end, through the stand-in Bot API, the real render pool and the
web server: drafting → preview to everyone → a comment → revision to version 2 → a Mini App
signature and a typed one → the mediator signs → the sealed PDF is delivered, validates with
pyHanko and passes /verify, while a one-byte change fails it → 司法确认 → 申请书 and 笔录.
Forged, stale and replayed Mini App requests and a stale version hash are refused."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import aiohttp
from sqlalchemy import select

from core.clock import FakeClock
from documents.pool import RenderPool
from documents.seal import Sealer
from features.agreements.contexts import Mark, signed_context
from features.agreements.initdata import sign_init_data
from mediation.signing import version_hash
from standin import SentMessage, SimUser, StandinBotAPI
from standin.media import make_png
from storage.document_models import (
    ConfirmationConsent,
    Document,
    DocumentComment,
    DocumentDownload,
    DocumentSignature,
    JudicialConfirmation,
)
from storage.models import Case, Timer
from tests.agreements.flow import NUMBER, apply_for_confirmation, draft_first_version, open_room
from tests.agreements.harness import (
    TOKEN,
    agreement_service,
    sign_info,
    sign_link,
    verify_link,
    wait_file,
    wait_text,
)
from tests.documents.conftest import pdftotext, squash

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def init_data(user_id: int, *, at: datetime = START, tamper: bool = False) -> str:
    raw = sign_init_data(
        TOKEN,
        {"id": user_id, "first_name": "x", "language_code": "zh-hans"},
        auth_date=int(at.timestamp()),
    )
    return raw.replace("hash=", "hash=0")[:-1] if tamper else raw


async def post_sign(
    http: aiohttp.ClientSession, base: str, data: str, body: dict[str, object]
) -> tuple[int, dict[str, object]]:
    async with http.post(
        f"{base}/webapp/sign", json=body, headers={"X-Telegram-Init-Data": data}
    ) as response:
        return response.status, await response.json()


async def test_agreement_from_draft_to_judicial_confirmation(
    tmp_path: Path, render_pool: RenderPool, seal: Sealer, database_url: str | None
) -> None:
    clock = FakeClock(START)
    async with StandinBotAPI() as standin, aiohttp.ClientSession() as http:
        async with agreement_service(
            standin, tmp_path / "var", render_pool, seal, database_url, clock=clock
        ) as (runtime, base):
            applicant, respondent, mediator = await open_room(runtime, standin, 7300)
            await draft_first_version(mediator)

            # Version 1: a preview PDF and the signing buttons reach every participant.
            for person in (applicant, respondent, mediator):
                preview = await wait_file(person)
                assert preview.file and preview.file.startswith(b"%PDF")
                assert "第1版（预览" in (preview.text or "")
                prompt = await wait_text(person, "签署即表示")
                assert "✍️ 手写签名" in prompt.button_texts
            _, v1_doc, v1_sha = sign_link(prompt)
            assert preview.file is not None  # the last party's preview, checked in the loop
            text = squash(pdftotext(_save(tmp_path / "v1.pdf", preview.file)))
            assert "人民调解协议书" in text and "壹万贰仟元整" in text and "李四" in text

            # A comment on version 1 reaches the mediator, who revises (SIGNING → MEDIATING).
            await respondent.press("💬 提出意见")
            await wait_text(respondent, "意见")
            await respondent.send_text("请写明公司先付八千元，其余月底前付清。")
            await wait_text(respondent, "已转给调解员")
            comment = await wait_text(mediator, "先付八千元")
            assert "被申请人" in (comment.text or "")
            await mediator.press("✏️ 修改协议", comment)
            for party in (applicant, respondent):
                await wait_text(party, "第 1 版作废")
            await wait_text(mediator, "协议书草稿")
            await mediator.press("改条款")
            await wait_text(mediator, "已有 1 条")
            await mediator.send_text(
                "被申请人于2026年12月5日前先支付八千元，余款于2026年12月31日前付清。"
            )
            await wait_text(mediator, "已添加第 2 条")
            await mediator.press("完成条款 ✓")
            await wait_text(mediator, "协议书草稿")
            await mediator.press("✅ 生成并发送")
            await wait_text(mediator, "第 2 版已生成")
            prompts = {}
            for person in (applicant, respondent, mediator):
                await wait_file(person)
                prompts[person.user_id] = await wait_text(person, "第 2 版")
            url, doc_id, sha = sign_link(prompts[applicant.user_id])
            assert doc_id != v1_doc and sha != v1_sha

            # Stale: version 1's button and version 1's hash are refused.
            await respondent.press("⌨️ 输入全名签署", prompt_of(respondent, 1))
            assert "不在签署中" in ((await wait_text(respondent, "版")).text or "")
            status, answer = await post_sign(
                http,
                base,
                init_data(applicant.user_id),
                {"doc": doc_id, "sha": v1_sha, "png": _png()},
            )
            assert status == 409 and answer["error"] == "stale_version"

            # Forged and stale initData are refused; nothing is recorded.
            status, answer = await post_sign(
                http,
                base,
                init_data(applicant.user_id, tamper=True),
                {"doc": doc_id, "sha": sha, "png": _png()},
            )
            assert (status, answer["error"]) == (403, "forged")
            old = START.replace(hour=6)
            status, answer = await post_sign(
                http,
                base,
                init_data(applicant.user_id, at=old),
                {"doc": doc_id, "sha": sha, "png": _png()},
            )
            assert (status, answer["error"]) == (403, "stale")

            # The applicant signs in the Mini App: the page shows the exact version hash.
            fresh = init_data(applicant.user_id, at=START.replace(minute=1))
            async with http.get(url) as page:
                assert page.status == 200 and "sign.js" in await page.text()
            info = json.loads((await sign_info(http, base, doc_id, sha, fresh))[1])
            assert info["state"] == "ready" and info["sha256"] == sha and info["signer"] == "申请人"
            png = _png()
            status, answer = await post_sign(
                http, base, fresh, {"doc": doc_id, "sha": sha, "png": png}
            )
            assert status == 200 and answer["ok"], answer
            await wait_text(applicant, "您已签署协议书第 2 版")
            # The same initData again is a replay.
            status, answer = await post_sign(
                http, base, fresh, {"doc": doc_id, "sha": sha, "png": png}
            )
            assert (status, answer["error"]) == (409, "replay")

            # The respondent types the full name (a wrong name first).
            await respondent.press("⌨️ 输入全名签署", prompts[respondent.user_id])
            await wait_text(respondent, "全名")
            await respondent.send_text("李五")
            await wait_text(respondent, "不一致")
            await respondent.send_text("李 四")
            await wait_text(respondent, "您已签署协议书第 2 版")

            # The mediator signs last; the committee's seal makes it effective (第二十九条).
            await wait_text(mediator, "请您签署")
            await mediator.press("⌨️ 输入全名签署", mediator.messages[-1])
            await wait_text(mediator, "全名")
            await mediator.send_text("王调解")
            signed: dict[int, bytes] = {}
            for person in (applicant, respondent, mediator):
                delivered = await wait_file(person, timeout=60)
                assert delivered.file is not None
                signed[person.user_id] = delivered.file
                notice = await wait_text(person, "已生效")
            pdf = signed[applicant.user_id]
            assert len(set(signed.values())) == 1
            link = verify_link(notice.text or "")

            async with runtime.db.read() as session:
                doc = (
                    await session.execute(select(Document).where(Document.public_id == doc_id))
                ).scalar_one()
                case = await session.get_one(Case, doc.case_id)
                rows = (
                    (
                        await session.execute(
                            select(DocumentSignature).where(DocumentSignature.document_id == doc.id)
                        )
                    )
                    .scalars()
                    .all()
                )
                comments = (await session.execute(select(DocumentComment))).scalars().all()
                downloads = (
                    (
                        await session.execute(
                            select(DocumentDownload).where(DocumentDownload.document_id == doc.id)
                        )
                    )
                    .scalars()
                    .all()
                )
            assert case.status == "agreed" and doc.status == "effective" and doc.sealed
            assert doc.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
            assert {(r.role, r.method, r.channel) for r in rows} == {
                ("party", "canvas", "webapp"),
                ("party", "typed", "telegram"),
                ("mediator", "typed", "telegram"),
            }
            assert all(r.version_sha == sha for r in rows)
            # 签署存证: the Mini App signature keeps the initData's hash and the caller's address.
            (drawn,) = [r for r in rows if r.channel == "webapp"]
            assert drawn.evidence is not None and drawn.evidence["via"] == "telegram"
            assert drawn.evidence["telegram_id"] == str(applicant.user_id)
            assert (
                drawn.evidence["ip"] == "127.0.0.1" and len(drawn.evidence["initdata_hash"]) == 64
            )
            assert [c.version for c in comments] == [1]
            # previews (3) and signed copies (3) were each logged as they left the service
            assert len(downloads) == 6 and {d.channel for d in downloads} == {"telegram"}
            # The signed document is exactly the version the parties approved.
            marks = {r.signer_id: Mark(START.date(), typed_name=r.typed_name) for r in rows}
            assert version_hash(signed_context(doc.content, marks, verify_url=link)) == sha

            await _assert_pyhanko_valid(pdf, seal)
            words = squash(pdftotext(_save(tmp_path / "signed.pdf", pdf)))
            assert "李四（电子签名）" in words and "王调解（电子签名）" in words

            # /verify: the page, the intact copy, and a copy with one byte changed.
            async with http.get(link) as response:
                page_text = await response.text()
            assert response.status == 200 and "已生效" in page_text
            assert await _upload(http, link, pdf) == "match"
            changed = bytearray(pdf)
            changed[len(changed) // 2] ^= 0x01
            assert await _upload(http, link, bytes(changed)) == "mismatch"
            async with http.get(link.split("?")[0] + "?k=wrong") as response:
                assert response.status == 404

            # 司法确认: both consent, give service addresses, choose the default court.
            offer = await wait_text(applicant, "司法确认")
            assert "2026-12-27" in (offer.text or "") and "示范区人民法院" in (offer.text or "")
            await apply_for_confirmation(applicant)
            await wait_text(applicant, "等待对方")
            await wait_text(respondent, "司法确认")
            await apply_for_confirmation(respondent, "重庆市九龙坡区谢家湾正街8号2单元")
            await wait_text(respondent, "正在生成")
            application = await wait_file(applicant, timeout=60)
            await wait_text(applicant, "申请书已生成")
            words = squash(pdftotext(_save(tmp_path / "jc.pdf", application.file or b"")))
            assert (
                "司法确认申请书" in words
                and "示范区人民法院" in words
                and "谢家湾正街8号2单元" in words
            )

            # Reminders before day 30: durable timers at 7 and 2 days before the last day.
            async with runtime.db.read() as session:
                jc = (await session.execute(select(JudicialConfirmation))).scalar_one()
                consents = (await session.execute(select(ConfirmationConsent))).scalars().all()
                timers = (
                    (await session.execute(select(Timer).where(Timer.kind.like("jc_%"))))
                    .scalars()
                    .all()
                )
            assert jc.status == "applied" and jc.deadline.isoformat() == "2026-12-27"
            assert all(c.consent and c.court == "示范区人民法院" for c in consents)
            assert sorted(t.due_at.date().isoformat() for t in timers) == [
                "2026-12-20",
                "2026-12-25",
                "2026-12-27",
            ]
            clock.advance(days=23, hours=2)
            assert runtime.timers is not None
            # The 7-day reminder, and the mediator's staff alert about the respondent's message
            # at the draft, due since (services.staff_alerts: it checks the case when it fires).
            assert await runtime.timers.run_due() == 2
            for party in (applicant, respondent):
                assert "还剩 7 天" in ((await wait_text(party, "提醒")).text or "")

            # 申请书 and 笔录 from the case record, for the mediator's file.
            await mediator.send_command("/documents")
            await wait_text(mediator, "正在生成")
            forms = [await wait_file(mediator, timeout=60) for _ in range(2)]
            form_texts = [
                squash(pdftotext(_save(tmp_path / f"form{i}.pdf", f.file or b"")))
                for i, f in enumerate(forms)
            ]
            assert any("人民调解申请书" in w and "张三" in w for w in form_texts)
            assert any("调解笔录" in w and "先付八千" in w for w in form_texts)


def prompt_of(user: SimUser, version: int) -> SentMessage:
    return next(m for m in user.messages if f"第 {version} 版" in (m.text or "") and m.buttons)


def _png() -> str:
    """What the page posts: the canvas as a PNG data URL."""
    return "data:image/png;base64," + base64.b64encode(make_png(240, 120, (20, 20, 20))).decode()


def _save(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


async def _upload(http: aiohttp.ClientSession, link: str, pdf: bytes) -> str:
    form = aiohttp.FormData()
    form.add_field("file", pdf, filename="copy.pdf", content_type="application/pdf")
    async with http.post(link, data=form) as response:
        body = await response.text()
    if "完全一致" in body:
        return "match"
    return "mismatch" if "不一致" in body else body


async def _assert_pyhanko_valid(pdf: bytes, seal: Sealer) -> None:
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(seal.certificate.public_bytes(Encoding.DER))
    (embedded,) = PdfFileReader(BytesIO(pdf)).embedded_signatures
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    status = await async_validate_pdf_signature(embedded, context)
    assert status.intact and status.valid and status.trusted and status.docmdp_ok
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert NUMBER in str(embedded.sig_object["/Reason"])
