"""``/offers``: the case's offers as the asking person may see them, with the buttons still
useful (answer, withdraw, pass on)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from features.negotiation.common import side_label
from features.negotiation.models import Offer
from features.negotiation.offers import answer_buttons, card, view_of
from mediation.offers import OfferStatus, Side, may_withdraw
from mediation.replies import Msg, Reply, button, reply
from services.room import Room
from services.turn import Turn
from storage.models import CaseMember


async def history(turn: Turn, room: Room, member: CaseMember, side: Side | None) -> list[Reply]:
    """``/offers``: the case's offers as this person may see them, newest last."""
    rows = list(
        (
            await turn.session.execute(
                select(Offer).where(Offer.case_id == room.case.id).order_by(Offer.id)
            )
        ).scalars()
    )
    visible = [
        o
        for o in rows
        if side is None or o.proposer_side == side.value or (not o.held and side.value in o.needs)
    ]
    if not visible:
        return [reply("negotiation.no_offers", number=room.case.number)]
    lines = [
        Msg(
            "negotiation.history_line",
            {
                "ref": f"{o.thread}-{o.version}",
                "who": side_label(o.proposer_side),
                "status": Msg(f"negotiation.status_{o.status}"),
                "date": o.created_at.astimezone(turn.settings.tz).strftime("%Y-%m-%d %H:%M"),
            },
        )
        for o in visible[-20:]
    ]
    replies = [reply("negotiation.history", number=room.case.number, lines=lines)]
    open_ = [o for o in visible if o.status == OfferStatus.PROPOSED.value]
    for o in open_[-3:]:
        buttons: list[tuple[Any, ...]] = []
        if side is not None and side.value in o.needs and not o.held:
            buttons += list(answer_buttons(o))
        if may_withdraw(view_of(o), side, side is None):
            buttons.append((button("negotiation.btn_withdraw", f"ng:w:{o.id}"),))
        if side is None and o.held:
            buttons.append((button("negotiation.btn_forward", f"ng:fw:{o.id}"),))
        replies.append(Reply(card(room, o), buttons=tuple(buttons)))
    return replies
