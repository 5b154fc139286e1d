"""A phone or ID number typed into the room reaches the others masked (issue 19).

A mediation in session: the applicant in the phone browser (the chat's websocket, as the page
speaks it), the respondent in Telegram, the mediator linked to Telegram who also signs in to
the console. The respondent types "我电话13912345678，身份证500101199001011234": the applicant
and the mediator read 139****5678 and 5001**********1234; the respondent is told and chooses
to send it in full (audited), once; the console's timeline shows the message masked, and the
number appears in the page only after the audited 查看完整. The same from the browser side.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import select

from features.console.models import AuditEntry
from services.invariants import check
from storage.models import CaseMessage
from tests.agreements.harness import wait_text
from tests.webchat.test_room_risk import (
    CSRF,
    browser_party,
    console_http,
    page_text,
    room_open,
)

TYPED = "我电话13912345678，身份证500101199001011234"
MASKED = "我电话139****5678，身份证5001**********1234"
SECRETS = ("13912345678", "500101199001011234")


async def console_case(base: str, case_id: int, reveal: int | None = None) -> str:
    """The mediator signs in to the console and opens the case page; with ``reveal``, presses
    查看完整 on that room message."""
    async with console_http(base) as http:
        async with http.get(f"{base}/staff/cases/{case_id}") as resp:
            page = await resp.text()
        if reveal is None:
            return page
        token = CSRF.search(page)
        assert token
        async with http.post(
            f"{base}/staff/cases/{case_id}/reveal-message",
            data={"_csrf": token.group(1), "message": str(reveal)},
        ) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.text()


async def test_numbers_typed_in_the_room_are_masked_until_shared_on_purpose(
    tmp_path: Path, database_url: str | None
) -> None:
    async with room_open(tmp_path / "var", database_url) as room:
        runtime, base, gateway, case_id, respondent, mediator = room
        async with browser_party(base, gateway) as page:
            # The respondent types both numbers in Telegram.
            await respondent.send_text(TYPED)
            seen = await page_text(page, "139****5678")
            assert "5001**********1234" in seen
            assert not any(s in seen for s in SECRETS), seen
            to_mediator = (await wait_text(mediator, "139****5678")).text or ""
            assert MASKED in to_mediator and not any(s in to_mediator for s in SECRETS)
            told = await wait_text(respondent, "已对其他人隐藏")
            assert MASKED in (told.text or "")
            assert "仍要发送完整号码" in told.button_texts

            # The console's timeline: masked, and the number only after 查看完整.
            async with runtime.db.read() as s:
                rows = (await s.execute(select(CaseMessage))).scalars()
                # The record keeps the text as typed (encrypted), marked as masked.
                (row,) = [r for r in rows if r.text == TYPED]
            assert row.data.get("masked") is True
            page_html = await console_case(base, case_id)
            assert "139****5678" in page_html and "5001**********1234" in page_html
            assert not any(s in page_html for s in SECRETS)
            assert f'data-testid="reveal-message-{row.id}"' in page_html
            revealed = await console_case(base, case_id, reveal=row.id)
            shown = re.search(r'data-testid="revealed-message">([^<]*)<', revealed)
            assert shown and shown.group(1) == TYPED

            # Nobody else can send his message in full: the applicant forges his button.
            forged = {"type": "action", "action": f"pii:{row.id}"}
            await page.send_str(json.dumps({"type": "send", "cid": "f-1", "msg": forged}))
            assert "按钮已失效" in await page_text(page, "按钮已失效")

            # The respondent chooses to send it in full: the others get it whole, once.
            await respondent.press("仍要发送完整号码", told)
            await wait_text(respondent, "已按您的选择发送完整号码")
            assert "13912345678" in await page_text(page, "13912345678")
            await wait_text(mediator, "500101199001011234")
            await respondent.press("仍要发送完整号码", told)
            await wait_text(respondent, "已经发送过")

            # The browser party's own number reaches Telegram masked; she is told too.
            message = {"type": "text", "text": "我的卡号6222 0212 3456 7890 128，欠款12000元"}
            await page.send_str(json.dumps({"type": "send", "cid": "m-1", "msg": message}))
            relayed = (await wait_text(respondent, "6222***********0128")).text or ""
            assert "12000元" in relayed and "6222 0212" not in relayed
            assert "仍要发送完整号码" in await page_text(page, "已对其他人隐藏")

        # Each relayed copy (masked, then in full) reached each recipient exactly once.
        report = await check(runtime.db)
        assert not {"relay_lost", "relay_doubled"} & set(report.counts), report.render()
        assert report.stats["relayed_messages"] >= 3
        async with runtime.db.read() as s:
            audit = list((await s.execute(select(AuditEntry))).scalars())
        shares = [a for a in audit if a.action == "share_pii"]
        assert [a.target for a in shares] == [f"message:{row.id}"]
        assert shares[0].actor.startswith("user:") and shares[0].role == "respondent"
        reveals = [a for a in audit if a.action == "reveal"]
        assert [(a.actor, a.target) for a in reveals] == [("med_risk", f"message:{row.id}")]
