"""The demo's second scene (``app.demo``): a 治安调解 (治安管理处罚法 第九条) run by a police officer
from the console's use cases, the 治安调解协议书 printed, signed on paper and sealed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from app.demo_mediation import open_room
from app.demo_stage import DemoResult, Script, handwriting_png, write

if TYPE_CHECKING:
    from features.console.context import StaffContext
    from features.console.procedures import ProcedureActions
    from storage.document_models import Document


#: What the officer records on opening the 治安调解 (besides who damaged whose property).
INCIDENT = {
    "violation": "property_damage",
    "civil": "yes",
    "minor": "yes",
    "officers": "1",
    "recording_ref": "SF-TJ-0001",
    "time": "催款当日晚8时许",
    "place": "杨家坪街道幸福里小区门口",
    "cause": "催要借款发生争吵",
    "course": "李秀兰推倒王建国的电动车",
    "result": "电动车后视镜损坏",
}


async def police_mediation(s: Script, result: DemoResult) -> None:
    """治安调解 on a second case (治安管理处罚法 第九条): a police officer signs in to the console,
    opens it, prints the 治安调解协议书, both parties sign it by hand and the officer uploads the
    scan; the sealed 协议书 carries the 签署存证 page. The agreement is performed: no punishment."""
    from features.console.ledger import LedgerQuery, LedgerService
    from features.console.procedures import ProcedureActions

    rt = s.runtime
    s.say("第二个案件：民警按治安调解处理 / a second case, mediated by the police (治安调解)")
    await open_room(s, 1)
    officer = await _officer_signs_in(s)
    ledger = await LedgerService(rt.db, rt.units, rt.settings.tz).page(officer, LedgerQuery())
    case_id = max(row.id for row in ledger.rows)
    actions = ProcedureActions(
        rt.db, rt.units, rt.clock, rt.settings.tz, rt.files, rt.shared, rt.deliver
    )
    sides = [pid for pid, _label in (await actions.panels(officer, case_id)).police.parties]
    applicant, respondent = sides[0], sides[1]
    await actions.police_step(
        officer,
        case_id,
        "open",
        {**INCIDENT, "offender": str(respondent), "injured": str(applicant)},
        ip="127.0.0.1",
    )
    await actions.police_step(
        officer,
        case_id,
        "draft",
        {
            "terms": "李秀兰向王建国赔礼道歉。\n李秀兰于三日内赔偿王建国后视镜损失人民币150元。",
            "method": "微信转账，当面道歉",
            "deadline": (rt.clock.now().date() + timedelta(days=3)).isoformat(),
            f"address_{applicant}": "示范市示范区和平街道幸福里小区3栋501室",
            f"address_{respondent}": "示范市示范区光明路18号院6号楼302室",
        },
        ip="127.0.0.1",
    )
    printed = await _police_document(actions, officer, case_id, "signing")
    s.say("双方在打印的治安调解协议书上手写签名，民警上传扫描件 / signed on paper, scan uploaded")
    await actions.police_step(
        officer,
        case_id,
        "signed",
        {"sha": printed.sha256, "confirm": "yes"},
        scan=handwriting_png(7),
        ip="127.0.0.1",
    )
    sealed = await _police_document(actions, officer, case_id, "effective")
    write(result, "police_agreement", await rt.files.get(sealed.file_path or ""))
    await actions.police_step(officer, case_id, "performed", {}, ip="127.0.0.1")
    s.say("协议已履行，不予处罚 / performed: no punishment (治安管理处罚法 第九条)")


async def _officer_signs_in(s: Script) -> StaffContext:
    """A police officer of the 派出所 gets an account and signs in to the console."""
    from features.console.auth import AuthService
    from features.console.context import StaffContext
    from services.staff import create_staff

    rt = s.runtime
    password = "demo password 2026"
    error = await create_staff(
        rt.db,
        username="chenjing",
        password=password,
        role="police",
        unit_code="station",
        display_name="陈警官",
        known_units=set(rt.units.by_code),
    )
    if error is not None:
        raise RuntimeError(error)
    auth = AuthService(rt.db, rt.clock)
    login = await auth.login("chenjing", password, "127.0.0.1", "demo")
    account = await auth.resolve(login.token or "")
    if account is None:
        raise RuntimeError("the officer could not sign in")
    return StaffContext.of(account, rt.units)


async def _police_document(
    actions: ProcedureActions, officer: StaffContext, case_id: int, status: str
) -> Document:
    """The case's 治安调解协议书 once the render job has written it in ``status``."""
    for _ in range(600):
        doc = (await actions.panels(officer, case_id)).police.document
        if doc is not None and doc.status == status and doc.render_status == "done":
            return doc
        if doc is not None and doc.render_status == "failed":
            raise RuntimeError(doc.render_error)
        await asyncio.sleep(0.1)
    raise RuntimeError("the 治安调解协议书 was not rendered")
