"""Typing an offer: the question with a worked example, the terms as typed
(``mediation.offer_text``), every problem in one message, and the preview to send or edit."""

from __future__ import annotations

from datetime import date

from features.negotiation.common import PENDING, AwaitTerms, Previewing, lock_room, terms_lines
from mediation.offer_text import parse_terms
from mediation.offers import OfferTerms, TermsInvalid
from mediation.replies import Msg, Reply, button, reply
from mediation.validation import InvalidInput
from services.room import Room
from services.turn import Turn
from storage.models import StaffAccount


def today(turn: Turn) -> date:
    return turn.now.astimezone(turn.settings.tz).date()


def example(turn: Turn) -> str:
    """A worked example with real future dates, so copying it works."""
    d = today(turn)
    first = date(d.year + (d.month // 12), d.month % 12 + 1, 1)
    second = date(first.year + (first.month // 12), first.month % 12 + 1, 1)
    return f"12000\n{first.isoformat()} 8000\n{second.isoformat()} 4000\n道歉"


def ask_terms(turn: Turn, case_id: int, parent_id: int | None) -> Reply:
    turn.put(PENDING, AwaitTerms(case_id, parent_id))
    key = "negotiation.ask_counter" if parent_id else "negotiation.ask_terms"
    return Reply(
        Msg(key, {"example": example(turn)}),
        buttons=((button("negotiation.btn_input_cancel", "ng:ic"),),),
    )


def preview(turn: Turn, room: Room, terms: OfferTerms, parent_id: int | None) -> Reply:
    turn.put(PENDING, Previewing(room.case.id, terms.to_json(), parent_id))
    return Reply(
        Msg("negotiation.preview", {"number": room.case.number, "lines": terms_lines(terms)}),
        buttons=(
            (button("negotiation.btn_send", "ng:send"),),
            (
                button("negotiation.btn_edit", "ng:edit"),
                button("negotiation.btn_input_cancel", "ng:ic"),
            ),
        ),
    )


async def on_terms_text(
    turn: Turn, user_id: int, staff: StaffAccount | None, pending: AwaitTerms, text: str
) -> list[Reply]:
    room = await lock_room(turn.session, pending.case)
    if room is None:
        turn.put(PENDING, None)
        return [reply("bot.stale_button")]
    try:
        terms = parse_terms(text, today(turn))
    except InvalidInput as exc:
        return [*problem_replies(exc), reply("negotiation.try_again")]
    return [preview(turn, room, terms, pending.parent)]


def problem_replies(exc: InvalidInput) -> list[Reply]:
    """Every problem of the typed terms in one message, each on its line."""
    found = exc.problems if isinstance(exc, TermsInvalid) else (exc,)
    if len(found) == 1:
        return [reply(found[0].key, **found[0].params)]
    lines = [
        Msg("negotiation.problem_line", {"n": n, "text": Msg(p.key, p.params)})
        for n, p in enumerate(found, 1)
    ]
    return [reply("negotiation.problems", count=len(found), lines=lines)]
