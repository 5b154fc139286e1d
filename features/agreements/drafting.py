"""Drafting the written agreement (人民调解协议书) in the mediator's chat, step by step.

The mediator fills what 人民调解法 第二十九条 lists — the parties' addresses where the record
lacks them, the main facts, the matters in dispute, each party's responsibility, the agreed
terms (typed, or built from the clause templates of ``documents.clauses`` for the dispute type),
the manner, place and deadline of performance and the number of copies — then reviews the
whole and sends it. Sending creates a numbered version (MEDIATING → SIGNING,
``draft_agreement``) whose PDF preview the render job sends to everyone in the room. A revision
(SIGNING → MEDIATING, ``revise_agreement``) voids the version's signatures and reopens the
draft at the review step with the same content, to edit rather than retype. Both are in
:mod:`features.agreements.versions`; this module is the dialogue.

The draft lives in the mediator's conversation state (the database), so a restart loses nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from documents.clauses import clause, clauses_for, fill
from features.agreements import identity, party_setup
from features.agreements.common import (
    DRAFTING,
    Drafting,
)
from features.agreements.contexts import (
    PartyInfo,
    load_parties,
    signing_plan,
    terms_of,
)
from features.agreements.store import agreement_versions
from features.agreements.terms import flag_lines
from i18n import translate
from mediation.agreement import (
    AgreementTerms,
    Section,
    iso_date_or_text,
    minimum_copies,
)
from mediation.case_state import CaseStatus
from mediation.confirmability import confirmability
from mediation.parties import SigningPlan
from mediation.permissions import Action, can
from mediation.replies import Button, Msg, Reply, button, reply
from mediation.validation import (
    InvalidInput,
    clean_text,
    parse_amount,
)
from services import mediators
from services.room import Room, load_room
from services.room import facts as case_facts
from services.slots import STAFF_INPUT
from services.turn import Turn
from storage.models import CaseParty, StaffAccount


def may_run(turn: Turn, staff: StaffAccount, room: Room) -> bool:
    """Drafting concludes the mediation: the same right as closing the case (第二十二条)."""
    member = room.of_staff(staff.id)
    actor = mediators.staff_actor(staff, room.case, member, turn.units)
    return can(actor, Action.CLOSE_CASE, case_facts(room))


def _today(turn: Turn) -> date:
    return turn.now.astimezone(turn.settings.tz).date()


async def plan_of(turn: Turn, room: Room) -> tuple[list[PartyInfo], SigningPlan]:
    """Every party of the case and who signs for each (mediation.parties)."""
    parties = await load_parties(turn.session, room)
    return parties, signing_plan(parties, _today(turn))


def not_a_committee(turn: Turn, room: Room) -> Reply:
    """Only a 人民调解委员会 issues a 人民调解协议书 (mediation.units)."""
    unit = turn.units.by_code.get(room.case.unit_code, turn.units.default)
    return reply("agreements.err_not_committee", unit=unit.name)


async def start(turn: Turn, staff: StaffAccount, room: Room) -> list[Reply]:
    """Begin (or resume) the draft of ``room``'s agreement."""
    if not may_run(turn, staff, room):
        return [reply("staff.not_allowed")]
    if room.case.status != CaseStatus.MEDIATING.value:
        return [reply("agreements.draft_not_now", status=Msg(f"status.{room.case.status}"))]
    if turn.units.issuer(room.case.unit_code) is None:
        return [not_a_committee(turn, room)]
    _, plan = await plan_of(turn, room)
    state = turn.get(DRAFTING)
    if state is None or state.case != room.case.id:
        versions = await agreement_versions(turn.session, room.case.id)
        if versions:
            terms = terms_of(versions[-1].content)
        else:  # the terms the parties accepted in negotiation, if any (features.negotiation)
            from features.negotiation.drafting import negotiated_terms

            terms = await negotiated_terms(turn.session, room.case.id) or AgreementTerms()
        count = len(plan.seats)
        if terms.copies < minimum_copies(count):
            terms = AgreementTerms.from_json({**terms.to_json(), "copies": minimum_copies(count)})
        state = Drafting(room.case.id, terms.to_json())
    turn.put(STAFF_INPUT, None)  # one pending question at a time
    return await advance(turn, room, state, intro=True)


async def advance(turn: Turn, room: Room, state: Drafting, *, intro: bool = False) -> list[Reply]:
    """Ask for the first thing still missing, or show the review."""
    parties, plan = await plan_of(turn, room)
    head = [reply("agreements.draft_intro", number=room.case.number)] if intro else []
    if not plan.ready:  # 人民调解法 第二十九条: every party signs, or is recorded as absent
        turn.put(DRAFTING, replace(state, waiting_for="parties", party=None))
        return [*head, party_setup.panel(room, parties, plan)]
    lacking = identity.lacking(parties, plan)
    if lacking is not None:
        p, name = lacking
        turn.put(DRAFTING, replace(state, waiting_for=f"id:{name}", party=p.party_id))
        return [*head, identity.prompt(p, name, _parties_row(), room.case.id)]
    terms = AgreementTerms.from_json(state.terms)
    count = len(plan.seats)
    missing = terms.missing(count)
    if missing:
        turn.put(DRAFTING, replace(state, waiting_for=missing[0].value))
        return [*head, _prompt(room, missing[0], terms, count)]
    turn.put(DRAFTING, replace(state, waiting_for="review"))
    return [*head, review(room, parties, plan, terms)]


async def resume(turn: Turn, staff: StaffAccount, case_id: int, head: list[Reply]) -> list[Reply]:
    """Back to the draft after a party's details changed outside a text answer (a file)."""
    room = await load_room(turn.session, case_id)
    state = turn.get(DRAFTING)
    if room is None or state is None or not may_run(turn, staff, room):
        return head
    return [*head, *await advance(turn, room, state)]


def _parties_row() -> tuple[Button, ...]:
    """Under an identity question: the parties panel (an agent, a guardian…) or cancel."""
    return (button("agreements.btn_pt_parties", "ag:pt:ls"), *_cancel_row())


def _cancel_row() -> tuple[Button, ...]:
    return (button("agreements.btn_cancel", "ag:x"),)


def _term_lines(terms: AgreementTerms) -> list[Msg] | str:
    lines = [Msg("agreements.term_line", {"n": i, "text": t}) for i, t in enumerate(terms.terms, 1)]
    return lines or ""


def _prompt(room: Room, section: Section, terms: AgreementTerms, parties: int) -> Reply:
    rows: list[tuple[Button, ...]] = []
    params: dict[str, object] = {}
    if section is Section.FACTS:
        rows.append((button("agreements.btn_use_facts", "ag:use:facts"),))
    elif section is Section.DISPUTES:
        rows.append((button("agreements.btn_use_claims", "ag:use:claims"),))
    elif section is Section.TERMS:
        templates = clauses_for(room.case.dispute_type)
        for i in range(0, len(templates), 2):
            rows.append(
                tuple(
                    button("common.raw", f"ag:cl:{c.code}", text=c.title)
                    for c in templates[i : i + 2]
                )
            )
        rows.append(
            (
                button("agreements.btn_terms_done", "ag:td"),
                button("agreements.btn_terms_undo", "ag:tu"),
                button("agreements.btn_terms_clear", "ag:tc"),
            )
        )
        params = {"terms": _term_lines(terms), "count": len(terms.terms)}
    elif section is Section.COPIES:
        n = minimum_copies(parties)
        rows.append((button("agreements.btn_copies", f"ag:cp:{n}", n=n),))
        params = {"min": n}
    rows.append(_cancel_row())
    return Reply(Msg(f"agreements.ask_{section.value}", params), buttons=tuple(rows))


def review(room: Room, parties: list[PartyInfo], plan: SigningPlan, terms: AgreementTerms) -> Reply:
    """Everything the version will contain, with a button per section to change it."""
    names = [p.name for p in parties]
    flags: list[Msg] | str = flag_lines(confirmability(terms.terms, names)) or ""
    text = Msg(
        "agreements.review",
        {
            "number": room.case.number,
            "parties": [
                Msg(
                    "agreements.party_line",
                    {"label": p.label, "name": p.name, "address": p.address or ""},
                )
                for p in identity.bound(parties, plan)
            ]
            + [
                Msg("agreements.party_absent_line", {"label": p.label, "name": p.name})
                for p in parties
                if p.party_id in dict(plan.absent)
            ],
            "facts": terms.facts,
            "disputes": terms.disputes,
            "responsibilities": terms.responsibilities,
            "terms": _term_lines(terms),
            "method": terms.method,
            "place": terms.place,
            "deadline": terms.deadline,
            "copies": terms.copies,
            "flags": flags,
        },
    )
    edit = [button(f"agreements.btn_edit_{s.value}", f"ag:ed:{s.value}") for s in Section]
    rows = (
        (button("agreements.btn_send", "ag:send"),),
        tuple(edit[0:3]),
        tuple(edit[3:6]),
        (*edit[6:8], button("agreements.btn_edit_address", "ag:ed:address")),
        (button("agreements.btn_pt_parties", "ag:pt:ls"),),
        _cancel_row(),
    )
    return Reply(text, buttons=rows)


async def on_text(
    turn: Turn, staff: StaffAccount, state: Drafting, text: str
) -> list[Reply] | None:
    """The mediator's answer to the pending question (None: not for the draft)."""
    step = state.waiting_for
    if step == "review":
        return None  # free text goes to the room; the draft stays until sent or cancelled
    room = await load_room(turn.session, state.case)
    if room is None or not may_run(turn, staff, room) or room.case.status != "mediating":
        turn.put(DRAFTING, None)  # a draft the case has moved past: the text is not for it
        return None
    if step == "parties":
        return None  # the parties panel waits for buttons; text goes to the room
    if step.startswith("pt:"):
        replies, goes_on = await party_setup.on_text(turn, staff, state, text)
        if not goes_on:
            return replies
        return [*replies, *await advance(turn, room, _now(turn, state))]
    terms = AgreementTerms.from_json(state.terms)
    parties = len((await plan_of(turn, room))[1].seats)
    try:
        if step == "address" or step.startswith("id:"):
            party = await turn.session.get(CaseParty, state.party or 0)
            if party is None or party.case_id != room.case.id:
                return await advance(turn, room, state)
            field = step.removeprefix("id:")
            if field.startswith(identity.AGENT_FIELD):
                await identity.set_agent_id(turn.session, party, field, text, _today(turn))
            else:
                identity.set_field(party, field, text, _today(turn))
        elif step == "clause":
            return await _clause_value(turn, room, state, text)
        elif step == Section.TERMS.value:
            terms = terms.add_term(text)
            state = replace(state, terms=terms.to_json())
            turn.put(DRAFTING, state)
            return [
                reply("agreements.term_added", n=len(terms.terms)),
                _prompt(room, Section.TERMS, terms, parties),
            ]
        elif step == Section.COPIES.value:
            terms = terms.with_copies(text, parties)
        elif step in {s.value for s in Section}:
            today = turn.now.astimezone(turn.settings.tz).date()
            terms = terms.with_text(Section(step), text, today=today)
        else:
            return None
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)]
    return await advance(turn, room, replace(state, terms=terms.to_json()))


async def _clause_value(turn: Turn, room: Room, state: Drafting, text: str) -> list[Reply]:
    """One blank of a clause template; the filled clause becomes a term."""
    pending = dict(state.clause or {})
    item = clause(str(pending.get("code", "")))
    values: dict[str, str] = dict(pending.get("values", {}))
    name = item.fields[len(values)]
    value = clean_text(text, max_len=200)
    if name.endswith("amount"):
        value = str(parse_amount(value))
    elif name.endswith("date"):
        value = iso_date_or_text(value)
    values[name] = value
    if len(values) < len(item.fields):
        turn.put(DRAFTING, replace(state, clause={"code": item.code, "values": values}))
        return [_field_prompt(item.title, item.fields[len(values)])]
    terms = AgreementTerms.from_json(state.terms).add_term(fill(item, values))
    new_state = replace(state, waiting_for=Section.TERMS.value, clause=None, terms=terms.to_json())
    turn.put(DRAFTING, new_state)
    parties = len((await plan_of(turn, room))[1].seats)
    return [
        reply("agreements.term_added", n=len(terms.terms)),
        _prompt(room, Section.TERMS, terms, parties),
    ]


def _with_blanks(item: Any, language: str) -> str:
    """The clause as the mediator reads it before filling it in: each blank named in brackets
    (【付款人】于【履行期限】前…), never its raw placeholder ({payer}, issue 19)."""
    return str(item.text).format_map(
        {
            name: "【" + translate(language, f"agreements.field.{name}") + "】"
            for name in item.fields
        }
    )


def _field_prompt(title: str, name: str) -> Reply:
    return Reply(
        Msg(
            "agreements.ask_clause_field",
            {"title": title, "field": Msg(f"agreements.field.{name}")},
        ),
        buttons=(_cancel_row(),),
    )


async def on_action(turn: Turn, staff: StaffAccount, data: str) -> list[Reply] | None:
    """Buttons of the draft: ``ag:use|cl|td|tu|tc|cp|ed|send|x``."""
    state = turn.get(DRAFTING)
    if state is None:
        return [reply("bot.stale_button")]
    room = await load_room(turn.session, state.case)
    if room is None or not may_run(turn, staff, room):
        turn.put(DRAFTING, None)
        return [reply("staff.not_allowed")]
    verb, _, arg = data.removeprefix("ag:").partition(":")
    terms = AgreementTerms.from_json(state.terms)
    if verb == "x":
        turn.put(DRAFTING, None)
        return [reply("agreements.draft_cancelled")]
    if verb == "pt":
        args = data.split(":")[2:]
        replies, goes_on = await party_setup.on_action(turn, staff, room, state, args)
        if not goes_on:
            return replies
        return [*replies, *await advance(turn, room, _now(turn, state))]
    if verb == "use":
        source = room.case.facts if arg == "facts" else room.case.claims
        section = Section.FACTS if arg == "facts" else Section.DISPUTES
        try:
            terms = terms.with_text(section, source[:3000])
        except InvalidInput as exc:
            return [reply(exc.key, **exc.params)]
        return await advance(turn, room, replace(state, terms=terms.to_json()))
    if verb == "cl":
        try:
            item = clause(arg)
        except KeyError:
            return [reply("bot.stale_button")]
        turn.put(
            DRAFTING, replace(state, waiting_for="clause", clause={"code": item.code, "values": {}})
        )
        return [
            reply("agreements.clause_intro", text=_with_blanks(item, turn.conv.language)),
            _field_prompt(item.title, item.fields[0]),
        ]
    if verb in ("td", "tu", "tc"):
        return await _terms_done_or_undone(turn, room, state, terms, verb)
    if verb == "cp" and arg.isdigit():
        parties = len((await plan_of(turn, room))[1].seats)
        try:
            terms = terms.with_copies(arg, parties)
        except InvalidInput as exc:
            return [reply(exc.key, **exc.params)]
        return await advance(turn, room, replace(state, terms=terms.to_json()))
    if verb == "ed":
        return await _edit(turn, room, state, arg)
    if verb == "send":
        from features.agreements.versions import send_version  # (it resumes this dialogue)

        return await send_version(turn, staff, room, state)
    return [reply("bot.stale_button")]


async def _terms_done_or_undone(
    turn: Turn, room: Room, state: Drafting, terms: AgreementTerms, verb: str
) -> list[Reply]:
    """The terms' buttons: done (``td``), take back the last (``tu``), start over (``tc``)."""
    if verb == "tu":
        terms = terms.drop_last_term()
    elif verb == "tc":
        terms = AgreementTerms.from_json({**terms.to_json(), "terms": []})
    state = replace(state, terms=terms.to_json())
    if verb == "td":
        if not terms.terms:
            return [reply("agreements.err_no_terms")]
        return await advance(turn, room, replace(state, waiting_for=""))
    turn.put(DRAFTING, replace(state, waiting_for=Section.TERMS.value))
    parties = len((await plan_of(turn, room))[1].seats)
    return [_prompt(room, Section.TERMS, terms, parties)]


async def _edit(turn: Turn, room: Room, state: Drafting, what: str) -> list[Reply]:
    parties, plan = await plan_of(turn, room)
    if what == "address":
        for p in identity.bound(parties, plan):  # ask again for every address, in order
            row = await turn.session.get(CaseParty, p.party_id)
            if row is not None:
                row.address = None
        return await advance(turn, room, state)
    if what not in {s.value for s in Section}:
        return [reply("bot.stale_button")]
    section = Section(what)
    turn.put(DRAFTING, replace(state, waiting_for=section.value))
    terms = AgreementTerms.from_json(state.terms)
    return [_prompt(room, section, terms, len(plan.seats))]


def _now(turn: Turn, state: Drafting) -> Drafting:
    """The draft as a party step left it (the step stores its own next wait)."""
    return turn.get(DRAFTING) or state
