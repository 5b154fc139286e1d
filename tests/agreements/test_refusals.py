"""Refusals on the way to an agreement, on SQLite and PostgreSQL: the mediator signs only after
the parties; a party declines with a reason everyone sees; someone outside the case cannot sign
on the Mini App; once the mediation fails the version can no longer be signed, and the 笔录
records the failure and the routes left (人民调解法 第二十六条)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import select

from core.clock import FakeClock
from documents.pool import RenderPool
from documents.seal import Sealer
from features.agreements.initdata import sign_init_data
from standin import StandinBotAPI
from standin.media import make_png
from storage.document_models import DocumentSignature
from tests.agreements.flow import draft_first_version, open_room
from tests.agreements.harness import (
    TOKEN,
    agreement_service,
    sign_info,
    sign_link,
    wait_file,
    wait_text,
)
from tests.documents.conftest import pdftotext, squash

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


async def test_decline_wrong_signers_and_a_failed_mediation(
    tmp_path: Path, render_pool: RenderPool, seal: Sealer, database_url: str | None
) -> None:
    async with StandinBotAPI() as standin, aiohttp.ClientSession() as http:
        async with agreement_service(
            standin, tmp_path / "var", render_pool, seal, database_url, clock=FakeClock(START)
        ) as (runtime, base):
            applicant, respondent, mediator = await open_room(runtime, standin, 7500)
            await draft_first_version(mediator)
            prompts = {}
            for person in (applicant, respondent, mediator):
                await wait_file(person)
                prompts[person.user_id] = await wait_text(person, "签署即表示")

            # The mediator signs last (人民调解法 第二十九条 lists parties, then the mediator).
            await mediator.press("⌨️ 输入全名签署", prompts[mediator.user_id])
            assert "还有 2 位当事人未签署" in ((await wait_text(mediator, "未签署")).text or "")

            # Someone outside the case, with perfectly valid Telegram credentials.
            _, doc_id, sha = sign_link(prompts[applicant.user_id])
            stranger = sign_init_data(
                TOKEN, {"id": 99999, "first_name": "x"}, auth_date=int(START.timestamp())
            )
            async with http.post(
                f"{base}/webapp/sign",
                json={"doc": doc_id, "sha": sha, "typed_name": "张三"},
                headers={"X-Telegram-Init-Data": stranger},
            ) as response:
                assert response.status == 403
                assert (await response.json())["error"] == "not_a_signer"
            # Issue 21: the page's info call tells a stranger nothing about the case either.
            info_status, leaked = await sign_info(http, base, doc_id, sha, stranger)
            assert info_status == 403, leaked
            body = json.loads(leaked)
            assert sha not in leaked and not {"number", "version", "sha256"} & set(body)

            # Issue 21: a blank image (a 1×1 PNG, or an empty pad) is not a drawn signature.
            blanks = (make_png(1, 1, (255, 255, 255)), make_png(600, 200, (255, 255, 255)))
            for i, blank in enumerate(blanks):
                party = sign_init_data(
                    TOKEN,
                    {"id": applicant.user_id, "first_name": "x"},
                    auth_date=int(START.timestamp()) - i,
                )
                async with http.post(
                    f"{base}/webapp/sign",
                    json={"doc": doc_id, "sha": sha, "png": base64.b64encode(blank).decode()},
                    headers={"X-Telegram-Init-Data": party},
                ) as response:
                    assert response.status == 400, await response.text()
                    assert (await response.json())["error"] == "bad_image"

            # A party declines with a reason; the others and the mediator are told.
            await respondent.press("✖️ 拒绝签署", prompts[respondent.user_id])
            await wait_text(respondent, "理由")
            await respondent.send_text("付款期限太短，月底前付不出。")
            await wait_text(respondent, "已记录您拒绝签署")
            for other in (applicant, mediator):
                seen = await wait_text(other, "拒绝签署协议书第 1 版")
                assert "付款期限太短" in (seen.text or "")
            await mediator.send_command("/agreement")
            status = (await wait_text(mediator, "协议书第 1 版")).text or ""
            assert "被申请人：拒绝签署" in status and "申请人：待签署" in status

            # The mediation fails (SIGNING → FAILED): the version can no longer be signed.
            await mediator.press("结案")
            choice = await wait_text(mediator, "结果")
            assert "📝 制作书面协议书" not in choice.button_texts  # only while mediating
            await mediator.press("调解不成")
            await wait_text(mediator, "说明")
            await mediator.send_text("双方对付款期限无法达成一致。")
            await wait_text(mediator, "已结案")
            await applicant.press("⌨️ 输入全名签署", prompts[applicant.user_id])
            assert "不在签署中" in ((await wait_text(applicant, "第 1 版")).text or "")

            # The record of a failed mediation names the reason and the other routes.
            await mediator.send_command("/documents")
            await wait_text(mediator, "正在生成")
            forms = [await wait_file(mediator, timeout=60) for _ in range(2)]
            record = next(f for f in forms if (f.filename or "").startswith("mediation-record"))
            path = tmp_path / "record.pdf"
            path.write_bytes(record.file or b"")
            words = squash(pdftotext(path))
            assert "未能达成协议" in words and "双方对付款期限无法达成一致" in words
            assert "劳动人事争议仲裁委员会" in words

            async with runtime.db.read() as session:
                rows = (await session.execute(select(DocumentSignature))).scalars().all()
            assert [(r.decision, r.reason) for r in rows] == [
                ("declined", "付款期限太短，月底前付不出。")
            ]
