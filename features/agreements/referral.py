"""A case a court referred to the committee (特邀调解): the court is kept, and 司法确认 follows it.

``/referral 委派 示范区人民法院`` (or ``委托``), typed by the case's mediator, records where the case
came from. Why it matters for the documents:

- 委派 (before the court registers the case): the agreement is confirmed by the court that
  invited the mediation (民事诉讼法 第二百零五条（一）; 特邀调解规定 第十九条), so the 司法确认
  offer names that court and offers no other.
- 委托 (after registration): the mediator hands the agreement to the court, which reviews it and
  makes a 调解书 (特邀调解规定 第二十条); 司法确认 is not the route, and the parties are told so
  instead of being offered it.

The mark can change until 司法确认 has been offered (the offer fixes the court).
"""

from __future__ import annotations

from sqlalchemy import select

from features.agreements.common import mediated_room
from mediation.agreement import CourtBasis, CourtChoice, check_court
from mediation.replies import Msg, Reply, reply
from mediation.validation import InvalidInput
from services import features
from services.cases import add_event
from services.inbound import Command
from services.room import announce
from services.turn import Turn
from storage.document_models import JudicialConfirmation

#: What the mediator types → ``Case.source``.
MODES = {
    "委派": "court_referral",
    "委托": "court_entrusted",
    "delegated": "court_referral",
    "entrusted": "court_entrusted",
}
REFERRED = frozenset(MODES.values())


@features.command("referral")
async def referral_command(turn: Turn, who: features.Who, cmd: Command) -> list[Reply] | None:
    if who.staff is None:
        return None
    room = await mediated_room(turn, who.staff)
    if isinstance(room, Reply):
        return [room]
    case = room.case
    if len(cmd.args) < 2 or cmd.args[0] not in MODES:
        return [
            reply("agreements.referral_usage", current=_current(case.source, case.referring_court))
        ]
    offered = await turn.session.execute(
        select(JudicialConfirmation.id).where(JudicialConfirmation.case_id == case.id)
    )
    if offered.first() is not None:
        return [reply("agreements.referral_too_late")]
    try:
        court = check_court(
            CourtChoice("".join(cmd.args[1:]), CourtBasis.INVITING_COURT), referred_by_court=True
        ).court
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)]
    case.source, case.referring_court, case.updated_at = MODES[cmd.args[0]], court, turn.now
    add_event(
        turn.session,
        case.id,
        turn.now,
        f"staff:{who.staff.id}",
        kind="court_referral",
        data={"source": case.source, "court": court},
    )
    note = Msg(f"agreements.referral_{case.source}", {"court": court})
    await announce(turn.session, room, note, turn.out, turn.now, author=room.of_staff(who.staff.id))
    return [reply("agreements.referral_recorded", number=case.number)]


def _current(source: str, court: str | None) -> Msg | str:
    if source in REFERRED and court:
        return Msg(f"agreements.referral_{source}", {"court": court})
    return Msg("agreements.referral_none")
