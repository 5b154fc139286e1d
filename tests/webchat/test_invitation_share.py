"""After filing, the applicant is the one who passes the invitation on, and the page helps.

Before, the service said "我们将邀请对方参加调解" and at once "请把下面的邀请发给对方": who
invites? A case a party files is not sent to the other side by the service (no SMS: only the
street's cases registered by staff go by SMS, ``features.street.sms``), so the words now say
that she forwards it. Under the invitation's QR code the browser chat has 复制邀请 (words for the
invitee with the join link, onto the clipboard) and, where the browser has the Web Share API,
分享 (the phone's share sheet; copying when sharing fails).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from features.webchat.web_render import render_item
from services.outgoing import QrCode, to_payload
from tests.webchat.harness import TALL_PHONE, bubble, login, shot, standin_chat
from tests.webchat.test_mixed_room import A_PHONE, NUMBER, browser_intake

#: A phone's share sheet, as a page script sees it: records what was shared; fails (not
#: cancelled) when ``window.__shareFails`` is set.
SHARE_SHEET = """
window.__shared = [];
navigator.share = function (data) {
  window.__shared.push(data.text);
  return window.__shareFails
    ? Promise.reject(new DOMException("no share target", "NotAllowedError"))
    : Promise.resolve();
};
"""


def test_the_invitation_carries_words_for_the_invitee() -> None:
    payload = to_payload(QrCode("https://t.me/b?start=inv_abc", "邀请二维码"))
    item = render_item(3, payload, "zh-CN", "https://m.example")
    assert item["join"] == "https://m.example/chat/join/inv_abc"
    assert item["share"].startswith("您好！您被邀请参加一次人民调解")
    assert item["share"].endswith("\nhttps://m.example/chat/join/inv_abc")
    assert "t.me" not in item["share"]


@pytest.mark.browser
@pytest.mark.slow
async def test_the_applicant_forwards_the_invitation_with_copy_and_share(
    tmp_path: Path, browser: Any
) -> None:
    async with standin_chat(tmp_path / "var") as (_standin, _runtime, base, gateway):
        context = await browser.new_context(viewport=TALL_PHONE, locale="zh-CN")
        await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page = await context.new_page()
        await login(page, base, A_PHONE, gateway)
        await browser_intake(page)

        created = await bubble(page, NUMBER)
        assert "请您把下面的邀请转发给对方" in created and "我们不会替您联系对方" in created
        assert "我们将邀请" not in created
        told = await bubble(page, "请把下面的邀请发给对方")
        assert "「复制邀请」" in told

        invitation = page.locator("li.them", has=page.locator("img.qr")).last
        join = await invitation.locator("p.link a").first.get_attribute("href")
        assert join and "/chat/join/inv_" in join
        # Headless Chromium on Linux has no share sheet: copying only.
        assert await invitation.locator(".buttons.share button").all_inner_texts() == ["复制邀请"]
        await invitation.get_by_role("button", name="复制邀请").click()
        await invitation.locator(".copied", has_text="邀请已复制").wait_for()
        copied = await page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("您好！您被邀请参加一次人民调解") and copied.endswith(join)
        await invitation.scroll_into_view_if_needed()
        await shot(page, "webchat-invitation-copy.png")

        # A phone's browser with a share sheet: 分享 hands it the same words.
        await context.add_init_script(SHARE_SHEET)
        await page.evaluate("navigator.clipboard.writeText('')")
        await page.reload()
        await page.wait_for_selector("#chat[data-state=online]")
        invitation = page.locator("li.them", has=page.locator("img.qr")).last
        await invitation.wait_for()
        buttons = invitation.locator(".buttons.share button")
        assert await buttons.all_inner_texts() == ["复制邀请", "分享"]
        await invitation.get_by_role("button", name="分享").click()
        assert await page.evaluate("window.__shared") == [copied]
        assert await invitation.locator(".copied").is_hidden()
        # Sharing fails (no target): the words are copied instead.
        await page.evaluate("window.__shareFails = true")
        await invitation.get_by_role("button", name="分享").click()
        await invitation.locator(".copied", has_text="邀请已复制").wait_for()
        assert await page.evaluate("navigator.clipboard.readText()") == copied
        await invitation.locator(".copied").scroll_into_view_if_needed()
        await shot(page, "webchat-invitation-share.png")
        await context.close()
