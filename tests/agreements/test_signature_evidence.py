"""签署存证 and signing on paper (issue 18, item 8): the applicant signs in the chat, the
respondent — who cannot sign on a phone — signs the printed version by hand and the mediator
uploads the scan in the console, checked against the version's hash; the sealed 协议书 ends with
a 签署存证 page naming how each signer was identified, the channel, the time, the version hash
and the Telegram message, the scan's hash or the IP address. Read back from the PDF's text."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from app.runtime import Runtime
from documents.pool import RenderPool
from documents.seal import Sealer
from features.console.case_actions import ActionError
from features.console.context import StaffContext
from features.console.procedures import ProcedureActions
from harness.accounts import add_account
from mediation.signing import sha256_hex
from standin import StandinBotAPI
from standin.media import make_png
from standin.simulation import SimUser
from storage.document_models import DocumentSignature
from storage.models import Case, StaffAccount
from tests.agreements.flow import draft_first_version, open_room
from tests.agreements.harness import agreement_service, wait_file, wait_text
from tests.documents.conftest import pdftotext, squash

IP = "203.0.113.7"


async def _staff(rt: Runtime, username: str) -> StaffContext:
    async with rt.db.read() as s:
        account = (
            await s.execute(select(StaffAccount).where(StaffAccount.username == username))
        ).scalar_one()
    return StaffContext.of(account, rt.units)


def _last_page_text(pdf: Path) -> str:
    """The text of the PDF's last page (``pdfinfo`` for the count, then ``pdftotext``)."""
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    pages = next(x.split()[-1] for x in info.stdout.splitlines() if x.startswith("Pages:"))
    return subprocess.run(
        ["pdftotext", "-raw", "-f", pages, "-l", pages, str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


async def _sign_in_chat(person: SimUser, name: str) -> None:
    prompt = await wait_text(person, "签署即表示")
    await person.press("⌨️ 输入全名签署", prompt)
    await wait_text(person, "全名")
    await person.send_text(name)
    await wait_text(person, "已签署")


async def test_signed_in_chat_and_on_paper_with_the_evidence_page(
    tmp_path: Path, render_pool: RenderPool, seal: Sealer, database_url: str | None
) -> None:
    async with StandinBotAPI() as standin:
        async with agreement_service(
            standin, tmp_path / "var", render_pool, seal, database_url
        ) as (rt, _base):
            zhang, li, mediator = await open_room(rt, standin, 9300)
            await draft_first_version(mediator)
            await _sign_in_chat(zhang, "张三")

            me = await _staff(rt, "med9300")
            procedures = ProcedureActions(
                rt.db, rt.units, rt.clock, rt.settings.tz, rt.files, rt.shared, rt.deliver
            )
            async with rt.db.read() as s:
                case = (await s.execute(select(Case))).scalar_one()
            panels = await procedures.panels(me, case.id)
            assert panels.paper is not None and panels.paper.version == 1
            (li_seat,) = [x for x in panels.paper.signers if "李四" in x.label]
            assert not li_seat.signed
            assert [x.signed for x in panels.paper.signers if "张三" in x.label] == [True]
            sha, scan = panels.paper.sha256, make_png(120, 160)

            async def upload(who: StaffContext = me, **change: object) -> None:
                args: dict[str, object] = {
                    "signer_id": li_seat.signer_id,
                    "sha": sha,
                    "confirmed": True,
                    "scan": scan,
                    "ip": IP,
                    **change,
                }
                await procedures.record_paper(who, case.id, **args)  # type: ignore[arg-type]

            for change, key in (
                ({"confirmed": False}, "agreements.paper_not_confirmed"),
                ({"sha": "f" * 64}, "agreements.stale_version"),
                ({"scan": b"GIF89a not a scan"}, "agreements.paper_bad_file"),
                ({"signer_id": "p999m999"}, "agreements.not_a_signer"),
            ):
                with pytest.raises(ActionError) as refused:
                    await upload(**change)
                assert refused.value.key == key
            # Only the case's own mediator checks a scan against the version.
            await add_account(rt, "other9300", "mediator", name="另一调解员")
            with pytest.raises(ActionError) as refused:
                await upload(await _staff(rt, "other9300"))
            assert refused.value.key == "agreements.paper_not_mediator"

            await upload()
            await wait_text(li, "您已签署协议书第 1 版")
            await wait_text(mediator, "请您签署")
            await mediator.press("⌨️ 输入全名签署", mediator.messages[-1])
            await mediator.send_text("王调解")
            signed = await wait_file(zhang, timeout=60)
            pdf = tmp_path / "signed.pdf"
            pdf.write_bytes(signed.file or b"")

            last = squash(_last_page_text(pdf))
            for expected in (
                "签署存证",
                f"版本哈希（SHA-256）为{sha}",
                "申请人张三",
                "电子签名（输入全名核对一致）",
                "Telegram账号（用户ID9301）",
                "被申请人李四",
                "手写签名（纸质原件，扫描件存档）",
                "纸质原件，扫描件经王调解核对与本版本一致",
                f"扫描件SHA-256{sha256_hex(scan)}",
                f"IP{IP}",
                "调解员王调解",
                "Telegram账号（用户ID9400）",
            ):
                assert expected in last, expected
            words = squash(pdftotext(pdf))
            # The signature line prints the paper signature; the seal covers the whole file.
            assert "李四（纸质原件手写签名，扫描件存档）" in words
            assert "示范人民调解委员会（印章）" in words

            async with rt.db.read() as s:
                rows = {
                    r.signer_id: r
                    for r in (await s.execute(select(DocumentSignature))).scalars()
                    if r.decision == "signed"
                }
            paper = rows[li_seat.signer_id]
            assert paper.method == "handwritten" and paper.channel == "paper"
            assert paper.evidence is not None and paper.evidence["scan_sha256"] == sha256_hex(scan)
            assert await rt.files.get(paper.evidence["scan_key"]) == scan
            chat = next(
                r for r in rows.values() if r.evidence and r.evidence.get("via") == "telegram"
            )
            assert chat.evidence is not None and chat.evidence["message_id"]
