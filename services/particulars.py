"""Each party gives their own particulars (性别、出生日期或年龄、民族、职业、住址、电话) in the chat.

Why: the 人民调解申请书 and the 协议书 name every party by them (``mediation.particulars``), and
nobody asked: the intake stops at the phone, the respondent confirms only their name, and a
申请书 came out without 住址. The person asked is the party themselves — the applicant right
after filing, the respondent on joining, anyone whose record still lacks them when the mediator
makes the papers — never the other side guessing. It starts with an offer (现在填写 / 稍后再填),
so words meant for the room are never taken as an answer unasked; each question may be skipped
(跳过, or typed 不知道), the record keeps what was given, and a paper that still lacks
something says so to whoever makes it (``features.agreements.records``).

Channel-neutral: the browser chat shows the same questions and buttons. Values go to the
party's encrypted columns (``CaseParty``), never into a timeline event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from mediation import intake
from mediation import particulars as rules
from mediation.masking import mask_address, mask_phone
from mediation.particulars import Field, Known
from mediation.replies import Button, Msg, Reply, button, reply
from mediation.validation import InvalidInput, unknown_detail
from services.cases import add_event
from services.chat_state import Slot
from services.room import load_room, tell_mediators
from services.routing import ActionRoute, AwaitedInput, CommandRoute, Who
from services.turn import Turn
from storage.models import CaseParty

PREFIX = "pi:"


@dataclass(frozen=True)
class Filling:
    """The particulars being given: whose (``party``), the question asked (``field``), the
    ones passed over this time (``skipped``), and ``redo``: every detail asked again."""

    party: int
    field: str
    skipped: tuple[str, ...] = ()
    redo: bool = False
    given: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "field": self.field,
            "skipped": list(self.skipped),
            "redo": self.redo,
            "given": list(self.given),
        }

    @classmethod
    def from_json(cls, raw: Any) -> Filling:
        if not isinstance(raw, dict):
            raise TypeError("particulars: not an object")
        return cls(
            int(raw["party"]),
            str(Field(raw["field"])),
            tuple(str(s) for s in raw.get("skipped", [])),
            bool(raw.get("redo", False)),
            tuple(str(s) for s in raw.get("given", [])),
        )


#: The question a party is answering (see :class:`Filling`).
FILLING: Slot[Filling] = Slot("particulars", Filling.from_json, Filling.to_json)


def routes() -> list[CommandRoute | ActionRoute | AwaitedInput]:
    """The offer's and the questions' buttons (``pi:``) and the awaited answer."""

    async def on_action(turn: Turn, who: Who, data: str) -> list[Reply] | None:
        return await action(turn, who.user_id, data)

    owner = __name__
    return [ActionRoute(PREFIX, owner, on_action), AwaitedInput(FILLING.key, owner)]


def known(party: CaseParty) -> Known:
    return Known(
        is_org=party.kind == "organisation",
        id_number=bool(party.id_number),
        gender=bool(party.gender),
        birth=bool(party.birth_date) or party.stated_age is not None,
        ethnicity=bool(party.ethnicity),
        occupation=bool(party.occupation),
        address=bool(party.address),
        phone=bool(party.phone),
    )


def field_names(fields: tuple[Field, ...] | list[Field]) -> list[Msg]:
    """One line per detail: "· 住址"."""
    return [Msg("particulars.item", {"name": Msg(f"particulars.field_{f.value}")}) for f in fields]


def offer(party: CaseParty, *, key: str = "particulars.offer") -> Reply | None:
    """现在填写 / 稍后再填 for a party whose record lacks something the papers print; None when
    nothing is missing. ``key``: the wording (after filing, on joining, asked by the mediator)."""
    lacking = rules.missing(known(party))
    if not lacking:
        return None
    return Reply(
        Msg(key, {"fields": field_names(lacking)}),
        buttons=(
            (
                button("particulars.btn_go", f"{PREFIX}go:{party.id}"),
                button("particulars.btn_later", f"{PREFIX}later:{party.id}"),
            ),
        ),
    )


def joined(said: Reply, asked: Reply) -> Reply:
    """The offer under another message, in the same bubble: filing's 登记成功, joining's name
    confirmed. One message more would be one more to scroll past at a busy moment."""
    return Reply(
        Msg("common.lines", {"lines": [said.text, asked.text]}),
        buttons=(*said.buttons, *asked.buttons),
    )


async def own_party(session: AsyncSession, case_id: int, user_id: int) -> CaseParty | None:
    """The person's own party row in the case (the first, should they hold two)."""
    rows = await session.execute(
        select(CaseParty)
        .where(CaseParty.case_id == case_id, CaseParty.user_id == user_id)
        .order_by(CaseParty.id)
    )
    return rows.scalars().first()


async def _own(turn: Turn, party_id: int, user_id: int) -> CaseParty | None:
    """The party row, only when it is the person's own (a button is no key to another's)."""
    party = await turn.session.get(CaseParty, party_id)
    return party if party is not None and party.user_id == user_id else None


def _queue(party: CaseParty, state: Filling) -> list[Field]:
    """The questions still to ask this round, in order."""
    fields = rules.needed(known(party)) if state.redo else rules.missing(known(party))
    done = {*state.skipped, *state.given}
    return [f for f in fields if f.value not in done]


def _question(party: CaseParty, name: Field) -> Reply:
    later = (button("particulars.btn_skip", f"{PREFIX}skip"),)
    stop = (button("particulars.btn_stop", f"{PREFIX}stop"),)
    rows: tuple[tuple[Button, ...], ...] = (later, stop)
    if name is Field.GENDER:
        sexes = (
            button("particulars.btn_male", f"{PREFIX}g:m"),
            button("particulars.btn_female", f"{PREFIX}g:f"),
        )
        rows = (sexes, later, stop)
    return Reply(Msg(f"particulars.ask_{name.value}"), buttons=rows)


async def _next(turn: Turn, party: CaseParty, state: Filling, head: list[Reply]) -> list[Reply]:
    """Ask the next question, or end the round with what the record now holds."""
    queue = _queue(party, state)
    if queue:
        turn.put(FILLING, Filling(party.id, queue[0].value, state.skipped, state.redo, state.given))
        return [*head, _question(party, queue[0])]
    turn.put(FILLING, None)
    if state.given:
        # The mediator who asked (or will draft) hears of it; the values stay in the record.
        room = await load_room(turn.session, party.case_id)
        member = room.of_user(party.user_id) if room is not None and party.user_id else None
        if room is not None and member is not None:
            notice = "particulars.staff_notice"
            await tell_mediators(turn.session, room, member, notice, turn.out, turn.now)
        add_event(
            turn.session,
            party.case_id,
            turn.now,
            f"user:{party.user_id}",
            kind="particulars",
            data={"side": party.side, "ordinal": party.ordinal, "fields": list(state.given)},
        )
    return [*head, done(party, turn)]


def done(party: CaseParty, turn: Turn) -> Reply:
    """What the record now says (the person's own details, in full), and what is still
    missing; with 重新填写 to change any of it."""
    lines = [Msg("particulars.summary_head")]
    for f in rules.needed(known(party)):
        label = Msg(f"particulars.field_{f.value}")
        lines.append(Msg("particulars.summary_line", {"field": label, "value": shown(party, f)}))
    if party.id_number and party.kind != "organisation":
        lines.append(Msg("particulars.by_id_number"))
    lacking = rules.missing(known(party))
    if lacking:
        lines.append(Msg("particulars.still_missing", {"fields": field_names(lacking)}))
    again = button("particulars.btn_redo", f"{PREFIX}redo:{party.id}")
    return Reply(Msg("common.lines", {"lines": lines}), buttons=((again,),))


def shown(party: CaseParty, name: Field, *, masked: bool = False) -> Msg | str:
    """One detail as the party (or, ``masked``, anyone else) reads it; 未填写 when empty."""
    value: str | None
    if name is Field.BIRTH:
        if party.birth_date:
            value = party.birth_date[:4] + "-**-**" if masked else party.birth_date
        elif party.stated_age is not None:
            return Msg("particulars.age_value", {"age": party.stated_age})
        else:
            value = None
    elif name is Field.ADDRESS:
        value = mask_address(party.address) if masked else party.address
    elif name is Field.PHONE:
        value = mask_phone(party.phone) if masked else party.phone
    else:
        value = getattr(party, name.value)
    return value if value else Msg("particulars.not_given")


async def action(turn: Turn, user_id: int, data: str) -> list[Reply] | None:
    """``pi:go|later|redo:<party>``; under a question ``pi:skip``, ``pi:stop``, ``pi:g:m|f``."""
    verb, _, arg = data.removeprefix(PREFIX).partition(":")
    if verb in ("go", "later", "redo"):
        party = await _own(turn, int(arg), user_id) if arg.isdigit() else None
        if party is None:
            return [reply("bot.stale_button")]
        if verb == "later":
            turn.put(FILLING, None)
            return [reply("particulars.later")]
        return await _next(turn, party, Filling(party.id, "", redo=verb == "redo"), [])
    state = turn.get(FILLING)
    party = await _own(turn, state.party, user_id) if state is not None else None
    if state is None or party is None:
        return [reply("bot.stale_button")]
    if verb == "stop":
        turn.put(FILLING, None)
        return [reply("particulars.later")]
    if verb == "skip":
        return await _next(turn, party, _skip(state), [])
    if verb == "g" and arg in ("m", "f") and state.field == Field.GENDER.value:
        return await _answer(turn, party, state, "男" if arg == "m" else "女")
    return [reply("bot.stale_button"), _question(party, Field(state.field))]


def _skip(state: Filling) -> Filling:
    return Filling(state.party, state.field, (*state.skipped, state.field), state.redo, state.given)


async def message(turn: Turn, user_id: int) -> list[Reply] | None:
    """The answer to the question asked; None when no question waits (the text is not ours)."""
    state = turn.get(FILLING)
    if state is None:
        return None
    party = await _own(turn, state.party, user_id)
    if party is None:
        turn.put(FILLING, None)
        return None
    payload = turn.event.payload
    if not isinstance(payload, intake.TextInput):
        return [reply("particulars.text_please"), _question(party, Field(state.field))]
    return await _answer(turn, party, state, payload.text)


async def _answer(turn: Turn, party: CaseParty, state: Filling, text: str) -> list[Reply]:
    name = Field(state.field)
    if not text.strip():
        return [reply("particulars.empty"), _question(party, name)]
    if unknown_detail(text) is not None:  # 不知道, 不清楚, 跳过: left empty, asked later
        return await _next(turn, party, _skip(state), [reply("particulars.skipped")])
    today = turn.now.astimezone(turn.settings.tz).date()
    try:
        values = rules.read(name, text, today)
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params), _question(party, name)]
    for column, value in values.items():
        setattr(party, column, value)
    if "phone" in values:  # as the draft does (identity.set_field): an invitation's hash stays
        party.phone_hash = party.phone_hash or crypto.blind_index(values["phone"])
    given = Filling(state.party, state.field, state.skipped, state.redo, (*state.given, name.value))
    return await _next(turn, party, given, [])
