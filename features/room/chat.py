"""Where words that nobody else took go: into the speaker's room.

The last of the message hooks (``services.features.Stage.LAST``): after the features' awaited
inputs and an invitation's questions, a staff member's text or file goes to their current
room by its target (``features.room.staff``), a party's by the room's rules
(``features.room.party``).
"""

from __future__ import annotations

from features.room import party, staff
from mediation.replies import Reply
from services import features
from services.routing import Who
from services.turn import Turn


@features.staged_hook(features.Stage.LAST)
async def talk(turn: Turn, who: Who) -> list[Reply] | None:
    if who.staff is not None:
        return await staff.message(turn, who.staff)
    return await party.message(turn, who.user_id)
