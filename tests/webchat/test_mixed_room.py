"""Two parties in a phone browser and one in Telegram mediate one case and sign it.

The applicant reports the dispute in the browser (no app), invites the other side; the
respondent joins from Telegram by the short code; a mediator (Telegram) takes the case, opens
the session and invites a second applicant by phone, who logs in to the browser with that
phone and joins by the browser link. Messages cross between the channels by role label only,
and every party signs the agreement (the browser parties in the page) and downloads it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from harness.steps import (
    answer_identities,
    choose_outcome,
    finish_terms,
    first_term,
    invite_applicant,
    take_case,
)
from storage.document_models import DocumentDownload
from tests.agreements.harness import wait_file, wait_text
from tests.e2e.harness import texts
from tests.e2e.test_room import make_mediator
from tests.webchat.harness import (
    PHONE_VIEWPORT,
    PLACE_AND_NAMES,
    answer_to_facts,
    bubble,
    draw_signature,
    login,
    press,
    say,
    shot,
    standin_chat,
    to_facts,
    walk_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

A_PHONE = "13800007001"
B_PHONE = "13700007003"
T_SECRETS = ("乙真名", "respondent_handle", "13900007002")
NUMBER = "（2026）示调字第0001号"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def joins_with_login_phone(page: Any) -> None:
    """An invited party, signed in through the invitation, confirms the phone she signed in
    with and agrees to take part: the case's number is shown."""
    await bubble(page, "「用登录手机号」")
    await page.click("#contact-btn")
    await bubble(page, "您被邀请参加")
    await press(page, "同意参加调解")
    await bubble(page, NUMBER)


async def browser_intake(page: Any, *, start: bool = True, evidence: bool = False) -> str:
    """The whole intake in the page; returns the invitation code. ``evidence``: upload a
    photo at the evidence step (a text file first, which is refused)."""
    if start:
        await to_facts(page, "劳动争议/欠薪")
    else:
        await answer_to_facts(page, "劳动争议/欠薪")
    await say(page, "老板拖欠我三个月工资共一万二千元，多次催要都说没钱。")
    await bubble(page, "证据")
    if evidence:
        text_file = {"name": "note.txt", "mimeType": "text/plain", "buffer": b"hello"}
        await page.set_input_files("#file", files=[text_file])
        await page.locator("li.notice", has_text="只能上传照片").wait_for()
        photo = {"name": "现场.png", "mimeType": "image/png", "buffer": PNG}
        await page.set_input_files("#file", files=[photo])
        await bubble(page, "已收到证据（共 1 份）")
    await walk_page(
        page,
        [
            ("press", "下一步", "申请事项"),
            ("text", "支付拖欠的工资一万二千元", "金额"),
            ("text", "12000", "哪里"),
            *PLACE_AND_NAMES,
        ],
    )
    await say(page, "139 0000 7002")
    summary = await bubble(page, "确认")
    assert "九龙坡区杨家坪街道" in summary and "12,000.00 元" in summary
    await press(page, "✅ 确认提交")
    invite = await bubble(page, "邀请码")
    code = re.search(r"邀请码：([A-Z0-9]{4}-[A-Z0-9]{4})", invite)
    assert code, invite
    return code.group(1)


async def test_two_browser_parties_and_a_telegram_party(
    tmp_path: Path, browser: Any, render_pool: Any, seal: Any
) -> None:
    async with standin_chat(tmp_path / "var", pool=render_pool, sealer=seal) as (
        standin,
        runtime,
        base,
        gateway,
    ):
        ctx_a = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
        page_a = await ctx_a.new_page()
        await login(page_a, base, A_PHONE, gateway)
        code = await browser_intake(page_a)
        created = await bubble(page_a, NUMBER)
        assert "已登记" in created or NUMBER in created
        # The invitation's QR code opens the browser chat (a join link), beside Telegram's.
        qr_item = page_a.locator("li.them", has=page_a.locator("img.qr")).last
        join_link = await qr_item.locator("p.link a").first.get_attribute("href")
        assert join_link and f"{base}/chat/join/inv_" in join_link
        await shot(page_a, "chat-intake-phone.png")

        # The respondent joins from Telegram by the short code.
        respondent = standin.user(
            7002, first_name="乙真名", username="respondent_handle", phone="+8613900007002"
        )
        await respondent.send_command("/join", code)
        # Bound to the number the applicant gave: the respondent proves it (issue 21).
        assert "分享您的手机号" in (await texts(respondent, 1))[0]
        await respondent.press("📱 分享我的手机号")
        summary = (await texts(respondent, 2))[-1]
        assert "您被邀请参加" in summary and "张*" in summary
        await respondent.press("同意参加调解")
        await wait_text(respondent, NUMBER)
        await bubble(page_a, "被申请人已加入调解")

        # A Telegram mediator takes the case and opens the session.
        mediator = await make_mediator(runtime, standin, "med1", 7100)
        await take_case(mediator, NUMBER)
        await bubble(page_a, "调解员已接手")
        await mediator.press("▶ 开始调解会话")
        await bubble(page_a, "调解会话已开始")
        await wait_text(respondent, "调解会话已开始")

        # The mediator invites a second applicant by phone; she logs in with that phone.
        token = await invite_applicant(mediator, "王五", B_PHONE)
        ctx_b = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
        page_b = await ctx_b.new_page()
        await login(page_b, base, B_PHONE, gateway, path=f"/chat/join/{token}")
        await joins_with_login_phone(page_b)
        await bubble(page_a, "申请人2已加入调解")

        # Talk across the channels, by role label only.
        await say(page_a, "我要求对方支付全部工资一万二千元")
        relayed = await wait_text(respondent, "一万二千元")
        assert (relayed.text or "").startswith(f"【{NUMBER}｜申请人】")
        assert "一万二千元" in await bubble(page_b, "一万二千元")
        await wait_text(mediator, "一万二千元")
        await respondent.send_text("我现在只能先付八千")
        heard_a = await bubble(page_a, "先付八千")
        heard_b = await bubble(page_b, "先付八千")
        assert "被申请人】" in heard_a and "被申请人】" in heard_b
        await say(page_b, "我同意先付八千，其余月底前付清")
        assert "申请人2】" in ((await wait_text(respondent, "月底前付清")).text or "")
        await bubble(page_a, "月底前付清")
        await mediator.send_text("双方先冷静，我们逐项谈。")
        assert "｜调解员】" in await bubble(page_a, "逐项谈")
        await bubble(page_b, "逐项谈")
        await shot(page_b, "chat-room-phone.png")

        # No name, username or phone number crossed between the parties.
        seen_a = await page_a.inner_text("#log")
        seen_b = await page_b.inner_text("#log")
        for secret in T_SECRETS:
            assert secret not in seen_b, secret
        # (the applicant typed the respondent's phone herself in the intake)
        for secret in T_SECRETS[:2]:
            assert secret not in seen_a, secret
        to_respondent = "\n".join(f"{m.text} {m.message}" for m in respondent.messages)
        for secret in (A_PHONE, B_PHONE, "王五"):
            assert secret not in to_respondent, secret
        assert B_PHONE not in seen_a and A_PHONE not in seen_b

        # The mediator drafts the agreement; everyone gets the preview and the prompt.
        await draft_agreement(mediator)
        for page in (page_a, page_b):
            prompt = await bubble(page, "签署即表示", timeout=60_000)
            assert "⌨️ 输入全名签署" in prompt
            preview = page.locator("li.them a.file").last
            assert (await preview.get_attribute("href") or "").startswith("/chat/file/")
        t_prompt = await wait_text(respondent, "签署即表示", timeout=60)

        # Applicant 1 draws her signature on the signing page (the browser session
        # authenticates it, no Telegram), applicant 2 types her full name in the chat.
        sign_link = page_a.locator("li.them a.button", has_text="手写签名").last
        href = await sign_link.get_attribute("href")
        assert href and href.startswith("/webapp/sign?d=")
        signing = await ctx_a.new_page()
        await signing.goto(base + href)
        await signing.wait_for_selector("#form:not([hidden])")
        assert (await signing.inner_text("#signer")).startswith("申请人")
        await signing.check("#confirm")
        await draw_signature(signing)
        await signing.click("#submit")
        await signing.wait_for_selector("#notice.ok")
        await shot(signing, "chat-sign-phone.png")
        await bubble(page_a, "您已签署协议书第 1 版")

        await press(page_b, "⌨️ 输入全名签署")
        await bubble(page_b, "全名")
        await say(page_b, "王五")
        await bubble(page_b, "您已签署协议书第 1 版")

        await respondent.press("⌨️ 输入全名签署", t_prompt)
        await wait_text(respondent, "全名")
        await respondent.send_text("李四")
        await wait_text(respondent, "您已签署协议书第 1 版")
        m_prompt = await wait_text(mediator, "请您签署", timeout=60)
        await mediator.press("⌨️ 输入全名签署", m_prompt)
        await wait_text(mediator, "全名")
        await mediator.send_text("王调解")

        # The sealed agreement reaches everyone; the browser parties download it.
        telegram_pdf = (await wait_file(respondent, timeout=90)).file
        assert telegram_pdf is not None and telegram_pdf.startswith(b"%PDF")
        for page in (page_a, page_b):
            await bubble(page, "已生效", timeout=90_000)
            link = page.locator("li.them a.file").last
            url = await link.get_attribute("href")
            assert url
            response = await page.context.request.get(base + url)
            assert response.status == 200
            assert response.headers["content-type"] == "application/pdf"
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["content-disposition"].startswith("attachment;")
            assert await response.body() == telegram_pdf
        await shot(page_a, "chat-signed-phone.png")
        async with runtime.db.read() as session:
            web_downloads = list(
                (
                    await session.execute(
                        select(DocumentDownload).where(DocumentDownload.actor.like("user:%"))
                    )
                ).scalars()
            )
        assert len(web_downloads) == 2 and {d.channel for d in web_downloads} == {"web"}
        # Another person's file number is not theirs to fetch.
        other = await ctx_b.request.get(base + url.replace("/file/", "/file/9999"))
        assert other.status == 404
        await ctx_a.close()
        await ctx_b.close()


async def draft_agreement(mediator: Any) -> None:
    """The mediator's drafting steps (as in tests/agreements/flow.py), with three parties."""
    await choose_outcome(mediator, "📝 制作书面协议书")
    await wait_text(mediator, "制作书面调解协议书")
    await answer_identities(mediator)
    await first_term(
        mediator,
        "被申请人未按时足额支付劳动报酬，应当承担支付责任。",
        "被申请人于2026年12月31日前向申请人支付工资八千元。",
    )
    await finish_terms(mediator)
    await wait_text(mediator, "协议书草稿")
    await mediator.press("✅ 生成并发送")
    await wait_text(mediator, "第 1 版已生成", timeout=60)


async def test_without_telegram_invitations_are_browser_links(tmp_path: Path, browser: Any) -> None:
    """A deployment with no bot: the invitation's link and QR open the browser chat."""
    async with standin_chat(tmp_path / "var", TELEGRAM_BOT_TOKEN="") as (
        _standin,
        runtime,
        base,
        gateway,
    ):
        assert runtime.telegram is None
        ctx = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
        page_a = await ctx.new_page()
        await login(page_a, base, A_PHONE, gateway)
        await browser_intake(page_a)
        invite = await bubble(page_a, "邀请链接")
        link = re.search(r"(http://\S+/chat/join/inv_[\w-]+)", invite)
        assert link and "t.me" not in invite, invite
        qr_item = page_a.locator("li.them", has=page_a.locator("img.qr")).last
        assert await qr_item.locator("p.link a").first.get_attribute("href") == link.group(1)
        other = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
        page_b = await other.new_page()
        await login(page_b, base, "13900007002", gateway, path=link.group(1)[len(base) :])
        await joins_with_login_phone(page_b)
        await bubble(page_a, "被申请人已加入调解")
        await ctx.close()
        await other.close()
