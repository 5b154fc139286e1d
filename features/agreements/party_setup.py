"""The mediator records, in the chat, who may bind each party before an agreement is drafted.

Why: an agreement binds only the parties who sign it themselves or through someone with the
authority to (mediation.parties). When a party has not joined, is a minor, lacks full capacity
or is an organisation, the draft stops on a panel of the case's parties that says what is
missing, and from it the mediator records: a 委托代理人 (a room member, with the 授权委托书 sent
as a photo or file and checked for 特别授权), a 法定代理人, the party's capacity, an
organisation's details (name, 统一社会信用代码 checked, 法定代表人/负责人, who signs and on what
authority, the seal image), or why a party is not part of this agreement.

The steps live in the draft's state (``Drafting.waiting_for`` = ``pt:…``, ``party``), so a
restart loses nothing; buttons are ``ag:pt:<verb>:<party>[:<arg>]``.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from features.agreements.common import DRAFTING, Drafting
from features.agreements.contexts import PartyInfo
from mediation import intake
from mediation.parties import AgentKind, Authority, Capacity, PartyKind, Problem, SigningPlan
from mediation.replies import Button, Msg, Reply, button, reply
from mediation.validation import (
    InvalidInput,
    clean_name,
    clean_text,
    parse_age,
    validate_credit_code,
)
from services import features
from services.room import Room, label_of
from services.turn import Turn
from storage.models import CaseParty, Evidence, PartyAgent, StaffAccount

#: Steps that wait for a file (a photo or a document) rather than text.
FILE_STEPS = ("pt:authority", "pt:sig_authority", "pt:seal")


def _status(p: PartyInfo, plan: SigningPlan) -> Msg:
    absent = dict(plan.absent)
    if p.party_id in absent:
        return Msg("agreements.pt_absent", {"reason": absent[p.party_id]})
    problem = next((why for pid, why in plan.problems if pid == p.party_id), None)
    if problem is not None:
        return Msg(f"agreements.pt_problem_{problem.value}")
    seat = plan.seat_of(p.party_id)
    acting = seat.acting.value if seat else "self"
    return Msg(f"agreements.pt_signs_{acting}", {"agent": seat.agent_name if seat else ""})


def panel(room: Room, parties: list[PartyInfo], plan: SigningPlan) -> Reply:
    """Every party of the case, who signs for them or what is missing, a button each."""
    lines = [
        Msg(
            "agreements.pt_status_line",
            {"label": p.label, "name": p.name, "status": _status(p, plan)},
        )
        for p in parties
    ]
    side_absent = any(why is Problem.SIDE_ABSENT for _, why in plan.problems)
    rows: list[tuple[Button, ...]] = [
        (button("agreements.btn_pt_party", f"ag:pt:m:{p.party_id}", label=p.label, name=p.name),)
        for p in parties[:12]
    ]
    rows.append(
        (
            button("agreements.btn_pt_continue", "ag:pt:go"),
            button("agreements.btn_cancel", "ag:x"),
        )
    )
    key = "agreements.pt_panel_ready" if plan.ready else "agreements.pt_panel"
    return Reply(
        Msg(
            key,
            {
                "number": room.case.number,
                "lines": lines,
                "side": Msg("agreements.pt_problem_side_absent") if side_absent else "",
            },
        ),
        buttons=tuple(rows),
    )


def _menu(p: PartyInfo) -> Reply:
    pid = p.party_id
    rows: list[tuple[Button, ...]] = [
        (button("agreements.btn_pt_agent", f"ag:pt:ag:{pid}"),),
        (button("agreements.btn_pt_guardian", f"ag:pt:gd:{pid}"),),
        tuple(
            button(f"agreements.btn_pt_capacity_{c.value}", f"ag:pt:cp:{pid}:{c.value}")
            for c in Capacity
        ),
        (button("agreements.btn_pt_age", f"ag:pt:sa:{pid}"),),
        (button("agreements.btn_pt_org", f"ag:pt:og:{pid}"),),
        (
            (
                button("agreements.btn_pt_present", f"ag:pt:ra:{pid}")
                if p.absent_reason
                else button("agreements.btn_pt_absent", f"ag:pt:ab:{pid}")
            ),
        ),
        (button("agreements.btn_pt_back", "ag:pt:go"),),
    ]
    return Reply(Msg("agreements.pt_menu", {"label": p.label, "name": p.name}), buttons=tuple(rows))


def _members_to_choose(room: Room, verb: str, p: PartyInfo, *, own: bool) -> Reply:
    """Room members of ``p``'s own side who may act for it (never the other side's: one person
    cannot bind both sides), its own seat only for a guardian holding it."""
    rows = tuple(
        (button("agreements.btn_pt_member", f"ag:pt:{verb}:{p.party_id}:{m.id}", who=label_of(m)),)
        for m in room.present()
        if m.role == p.side and (own or m.party_id != p.party_id)
    )
    if not rows:
        return reply("agreements.pt_no_member")
    return Reply(Msg("agreements.pt_choose_member", {"label": p.label}), buttons=rows)


def _wait(turn: Turn, state: Drafting, step: str, party: int) -> None:
    turn.put(DRAFTING, replace(state, waiting_for=step, party=party))


#: What a step answers, and whether the draft goes on after it (the panel, the next question).
Step = tuple[list[Reply], bool]


async def on_action(
    turn: Turn, staff: StaffAccount, room: Room, state: Drafting, args: list[str]
) -> Step:
    """``ag:pt:…`` buttons."""
    from features.agreements.contexts import load_parties, signing_plan

    verb = args[0] if args else ""
    if verb == "ls":  # the panel, asked for from the draft
        listed = await load_parties(turn.session, room)
        plan = signing_plan(listed, turn.now.astimezone(turn.settings.tz).date())
        turn.put(DRAFTING, replace(state, waiting_for="parties", party=None))
        return [panel(room, listed, plan)], False
    if verb == "go" or len(args) < 2 or not args[1].isdigit():
        turn.put(DRAFTING, replace(state, waiting_for="", party=None))
        return [], True
    parties = {p.party_id: p for p in await load_parties(turn.session, room)}
    p = parties.get(int(args[1]))
    if p is None:
        return [reply("bot.stale_button")], False
    row = await turn.session.get_one(CaseParty, p.party_id)
    arg = args[2] if len(args) > 2 else ""
    if verb == "m":
        return [_menu(p)], False
    if verb == "ag":
        return [_members_to_choose(room, "am", p, own=False)], False
    if verb == "gd":
        return [_members_to_choose(room, "gm", p, own=True)], False
    if verb in ("am", "gm") and arg.isdigit():
        member = room.by_id(int(arg))
        if member is None or member not in room.present():
            return [reply("bot.stale_button")], False
        kind = AgentKind.ENTRUSTED if verb == "am" else AgentKind.LEGAL
        agent = await _agent_row(turn, row, kind)
        agent.case_id, agent.member_id = room.case.id, member.id
        agent.authority, agent.checked_at, agent.checked_by_staff_id = None, None, None
        if kind is AgentKind.ENTRUSTED:
            own = await turn.session.get(CaseParty, member.party_id) if member.party_id else None
            agent.name = own.name if own is not None else ""
            _wait(turn, state, "pt:authority", p.party_id)
            return [reply("agreements.pt_ask_authority", label=p.label, name=p.name)], False
        _wait(turn, state, "pt:guardian_name", p.party_id)
        return [reply("agreements.pt_ask_guardian_name", label=p.label, name=p.name)], False
    if verb in ("sp", "gn", "ss", "sg"):
        kind = AgentKind.SIGNATORY if verb in ("ss", "sg") else AgentKind.ENTRUSTED
        agent = await _agent_row(turn, row, kind)
        if agent.authority_evidence_id is None:
            return [reply("bot.stale_button")], False
        special = verb in ("sp", "ss")
        agent.authority = (Authority.SPECIAL if special else Authority.GENERAL).value
        agent.checked_at, agent.checked_by_staff_id = turn.now, staff.id
        if kind is AgentKind.SIGNATORY and special:
            _wait(turn, state, "pt:seal", p.party_id)
            return [reply("agreements.pt_ask_seal", name=p.name)], False
        turn.put(DRAFTING, replace(state, waiting_for="", party=None))
        return [
            reply("agreements.pt_authority_recorded" if special else "agreements.pt_general")
        ], True
    if verb == "cp" and arg in {c.value for c in Capacity}:
        row.capacity = arg
        turn.put(DRAFTING, replace(state, waiting_for="", party=None))
        return [], True
    if verb == "sa":
        _wait(turn, state, "pt:age", p.party_id)
        return [reply("agreements.pt_ask_age", label=p.label, name=p.name)], False
    if verb == "og":
        _wait(turn, state, "pt:org_name", p.party_id)
        return [reply("agreements.pt_ask_org_name", label=p.label)], False
    if verb in ("sl", "so"):
        agent = await _agent_row(turn, row, AgentKind.SIGNATORY)
        agent.case_id, agent.member_id = room.case.id, p.member_id
        if verb == "sl":
            agent.name, agent.relation = row.legal_rep or "", row.legal_rep_title
            agent.authority, agent.checked_at = Authority.LEGAL_REP.value, turn.now
            agent.checked_by_staff_id = staff.id
            _wait(turn, state, "pt:seal", p.party_id)
            return [reply("agreements.pt_ask_seal", name=p.name)], False
        agent.authority, agent.checked_at = None, None
        _wait(turn, state, "pt:signatory_name", p.party_id)
        return [reply("agreements.pt_ask_signatory_name", name=p.name)], False
    if verb == "ab":
        _wait(turn, state, "pt:absent", p.party_id)
        return [reply("agreements.pt_ask_absent", label=p.label, name=p.name)], False
    if verb == "ra":
        row.absent_reason = None
        turn.put(DRAFTING, replace(state, waiting_for="", party=None))
        return [], True
    return [reply("bot.stale_button")], False


async def on_text(turn: Turn, staff: StaffAccount, state: Drafting, text: str) -> Step:
    """A typed answer to a ``pt:`` step."""
    row = await turn.session.get(CaseParty, state.party or 0)
    if row is None or row.case_id != state.case:
        turn.put(DRAFTING, replace(state, waiting_for="", party=None))
        return [], True
    step = state.waiting_for.removeprefix("pt:")
    try:
        if step in FILE_STEPS or state.waiting_for in FILE_STEPS:
            return [reply("agreements.pt_need_file")], False
        if step == "absent":
            row.absent_reason = clean_text(text, max_len=300, min_len=4)
        elif step == "age":
            row.stated_age = parse_age(text)
        elif step == "guardian_name":
            agent = await _agent_row(turn, row, AgentKind.LEGAL)
            agent.name = clean_name(text)
            _wait(turn, state, "pt:guardian_relation", row.id)
            return [reply("agreements.pt_ask_guardian_relation", name=agent.name)], False
        elif step == "guardian_relation":
            agent = await _agent_row(turn, row, AgentKind.LEGAL)
            agent.relation = clean_text(text, max_len=20, min_len=1)
            agent.authority, agent.checked_at = Authority.GUARDIAN.value, turn.now
            agent.checked_by_staff_id = staff.id
        elif step == "org_name":
            row.name = clean_text(text, max_len=100, min_len=2)
            row.kind = PartyKind.ORGANISATION.value
            _wait(turn, state, "pt:credit_code", row.id)
            return [reply("agreements.pt_ask_credit_code", name=row.name)], False
        elif step == "credit_code":
            row.credit_code = validate_credit_code(text)
            _wait(turn, state, "pt:legal_rep", row.id)
            return [reply("agreements.pt_ask_legal_rep", name=row.name)], False
        elif step == "legal_rep":
            row.legal_rep = clean_name(text)
            _wait(turn, state, "pt:legal_rep_title", row.id)
            return [reply("agreements.pt_ask_legal_rep_title", who=row.legal_rep)], False
        elif step == "legal_rep_title":
            row.legal_rep_title = clean_text(text, max_len=20, min_len=2)
            ask = Reply(
                Msg("agreements.pt_ask_signatory", {"name": row.name}),
                buttons=(
                    (button("agreements.btn_pt_sign_legal_rep", f"ag:pt:sl:{row.id}"),),
                    (button("agreements.btn_pt_sign_other", f"ag:pt:so:{row.id}"),),
                ),
            )
            return [ask], False
        elif step == "signatory_name":
            agent = await _agent_row(turn, row, AgentKind.SIGNATORY)
            agent.name = clean_name(text)
            _wait(turn, state, "pt:signatory_title", row.id)
            return [reply("agreements.pt_ask_signatory_title", who=agent.name)], False
        elif step == "signatory_title":
            agent = await _agent_row(turn, row, AgentKind.SIGNATORY)
            agent.relation = clean_text(text, max_len=20, min_len=2)
            _wait(turn, state, "pt:sig_authority", row.id)
            return [reply("agreements.pt_ask_sig_authority", who=agent.name, name=row.name)], False
        else:
            return [], True
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)], False
    turn.put(DRAFTING, replace(state, waiting_for="", party=None))
    return [], True


async def _agent_row(turn: Turn, row: CaseParty, kind: AgentKind) -> PartyAgent:
    found = await turn.session.execute(
        select(PartyAgent).where(PartyAgent.party_id == row.id, PartyAgent.kind == kind.value)
    )
    agent = found.scalar_one_or_none()
    if agent is None:
        agent = PartyAgent(
            case_id=row.case_id, party_id=row.id, kind=kind.value, name="", created_at=turn.now
        )
        turn.session.add(agent)
    return agent


@features.message_hook
async def on_file(turn: Turn, who: features.Who) -> list[Reply] | None:
    """A photo or file the mediator sends while a ``pt:`` step waits for one: the 授权委托书
    (then checked with a button) or the organisation's seal image. Never relayed to the room."""
    payload = turn.event.payload
    state = turn.get(DRAFTING)
    if who.staff is None or state is None or state.waiting_for not in FILE_STEPS:
        return None
    if not isinstance(payload, intake.FileInput):
        return None
    row = await turn.session.get(CaseParty, state.party or 0)
    if row is None or row.case_id != state.case:
        return None
    if payload.kind not in ("photo", "document"):
        return [reply("agreements.pt_need_file")]
    evidence = Evidence(
        case_id=row.case_id,
        party_id=row.id,
        kind=payload.kind,
        channel=turn.event.channel,
        file_ref=payload.ref,
        file_name=payload.name,
        mime_type=payload.mime_type,
        size=payload.size,
        created_at=turn.now,
    )
    turn.session.add(evidence)
    await turn.session.flush()
    if state.waiting_for == "pt:seal":
        row.seal_path = f"{turn.event.channel}:{payload.ref}"
        turn.put(DRAFTING, replace(state, waiting_for="", party=None))
        from features.agreements import drafting

        return await drafting.resume(turn, who.staff, state.case, [reply("agreements.pt_seal_ok")])
    kind = AgentKind.SIGNATORY if state.waiting_for == "pt:sig_authority" else AgentKind.ENTRUSTED
    agent = await _agent_row(turn, row, kind)
    agent.authority_evidence_id = evidence.id
    yes, no = ("ss", "sg") if kind is AgentKind.SIGNATORY else ("sp", "gn")
    return [
        Reply(
            Msg("agreements.pt_check_authority", {"who": agent.name, "name": row.name}),
            buttons=(
                (button("agreements.btn_pt_special", f"ag:pt:{yes}:{row.id}"),),
                (button("agreements.btn_pt_general", f"ag:pt:{no}:{row.id}"),),
            ),
        )
    ]
