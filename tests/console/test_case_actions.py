"""Case actions, risk assessment and alerts, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from features.console.case_actions import ActionError, CaseActions
from features.console.case_view import CaseViewService
from features.console.context import Forbidden, NotFound
from features.console.documents import NoDocuments
from features.console.models import Alert, AuditEntry, CaseRiskAssessment
from features.console.risk import AlertNotice, RiskService
from i18n import translate
from storage.models import Case, CaseEvent, CaseMember, CaseMessage, CaseParty
from tests.console.conftest import World, add_case, login
from tests.console.test_ledger import staff

Client = TestClient[web.Request, web.Application]


def services(
    world: World, sent: list[AlertNotice] | None = None
) -> tuple[RiskService, CaseActions]:
    async def hook(notice: AlertNotice) -> None:
        if sent is not None:
            sent.append(notice)

    rt = world.runtime
    risk = RiskService(rt.db, rt.units, rt.clock, hook)
    return risk, CaseActions(rt.db, rt.units, rt.clock, risk)


async def events(world: World, case_id: int) -> list[CaseEvent]:
    async with world.runtime.db.read() as s:
        rows = await s.execute(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
        return list(rows.scalars())


async def refused(key: str, action: Awaitable[object]) -> ActionError:
    """``action`` is refused with the message ``key``; returns the refusal."""
    with pytest.raises(ActionError) as caught:
        await action
    assert caught.value.key == key
    return caught.value


async def get_case(world: World, case_id: int) -> Case:
    async with world.runtime.db.read() as s:
        case = await s.get(Case, case_id)
    assert case is not None
    return case


async def test_sweep_assesses_new_cases_raises_risk_and_alerts(world: World) -> None:
    sent: list[AlertNotice] = []
    risk, _ = services(world, sent)
    await risk.ensure_defaults()
    assert await risk.sweep() == 4
    assert await risk.sweep() == 0  # each case once
    wage = await get_case(world, world.cases["wage"])
    assert wage.risk == "major"
    event = next(e for e in await events(world, wage.id) if e.kind == "risk")
    assert event.actor == "system" and "wage_gathering" in event.data["rules"]
    assert (await get_case(world, world.cases["neighbour"])).risk == "normal"
    # 较大: the committee and the street are told, in the console and through the hook.
    async with world.runtime.db.read() as s:
        alerts = list((await s.execute(select(Alert).where(Alert.case_id == wage.id))).scalars())
    assert sorted(a.unit_code or "" for a in alerts) == ["yjp", "yjp_c1"]
    assert len(sent) == 1 and sent[0].case_number == wage.number
    assert {r.username for r in sent[0].recipients} == {"admin_c1", "med_c1", "med_street"}
    med = await staff(world, "med_c1")
    assert await risk.open_count(med) == 1
    ((alert, number),) = await risk.alerts(med)
    assert number == wage.number
    await risk.acknowledge(med, alert.id)
    assert await risk.open_count(med) == 0
    # Lawyers and viewers get no alerts; someone else's alert cannot be acknowledged.
    assert await risk.open_count(await staff(world, "viewer_c1")) == 0
    street_alert = next(a for a in alerts if a.unit_code == "yjp")
    with pytest.raises(NotFound):
        await risk.acknowledge(med, street_alert.id)


async def test_assessment_only_raises_and_reads_later_text(world: World) -> None:
    risk, actions = services(world)
    me = await staff(world, "med_c1")
    case_id = world.cases["wage"]
    await risk.assess_case(case_id)
    await actions.set_risk(me, case_id, "normal", "已电话核实，工人已领到工资", "127.0.0.1")
    await risk.assess_case(case_id)  # the same text does not raise it again …
    assert (await get_case(world, case_id)).risk == "normal"
    result = await risk.assess_text(case_id, "老板说再闹就弄死你们")  # … a new message does
    assert result is not None and result.level == "critical"
    assert (await get_case(world, case_id)).risk == "critical"
    async with world.runtime.db.read() as s:
        record = await s.get(CaseRiskAssessment, case_id)
    assert record is not None and {"wage_gathering", "violence_lethal"} <= set(record.rules)


async def test_edited_rules_apply(world: World) -> None:
    from mediation.risk import RiskLevel, RiskRule

    risk, _ = services(world)
    await risk.ensure_defaults()
    admin = await staff(world, "admin_city")
    rule = RiskRule("x", RiskLevel.MAJOR, keywords=("噪音",), name="噪音扰民")
    assert await risk.save_rule(admin, None, rule, "127.0.0.1") == []
    bad = RiskRule("x", RiskLevel.MAJOR, name="没有条件")
    assert await risk.save_rule(admin, None, bad, "127.0.0.1") == ["no_condition"]
    with pytest.raises(Forbidden):
        await risk.save_rule(await staff(world, "med_c1"), None, rule, "127.0.0.1")
    await risk.sweep()
    assert (await get_case(world, world.cases["neighbour"])).risk == "major"
    labels = await risk.rule_labels("en")
    assert "噪音扰民" in labels.values() and labels["self_harm"] == "Signs of self-harm or suicide"


async def test_escalation_records_who_when_why_and_moves_up(world: World) -> None:
    sent: list[AlertNotice] = []
    _, actions = services(world, sent)
    me = await staff(world, "med_c1")
    case_id = world.cases["neighbour"]
    await refused(
        "console.case.error.reason_required", actions.escalate(me, case_id, " ", "127.0.0.1")
    )
    assert await actions.escalate(me, case_id, "双方矛盾激化，需街道协调", "10.0.0.1") == "yjp"
    case = await get_case(world, case_id)
    assert case.unit_code == "yjp"
    event = (await events(world, case_id))[-1]
    assert event.kind == "escalated" and event.actor == f"staff:{me.id}"
    assert event.at == world.clock.now()
    assert event.data == {"from": "yjp_c1", "to": "yjp", "reason": "双方矛盾激化，需街道协调"}
    assert sent[0].kind == "escalated" and {r.username for r in sent[0].recipients} == {
        "med_street"
    }
    # Now it belongs to the street: the committee no longer sees it; the street escalates on.
    with pytest.raises(NotFound):
        await actions.add_note(me, case_id, "还能看到吗")
    street = await staff(world, "med_street")
    assert await actions.escalate(street, case_id, "需区级协调", "10.0.0.2") == "jlp"
    admin = await staff(world, "admin_city")
    await actions.escalate(admin, case_id, "需市级协调", "10.0.0.3")
    await refused(
        "console.case.error.top_unit", actions.escalate(admin, case_id, "再往上", "10.0.0.3")
    )


async def test_assign_note_and_status_through_the_state_machine(world: World) -> None:
    _, actions = services(world)
    me = await staff(world, "med_c1")
    case_id = world.cases["wage"]
    await actions.assign(me, case_id, world.staff["med_c1"], "127.0.0.1")
    await actions.assign(me, case_id, world.staff["med_street"], "127.0.0.1")  # unit above: ok
    assert (await get_case(world, case_id)).mediator_id == world.staff["med_street"]
    # The room follows: the new mediator is a member, the one replaced has left.
    async with world.runtime.db.read() as s:
        seats = {
            m.staff_id: m.status
            for m in (
                await s.execute(
                    select(CaseMember).where(
                        CaseMember.case_id == case_id, CaseMember.role == "mediator"
                    )
                )
            ).scalars()
        }
    assert seats == {world.staff["med_c1"]: "removed", world.staff["med_street"]: "active"}
    for bad in (world.staff["admin_c1"], 999999):  # not a mediator / no such account
        await refused(
            "console.case.error.bad_mediator", actions.assign(me, case_id, bad, "127.0.0.1")
        )
    await actions.add_note(me, case_id, "已电话联系申请人")
    await refused(  # a case only submitted is not closed
        "console.case.error.transition",
        actions.change_status(me, case_id, "performance_complete", "", "127.0.0.1"),
    )
    for event in ("respondent_accepts", "open_session", "draft_agreement"):
        await actions.change_status(me, case_id, event, "", "127.0.0.1")
    # No one is bound on staff's word: "all signed" needs every party's signature (第二十九条).
    exc = await refused(
        "console.case.error.agreed_needs_parties",
        actions.change_status(me, case_id, "all_signed", "当事人都同意了", "127.0.0.1"),
    )
    text = translate("zh-CN", exc.key, **exc.params)
    assert "须各方当事人签署协议书" in text and "第二十八条至第三十条" in text
    assert (await get_case(world, case_id)).status == "signing"
    await refused(  # ending a case needs a reason
        "console.case.error.reason_required",
        actions.change_status(me, case_id, "mediation_fails", "", "127.0.0.1"),
    )
    await actions.change_status(me, case_id, "mediation_fails", "被申请人拒绝签字", "127.0.0.1")
    # The room is told of each change made from the console.
    told: list[object] = []
    rt = world.runtime
    other = await add_case(world, "yjp_c1", 880001)
    informing = CaseActions(rt.db, rt.units, rt.clock, actions.risk, deliver=told.extend)
    await informing.change_status(me, other, "withdraw", "申请人撤回", "127.0.0.1")
    texts = [getattr(q, "payload", {}).get("text", "") for q in told]
    assert any("已撤回" in t and "申请人撤回" in t for t in texts), texts
    case = await get_case(world, case_id)
    assert case.status == "failed" and case.outcome == "failed" and not case.session_open
    assert case.closed_at == world.clock.now() and case.outcome_reason == "被申请人拒绝签字"
    kinds = [e.kind for e in await events(world, case_id)]
    assert kinds == ["created", "assigned", "assigned", "note", *["status"] * 4]
    try:
        await actions.escalate(me, case_id, "结案后上报", "127.0.0.1")
    except ActionError as exc:
        assert exc.key == "console.case.error.closed"
    async with world.runtime.db.read() as s:
        audited = list(
            (
                await s.execute(select(AuditEntry.action).where(AuditEntry.case_id == case_id))
            ).scalars()
        )
    assert audited == ["assign", "assign", *["status_change"] * 4]
    # Police may not change status; the service refuses even if a view forgot to check.
    with pytest.raises(Forbidden):
        await actions.change_status(await staff(world, "police_ps"), case_id, "withdraw", "x", "")


async def test_case_view_timeline_merges_sources_and_lists_no_fake_documents(world: World) -> None:
    from features.console.timeline import TimelineItem

    case_id = world.cases["wage"]

    async def messages(session: object, cid: int) -> list[TimelineItem]:
        at = world.clock.now()
        return [
            TimelineItem(
                at=at, source="message", kind="text", actor="user:1", data={"text": "你好"}
            )
        ]

    _, actions = services(world)
    world.clock.advance(minutes=5)
    await actions.add_note(await staff(world, "med_c1"), case_id, "备注")
    world.clock.advance(minutes=5)
    async with world.runtime.db.write() as s:  # the room's record, as services.room writes it
        member = CaseMember(
            case_id=case_id, role="applicant", user_id=1, joined_at=world.clock.now()
        )
        s.add(member)
        await s.flush()
        s.add(
            CaseMessage(
                case_id=case_id,
                author_member_id=member.id,
                kind="text",
                text="我要求今天给钱",
                created_at=world.clock.now(),
            )
        )
    rt = world.runtime
    view = await CaseViewService(rt.db, rt.units, NoDocuments(), [messages]).view(
        await staff(world, "med_c1"), case_id
    )
    assert [(i.source, i.kind, i.actor) for i in view.timeline] == [
        ("event", "created", "user:1"),
        ("event", "note", f"staff:{world.staff['med_c1']}"),
        ("message", "text", "user:1"),  # the room's record
        ("message", "text", "user:1"),  # the extra source, same instant: after the record
    ]
    assert view.timeline[2].data["text"] == "我要求今天给钱"
    assert view.documents == [] and view.escalate_to == "yjp"
    assert (
        "respondent_accepts" in view.status_events
        and "invitation_expires" not in view.status_events
    )
    assert view.parties[0].masked["phone"] == "138****5678" and view.parties[0].revealed == {}


async def test_invalid_transition_is_explained_on_the_page(client: Client, world: World) -> None:
    token = await login(client, "med_c1")
    case_id = world.cases["wage"]
    resp = await client.post(
        f"/staff/cases/{case_id}/status",
        data={"_csrf": token, "event": "performance_complete", "reason": "x"},
    )
    assert resp.status == 409
    html = await resp.text()
    assert "当前状态为「已申请，待对方同意」，不能执行「协议履行完毕，结案」。" in html
    resp = await client.post(
        f"/staff/cases/{case_id}/status?lang=en",
        data={"_csrf": token, "event": "performance_complete", "reason": "x"},
    )
    assert "is not possible now" in await resp.text()
    # A case in another committee is "not found", not "forbidden": its existence stays private.
    other = world.cases["other_committee"]
    assert (await client.get(f"/staff/cases/{other}")).status == 404
    resp = await client.post(f"/staff/cases/{other}/note", data={"_csrf": token, "text": "x"})
    assert resp.status == 404


async def test_escalate_over_http_redirects_out_of_sight(client: Client, world: World) -> None:
    token = await login(client, "med_c1")
    case_id = await add_case(world, "yjp_c1", 7001, name="郑九", phone="13211112222")
    resp = await client.post(
        f"/staff/cases/{case_id}/escalate",
        data={"_csrf": token, "reason": "涉及多户居民"},
        allow_redirects=False,
    )
    assert resp.status == 303 and resp.headers["Location"] == "/staff/cases"
    page = await (await client.get("/staff/cases")).text()
    assert "已上报至杨家坪街道人民调解委员会。" in page


async def test_telegram_alert_goes_through_the_outbox_without_personal_data(world: World) -> None:
    from features.console.notify import staff_chat_alert_hook
    from services.outbox import QueuedMessage
    from storage.models import OutboxMessage, StaffAccount

    async with world.runtime.db.write() as s:
        med = await s.get(StaffAccount, world.staff["med_c1"])
        street = await s.get(StaffAccount, world.staff["med_street"])
        assert med is not None and street is not None
        med.telegram_id, med.language = 777, "en"
        street.telegram_id = 888
    delivered: list[QueuedMessage] = []
    rt = world.runtime
    hook = staff_chat_alert_hook(rt.db, delivered.extend, "https://mediation.example")
    risk = RiskService(rt.db, rt.units, rt.clock, hook)
    await risk.ensure_defaults()
    await risk.sweep()
    async with rt.db.read() as s:
        rows = list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())
    wage = await get_case(world, world.cases["wage"])
    assert {r.chat_id for r in rows} == {"777", "888"} and len(delivered) == 2
    texts = {r.chat_id: r.payload["text"] for r in rows}
    assert texts["777"].startswith("[Risk alert] Case " + wage.number + " is now Major")
    assert "Unpaid wages with workers gathering" in texts["777"]
    assert texts["888"].startswith("【风险预警】") and "较大" in texts["888"]
    assert f"https://mediation.example/staff/cases/{wage.id}" in texts["888"]
    for text in texts.values():
        assert "张三" not in text and "13812345678" not in text


async def test_assign_lawyer_seats_them_in_the_room_and_tells_it(world: World) -> None:
    _, plain = services(world)
    delivered: list[object] = []
    rt = world.runtime
    actions = CaseActions(rt.db, rt.units, rt.clock, plain.risk, deliver=delivered.extend)
    me = await staff(world, "med_c1")
    case_id = world.cases["wage"]
    for bad in (world.staff["med_c1"], 999999, None):  # not a lawyer / no such account / none
        await refused(
            "console.case.error.bad_lawyer", actions.assign_lawyer(me, case_id, bad, "127.0.0.1")
        )
    await actions.assign_lawyer(me, case_id, world.staff["lawyer_c1"], "127.0.0.1")
    await actions.assign_lawyer(me, case_id, world.staff["lawyer_c1"], "127.0.0.1")  # idempotent
    async with rt.db.read() as s:
        lawyers = list(
            (
                await s.execute(
                    select(CaseMember).where(
                        CaseMember.case_id == case_id, CaseMember.role == "lawyer"
                    )
                )
            ).scalars()
        )
    assert [m.staff_id for m in lawyers] == [world.staff["lawyer_c1"]]
    assert [e.kind for e in await events(world, case_id)][-1] == "lawyer_assigned"
    assert delivered  # the applicant (a room member with Telegram) is told a lawyer joined
    texts = [getattr(q, "payload", {}).get("text", "") for q in delivered]
    assert any("律师已加入调解" in t for t in texts)


async def test_staff_enter_a_partys_particulars_read_as_the_party_would(
    client: Client, world: World
) -> None:
    """录入/更正基本情况 on the case page: what staff type is read by the parties' own rules
    (a bad date refused on the page, an address's blanks dropped), empty fields change
    nothing, and the timeline and the audit name the fields, never the values."""
    token = await login(client, "med_c1")
    case_id = await add_case(world, "yjp_c1", 7002, name="郑九", phone="13211112223")
    async with world.runtime.db.read() as s:
        party = (
            (await s.execute(select(CaseParty).where(CaseParty.case_id == case_id)))
            .scalars()
            .first()
        )
    assert party is not None
    page = await (await client.get(f"/staff/cases/{case_id}")).text()
    assert f'data-testid="particulars-{party.side}-1"' in page
    url = f"/staff/cases/{case_id}/particulars"
    form = {"_csrf": token, "party": str(party.id), "birth": "1985年2月30日"}
    resp = await client.post(url, data=form)
    assert resp.status == 400 and "没有看懂这个日期" in await resp.text()
    form.update(birth="1985-03-02", gender="female", ethnicity="土家族", occupation="退休")
    form["address"] = "重庆市渝中区解放碑街道 民生路 88号 3单元"
    resp = await client.post(url, data=form, allow_redirects=False)
    assert resp.status == 303
    page = await (await client.get(f"/staff/cases/{case_id}")).text()
    assert "已保存当事人的基本情况" in page and "1985年" in page and "土家族" in page
    # The birth date shows as its year, the address masked (a logged reveal shows it whole).
    assert f'data-testid="birth-{party.side}">1985年<' in page and "民生路88号" not in page
    async with world.runtime.db.read() as s:
        saved = await s.get(CaseParty, party.id)
        audit = (
            await s.execute(select(AuditEntry).where(AuditEntry.action == "particulars"))
        ).scalar_one()
    assert saved is not None and saved.address == "重庆市渝中区解放碑街道民生路88号3单元"
    assert (saved.gender, saved.birth_date, saved.phone) == ("女", "1985-03-02", "13211112223")
    (event,) = [e for e in await events(world, case_id) if e.kind == "particulars"]
    assert event.data["fields"] == ["gender", "birth", "ethnicity", "occupation", "address"]
    assert "民生路" not in str(event.data) and "民生路" not in str(audit.data)
    resp = await client.post(url, data={"_csrf": token, "party": str(party.id)})
    assert resp.status == 400 and "没有填写任何一项" in await resp.text()
