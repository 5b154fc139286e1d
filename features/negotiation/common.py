"""Shared helpers of the negotiation feature: money as people read it, the summary card of a
set of terms, who is on which side, and who may act.

Money is shown as ``¥1,234.00`` with the capital form (大写) from ``documents.amounts`` — the
same helper the agreement uses, so a figure reads the same in chat and on paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from documents.amounts import format_amount, to_capital
from mediation.offers import OfferTerms, Side
from mediation.permissions import Action, can
from mediation.replies import Msg, Reply, button
from services import mediators
from services.cases import add_event
from services.chat_state import Slot, Variant, variant_slot
from services.delivery import Address
from services.room import Room, party_actor
from services.room import facts as case_facts
from services.turn import Turn
from storage.models import CaseMember, StaffAccount

INPUT = "ng_input"


@dataclass(frozen=True)
class AwaitTerms(Variant):
    """The next text is an offer's terms (a counter-offer when ``parent`` is set)."""

    KIND: ClassVar[str] = "terms"
    case: int
    parent: int | None = None


@dataclass(frozen=True)
class Previewing(Variant):
    """Parsed terms shown for confirmation; the buttons send, edit or cancel them."""

    KIND: ClassVar[str] = "preview"
    case: int
    terms: dict[str, Any]
    parent: int | None = None


@dataclass(frozen=True)
class AwaitFigure(Variant):
    """The next text is this party's secret figure for the bidding round."""

    KIND: ClassVar[str] = "bid"
    bidding: int
    round: int


@dataclass(frozen=True)
class AwaitReceipt(Variant):
    """The next photo or file is the transfer record of an instalment."""

    KIND: ClassVar[str] = "receipt"
    inst: int


NegotiationInput = AwaitTerms | Previewing | AwaitFigure | AwaitReceipt
#: What the negotiation feature waits for in this chat.
PENDING: Slot[NegotiationInput] = variant_slot(
    INPUT, AwaitTerms, Previewing, AwaitFigure, AwaitReceipt
)


def yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def money(fen: int) -> str:
    """``¥1,234.00``"""
    return f"¥{format_amount(yuan(fen))}"


def capital(fen: int) -> str:
    """``壹仟贰佰叁拾肆元整``"""
    return to_capital(yuan(fen))


def side_label(side: Side | str | None) -> Msg:
    if side is None:
        return Msg("role.mediator")
    return Msg(f"role.{Side(side).value}")


def terms_lines(terms: OfferTerms) -> list[Msg]:
    """The summary card's lines: who pays what, when; then the actions; then the note."""
    lines: list[Msg] = []
    if terms.amount_fen:
        lines.append(
            Msg(
                "negotiation.line_amount",
                {
                    "payer": side_label(terms.payer),
                    "payee": side_label(terms.payee),
                    "amount": money(terms.amount_fen),
                    "capital": capital(terms.amount_fen),
                },
            )
        )
        if terms.instalments:
            for n, inst in enumerate(terms.instalments, 1):
                lines.append(
                    Msg(
                        "negotiation.line_instalment",
                        {"n": n, "date": inst.due.isoformat(), "amount": money(inst.fen)},
                    )
                )
        elif terms.deadline is not None:
            lines.append(Msg("negotiation.line_once", {"date": terms.deadline.isoformat()}))
    for action in terms.actions:
        lines.append(
            Msg(
                "negotiation.line_action",
                action_params(action.kind.value, action.detail, action.deadline),
            )
        )
    if terms.note:
        lines.append(Msg("negotiation.line_note", {"note": terms.note}))
    return lines


def action_params(kind: str, detail: str | None, deadline: date | None) -> dict[str, object]:
    """An undertaking (an action other than paying) as every line names it: what is to be
    done, its detail in brackets, and by when: the offer's terms and the tracked obligation
    read alike."""
    return {
        "what": Msg(f"negotiation.action_{kind}"),
        "detail": f"（{detail}）" if detail else "",
        "deadline": Msg("negotiation.by_date", {"date": deadline.isoformat()}) if deadline else "",
    }


def member_side(member: CaseMember) -> Side | None:
    return Side(member.role) if member.role in (Side.APPLICANT, Side.RESPONDENT) else None


def side_members(room: Room, side: Side) -> list[CaseMember]:
    return [m for m in room.present() if m.role == side.value]


def staff_members(room: Room) -> list[CaseMember]:
    return [m for m in room.present() if m.role in ("mediator", "lawyer")]


def mediator_members(room: Room) -> list[CaseMember]:
    return [m for m in room.present() if m.role == "mediator"]


def party_may_speak(room: Room, member: CaseMember) -> bool:
    return can(party_actor(member), Action.SPEAK, case_facts(room))


def mediator_may_run(turn: Turn, staff: StaffAccount, room: Room) -> bool:
    """The case's assigned mediator, while the case is active (第二十二条)."""
    member = room.of_staff(staff.id)
    actor = mediators.staff_actor(staff, room.case, member, turn.units)
    return member is not None and actor.assigned and can(actor, Action.SPEAK, case_facts(room))


def address_of(room: Room, member: CaseMember) -> Address | None:
    return room.addresses.get(member.id)


def send_to(turn: Turn, room: Room, members: list[CaseMember], *replies: Reply) -> None:
    for m in members:
        address = room.addresses.get(m.id)
        if address is not None:
            turn.out.send(address, *replies)


def room_event(turn: Turn, room: Room, actor: str, *, kind: str, data: dict[str, Any]) -> None:
    """One entry on the timeline of the room's case, at this turn's time."""
    add_event(turn.session, room.case.id, turn.now, actor, kind=kind, data=data)


def question(key: str, **params: object) -> Reply:
    """A question answered by the next text; the button takes it back."""
    return Reply(Msg(key, params), buttons=((button("negotiation.btn_input_cancel", "ng:ic"),),))


async def lock_room(session: AsyncSession, case_id: int) -> Room | None:
    from services.room import load_room

    return await load_room(session, case_id, lock=True)
