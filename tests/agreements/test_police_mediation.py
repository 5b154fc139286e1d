"""治安调解 end to end (issue 18, item 6): a police officer marks a case from the 派出所 as police
mediation, the rules refuse what the law rules out, the 治安调解协议书 is printed (by the police
unit, no 人民调解委员会 on it), both parties sign it on paper, the scan is checked against the
version, the sealed 协议书 carries its 签署存证 page — and the broken agreement returns the case to
the police. The parties in the room read each step; PDFs are checked by their text."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from documents.pool import RenderPool
from documents.seal import Sealer
from features.agreements.models import PoliceMediation
from features.console.case_actions import ActionError, CaseActions
from features.console.context import Forbidden, StaffContext
from features.console.procedures import ProcedureActions
from features.console.risk import RiskService
from harness.accounts import add_account
from mediation.signing import sha256_hex
from standin import StandinBotAPI
from standin.media import make_png
from storage.document_models import Document, DocumentSignature
from storage.models import Case, CaseParty, StaffAccount
from tests.agreements.flow import open_room
from tests.agreements.harness import agreement_service, police_units_file, wait_text
from tests.documents.conftest import pdftotext, squash

STATION = "示范市公安局示范区分局杨家坪派出所"
INCIDENT = {
    "time": "2026年12月5日20时许",
    "place": "西郊路8号楼下",
    "cause": "欠薪争执",
    "course": "李四推搡张三",
    "circumstances": "双方系同事",
    "result": "张三眼镜损坏",
}


async def _staff(runtime: object, username: str) -> StaffContext:
    from app.runtime import Runtime

    assert isinstance(runtime, Runtime)
    async with runtime.db.read() as s:
        account = (
            await s.execute(select(StaffAccount).where(StaffAccount.username == username))
        ).scalar_one()
    return StaffContext.of(account, runtime.units)


async def _police_case(
    rt: object, standin: StandinBotAPI, base: int
) -> tuple[Any, Any, StaffContext, ProcedureActions, Case, dict[str, int]]:
    """A room with 张三 (applicant) and 李四, and a police officer of the station's."""
    from app.runtime import Runtime

    assert isinstance(rt, Runtime)
    zhang, li, _mediator = await open_room(rt, standin, base)
    await add_account(rt, f"police{base}", "police", unit="station", name="陈警官")
    officer = await _staff(rt, f"police{base}")
    procedures = ProcedureActions(
        rt.db, rt.units, rt.clock, rt.settings.tz, rt.files, rt.shared, rt.deliver
    )
    async with rt.db.read() as s:
        case = (await s.execute(select(Case))).scalar_one()
        parties = {
            p.name: p.id
            for p in (
                await s.execute(select(CaseParty).where(CaseParty.case_id == case.id))
            ).scalars()
        }
    return zhang, li, officer, procedures, case, parties


def _police_form(parties: dict[str, int], *, officers: str, **extra: str) -> dict[str, str]:
    """The officer's 治安调解 form: 李四 pushed 张三 (INCIDENT), a minor assault with a civil
    claim, handled by ``officers``; ``extra`` fields as the test fills them in."""
    return {
        "violation": "assault",
        "civil": "yes",
        "minor": "yes",
        "officers": officers,
        **extra,
        "offender": str(parties["李四"]),
        "injured": str(parties["张三"]),
        **INCIDENT,
    }


def _addresses(parties: dict[str, int]) -> dict[str, str]:
    """The parties' addresses as the officer types them into the draft's form."""
    return {
        f"address_{parties['李四']}": "重庆市九龙坡区谢家湾正街8号",
        f"address_{parties['张三']}": "重庆市九龙坡区西郊路1号",
    }


def _apology(parties: dict[str, int]) -> dict[str, str]:
    """A draft of 李四's apology to 张三, their addresses given: nothing in it to refuse."""
    return {
        **_addresses(parties),
        "terms": "李四向张三赔礼道歉。",
        "method": "当面",
        "deadline": "2026-12-31",
    }


def _officer_steps(
    procedures: ProcedureActions, officer: StaffContext, case_id: int, form: dict[str, str]
) -> Callable[..., Coroutine[Any, Any, str]]:
    """``step(name, **changes)``: the officer takes the procedure's step ``name`` with ``form``,
    ``changes`` overriding its fields for that step only."""

    def step(name: str, **changes: str) -> Coroutine[Any, Any, str]:
        return procedures.police_step(
            officer, case_id, name, {**form, **changes}, ip="198.51.100.9"
        )

    return step


async def _rendered(runtime: object, doc_id: int, status: str) -> Document:
    """The document once the render job has written its file (polled, bounded)."""
    from app.runtime import Runtime

    assert isinstance(runtime, Runtime)
    for _ in range(300):
        async with runtime.db.read() as s:
            doc = await s.get_one(Document, doc_id)
        if doc.status == status and doc.render_status == "done" and doc.file_path:
            return doc
        assert doc.render_status != "failed", doc.render_error
        await asyncio.sleep(0.1)
    raise AssertionError(f"document {doc_id} was not rendered")


async def _refused(step: Awaitable[object], key: str) -> None:
    try:
        await step
    except ActionError as exc:
        # A refused opening form lists every problem (each with its field) under one key.
        said = [p[0] for p in exc.problems] if exc.key == "agreements.police_problems" else []
        assert exc.key == key or key in said, (exc.key, said)
    else:
        raise AssertionError(f"not refused: {key}")


async def test_police_mediation_signed_on_paper_then_broken(
    tmp_path: Path, render_pool: RenderPool, seal: Sealer, database_url: str | None
) -> None:
    units = police_units_file(tmp_path, STATION, "杨家坪正街12号", committee=True)
    async with StandinBotAPI() as standin:
        async with agreement_service(
            standin, tmp_path / "var", render_pool, seal, database_url, UNITS_FILE=units
        ) as (rt, _base):
            zhang, li, officer, procedures, case, parties = await _police_case(rt, standin, 9100)
            mediator = await _staff(rt, "med9100")
            form = _police_form(parties, officers="1", recording_ref="")
            step = _officer_steps(procedures, officer, case.id, form)

            # A mediator cannot run the police's procedure; the law's limits are refused.
            with pytest.raises(Forbidden, match="police_mediate"):
                await procedures.police_step(mediator, case.id, "open", form, ip="-")
            await _refused(step("open"), "agreements.police_problem_recording")  # 第一百零八条
            await _refused(step("open", minor=""), "agreements.police_problem_not_minor")
            await _refused(
                procedures.police_step(
                    officer, case.id, "open", {**form, "recording_ref": "X"}, exclusions=("gang",),
                    ip="-",
                ),
                "agreements.police_problem_excluded",
            )  # fmt: skip
            await step("open", recording_ref="YJP-TJ-20261205-03")
            # Staff cannot mark the case agreed on their own word (the parties must assent).
            actions = CaseActions(rt.db, rt.units, rt.clock, RiskService(rt.db, rt.units, rt.clock))
            await _refused(
                actions.change_status(mediator, case.id, "agree_orally", "", "-"),
                "console.case.error.agreed_needs_parties",
            )

            await _refused(
                step("draft", terms="赔礼道歉。", method="当面", deadline="2026-12-31"),
                "agreements.police_need_address",
            )
            await _refused(
                step(
                    "draft",
                    **_apology(parties),
                    **{f"id_number_{parties['李四']}": "110105194912310021"},  # checksum off
                ),
                "agreements.police_bad_id_number",
            )
            await step(
                "draft",
                **_addresses(parties),
                **{f"id_number_{parties['李四']}": "11010519491231002x"},  # typed in lower case
                terms="李四向张三赔礼道歉。\n李四于2026年12月31日前赔偿张三眼镜损失人民币800元。",
                method="微信转账，当面道歉",
                deadline=date(2026, 12, 31).isoformat(),
            )
            async with rt.db.read() as s:
                row = (await s.execute(select(PoliceMediation))).scalar_one()
            assert row.document_id is not None
            printed = await _rendered(rt, row.document_id, "signing")
            pdf = tmp_path / "print.pdf"
            pdf.write_bytes(await rt.files.get(printed.file_path or ""))
            words = squash(pdftotext(pdf))
            for expected in (
                "治安调解协议书",
                f"调解机关{STATION}",
                "主持人陈警官（人民警察）",
                "由一名人民警察在执法办案场所主持调解，全程同步录音录像（录音录像编号：YJP-TJ-20261205-03）",
                "违法嫌疑人：李四",
                "11010519491231002X",  # the number the officer typed, checked and printed
                "被侵害人：张三",
                "本案违反治安管理行为：殴打他人",
                "经公安机关调解，当事人达成协议的，不予处罚。",
                "中华人民共和国治安管理处罚法》第九条",
            ):
                assert expected in words, expected
            assert "人民调解委员会" not in words  # issued by the police unit, not a committee
            assert "签署存证" not in words  # nobody has signed the print copy yet

            scan = make_png(40, 60)
            await _refused(step("signed", sha="0" * 64, confirm="yes"), "agreements.police_stale")
            await _refused(
                step("signed", sha=printed.sha256, confirm=""), "agreements.police_not_confirmed"
            )
            await procedures.police_step(
                officer,
                case.id,
                "signed",
                {"sha": printed.sha256, "confirm": "yes"},
                scan=scan,
                ip="198.51.100.9",
            )
            await wait_text(zhang, "双方当事人已在治安调解协议书上签名")
            await wait_text(li, "履行后公安机关不予处罚")
            sealed = await _rendered(rt, printed.id, "effective")
            assert sealed.sealed and sealed.sha256 == printed.sha256
            pdf = tmp_path / "sealed.pdf"
            pdf.write_bytes(await rt.files.get(sealed.file_path or ""))
            words = squash(pdftotext(pdf))
            for expected in (
                "签署存证",
                "违法嫌疑人李四",
                "手写签名（纸质原件，扫描件存档）",
                "纸质原件，扫描件经陈警官核对与本版本一致",
                f"扫描件SHA-256{sha256_hex(scan)}",
                f"版本{printed.sha256}",
                "IP198.51.100.9",
                f"{STATION}（印章）",
            ):
                assert expected in words, expected
            async with rt.db.read() as s:
                signatures = list(
                    (
                        await s.execute(
                            select(DocumentSignature).where(
                                DocumentSignature.document_id == printed.id
                            )
                        )
                    ).scalars()
                )
                case_now = await s.get_one(Case, case.id)
            assert {r.method for r in signatures} == {"handwritten"} and len(signatures) == 2
            assert case_now.status == "agreed"

            # Broken: the case goes back to the police (第九条第三款); performing it is over.
            await _refused(step("broken", reason=""), "agreements.police_reason_required")
            await step("broken", reason="李四逾期未赔偿")
            await wait_text(zhang, "案件交回公安机关依法处理")
            await _refused(step("performed"), "agreements.police_bad_step")
            async with rt.db.read() as s:
                row = (await s.execute(select(PoliceMediation))).scalar_one()
                case_now = await s.get_one(Case, case.id)
            assert row.status == "returned" and case_now.status == "transferred"
            assert case_now.outcome == "transferred"


async def test_a_failed_police_mediation_may_be_held_once_more_within_seven_working_days(
    tmp_path: Path, render_pool: RenderPool, seal: Sealer, database_url: str | None
) -> None:
    """公安机关办理行政案件程序规定 第一百八十三条: 调解一般为一次; after a first failure the police may
    mediate once more, when they find it necessary or a party applies, completed within seven
    working days of the first. The parties read each step; past the deadline the second
    mediation cannot be signed, and its failure returns the case to the police."""
    from datetime import UTC, datetime

    from core.clock import FakeClock

    clock = FakeClock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))  # Monday 10:00 in 重庆
    units = police_units_file(tmp_path, STATION, "杨家坪正街12号", committee=True)
    async with StandinBotAPI() as standin:
        async with agreement_service(
            standin,
            tmp_path / "var",
            render_pool,
            seal,
            database_url,
            clock=clock,
            UNITS_FILE=units,
        ) as (rt, _base):
            zhang, li, officer, procedures, case, parties = await _police_case(rt, standin, 9200)
            form = _police_form(parties, officers="2")
            step = _officer_steps(procedures, officer, case.id, form)

            await step("open")
            # The first mediation fails: the case stays with the police's mediation.
            assert await step("failed", reason="双方对赔偿金额分歧较大") == "failed_once"
            told = await wait_text(zhang, "第一次治安调解未达成协议")
            text = told.text or ""
            assert "2026-12-16 前完成" in text and "第一百八十三条" in text
            await wait_text(li, "可以再次调解")
            panel = (await procedures.panels(officer, case.id)).police
            assert panel.status == "failed_once" and panel.again_open
            assert panel.again_deadline == date(2026, 12, 16)
            async with rt.db.read() as s:
                assert (await s.get_one(Case, case.id)).status == "mediating"
            # Nothing to sign after a failure; a second mediation needs one of the two grounds.
            await _refused(
                step("draft", terms="赔礼道歉。", method="当面", deadline="2026-12-31"),
                "agreements.police_bad_step",
            )
            await _refused(step("again"), "agreements.police_again_ground")
            await _refused(step("again", ground="requested"), "agreements.police_again_who")
            assert await step("again", ground="requested", requested_by=str(parties["张三"]))
            await wait_text(li, "公安机关再次进行治安调解，应当在 2026-12-16 前完成")
            await _refused(step("again", ground="necessary"), "agreements.police_bad_step")
            async with rt.db.read() as s:
                row = (await s.execute(select(PoliceMediation))).scalar_one()
            assert (row.status, row.again_ground, row.again_requested_by) == (
                "again",
                "requested",
                parties["张三"],
            )

            # Past the seventh working day the second mediation can no longer be completed.
            clock.advance(days=10)  # Thursday 2026-12-17
            await _refused(
                step("draft", **_apology(parties)),
                "agreements.police_again_expired",
            )
            panel = (await procedures.panels(officer, case.id)).police
            assert panel.status == "again" and not panel.again_open
            assert await step("failed", reason="再次调解仍未达成协议") == "failed"
            await wait_text(zhang, "案件交回公安机关依法处理")
            async with rt.db.read() as s:
                row = (await s.execute(select(PoliceMediation))).scalar_one()
                case_now = await s.get_one(Case, case.id)
            assert row.status == "returned" and case_now.status == "transferred"
