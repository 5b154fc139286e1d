"""The signing page at phone width, used as a party would use it (issue 19, item 3).

The applicant (张三) opens the 手写签名 button in Telegram on a 390×844 phone: the page shows
the agreement's own text (readable without sideways scrolling), her own name in full and the
other party masked, a link that opens the PDF, and the version hash folded away under 技术信息.
She scrolls through the text, draws her signature and presses 提交签名 without ticking the box:
the page tells her what to do and nothing is signed. She ticks it and signs. The respondent's
view of the same version shows his details in full and hers masked; a stranger gets no PDF.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from sqlalchemy import select

from documents.pool import RenderPool
from documents.seal import Sealer
from features.agreements.initdata import sign_init_data
from standin import StandinBotAPI
from storage.document_models import DocumentDownload, DocumentSignature
from tests.agreements.flow import LI_ID, draft_first_version, open_room
from tests.agreements.harness import TOKEN, agreement_service, sign_info, sign_link, wait_text
from tests.backends import on_each_backend
from tests.conftest import backend_url
from tests.webchat.conftest import browser
from tests.webchat.harness import draw_signature

__all__ = ["browser"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 390, "height": 844}
MUST_CONFIRM = "请先阅读协议并勾选「我已阅读并同意」后再签名"


def init_data(user_id: int, at: int) -> str:
    user = {"id": user_id, "first_name": "x", "language_code": "zh-hans"}
    return sign_init_data(TOKEN, user, auth_date=at)


@on_each_backend
async def test_a_party_reads_the_agreement_and_signs_it_on_a_phone(
    tmp_path: Path, browser: Any, render_pool: RenderPool, seal: Sealer, backend: str
) -> None:
    url = await backend_url(backend)
    shots = backend == "sqlite"  # the screenshots in docs/ come from one run
    async with StandinBotAPI() as standin, aiohttp.ClientSession() as http:
        async with agreement_service(standin, tmp_path / "var", render_pool, seal, url) as (
            runtime,
            base,
        ):
            applicant, respondent, mediator = await open_room(runtime, standin, 7600)
            await draft_first_version(mediator)
            prompt = await wait_text(applicant, "签署即表示", timeout=60)
            link, doc_id, sha = sign_link(prompt)
            now = int(runtime.clock.now().timestamp())

            ctx = await browser.new_context(
                viewport=VIEWPORT, locale="zh-CN", accept_downloads=True
            )
            page = await ctx.new_page()
            await page.goto(f"{link}#tgWebAppData={quote(init_data(applicant.user_id, now))}")
            await page.wait_for_selector("#form:not([hidden])")

            # What she reads: her own name in full, the agreement's text, the other side masked.
            assert await page.inner_text("#signer") == "申请人 张三"
            text = await page.inner_text("#text")
            assert "申请人：张三" in text and "被申请人：李*" in text
            assert "12,000.00元（大写：壹万贰仟元整）" in text and "银行转账" in text
            assert "2026年12月31日" in text
            assert "李四" not in await page.inner_text("body")
            # Readable at phone width: nothing wider than the screen.
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= VIEWPORT["width"], width
            # The hash is there, folded under 技术信息; the confirmation is plain words.
            assert not await page.is_visible("#sha")
            assert await page.inner_text("#l-tech") == "技术信息"
            assert await page.inner_text("#l-confirm") == "我已阅读并同意以上协议内容"
            if shots:
                await page.screenshot(path=str(SHOTS / "signing-after.png"), full_page=True)

            # The PDF opens from the page (fetched with her Telegram credentials).
            async with page.expect_download() as download_info:
                await page.click("#pdf")
            saved = await (await download_info.value).path()
            assert Path(saved).read_bytes().startswith(b"%PDF")  # noqa: ASYNC240

            # She scrolls through the text to the last term and the signature box.
            await page.locator("#text li").last.scroll_into_view_if_needed()
            await page.locator("#pad").scroll_into_view_if_needed()
            await draw_signature(page)
            # She presses 提交签名 without ticking the box: told what to do, nothing signed.
            await page.click("#submit")
            assert await page.inner_text("#error") == MUST_CONFIRM
            assert await page.is_visible("#error")
            if shots:
                await page.screenshot(path=str(SHOTS / "signing-after-unticked.png"))
            async with runtime.db.read() as s:
                assert (await s.execute(select(DocumentSignature))).first() is None

            # She ticks it and signs.
            await page.check("#confirm")
            assert not await page.is_visible("#error")
            await page.click("#submit")
            await page.wait_for_selector("#notice.ok")
            assert "签名已提交" in await page.inner_text("#notice")
            await wait_text(applicant, "您已签署协议书第 1 版")
            await ctx.close()

            # The respondent's page shows his own details in full and hers masked.
            _, body = await sign_info(http, base, doc_id, sha, init_data(respondent.user_id, now))
            info = json.loads(body)
            assert info["name"] == "李四" and info["signer"] == "被申请人"
            parties = {p["role"]: p for p in info["agreement"]["parties"]}
            assert parties["被申请人"]["own"] and LI_ID in parties["被申请人"]["text"]
            assert parties["申请人"]["text"] == "张*"
            # A stranger (no seat in this version) and a request without credentials get no PDF.
            stranger = {"X-Telegram-Init-Data": init_data(999_001, now)}
            async with http.get(
                f"{base}/webapp/sign/pdf", params={"d": doc_id}, headers=stranger
            ) as response:
                assert response.status == 404
            async with http.get(f"{base}/webapp/sign/pdf", params={"d": doc_id}) as response:
                assert response.status == 403
            async with runtime.db.read() as s:
                opened = list((await s.execute(select(DocumentDownload))).scalars())
            from_page = [d for d in opened if d.channel == "webapp"]
            assert len(from_page) == 1 and from_page[0].actor.startswith("member:")  # logged
