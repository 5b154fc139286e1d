"""The open dialogue's face to the conversation core: what dispatch needs to know of the intake
(纠纷登记) without importing it.

A chat may be in the middle of the intake: its free text answers the intake's question, a
command is followed by that question again, an invitation typed at its first step joins instead.
The intake feature (``features.intake``) declares its implementation once with
:func:`services.features.dialogue`; the conversation builds it with the database, settings and
units and hands it to every turn as ``turn.dialogue``. Without the feature the core runs with
:class:`NoDialogue` (nothing is ever open), so the core never names the feature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from mediation import intake
from mediation.replies import Reply
from services.conversations import ConversationState

if TYPE_CHECKING:
    from services.routing import ActionRoute, AwaitedInput, CommandRoute
    from services.turn import Turn


class Dialogue(Protocol):
    def draft(self, conv: ConversationState) -> intake.IntakeDraft | None:
        """The dialogue this chat is filling in, if any."""

    def save_draft(self, conv: ConversationState, draft: intake.IntakeDraft | None) -> None:
        """Store the dialogue (None ends it: an intake not yet begun gives way to a join)."""

    def reprompt(self, draft: intake.IntakeDraft | None) -> list[Reply]:
        """The open dialogue's question again (nothing when none is open)."""

    async def intake_step(
        self, turn: Turn, draft: intake.IntakeDraft, payload: intake.Input
    ) -> list[Reply]:
        """The chat's input while the dialogue is open: the answer to its question."""

    def park(self, turn: Turn) -> list[Reply]:
        """The person joined a case: put an unfinished dialogue aside (their words go to the
        room now)."""

    def routes(self) -> list[CommandRoute | ActionRoute | AwaitedInput]:
        """The dialogue's commands and buttons, for the routing table."""


class NoDialogue:
    """No intake feature: nothing is ever open, nothing to ask again."""

    def draft(self, conv: ConversationState) -> intake.IntakeDraft | None:
        return None

    def save_draft(self, conv: ConversationState, draft: intake.IntakeDraft | None) -> None:
        return None

    def reprompt(self, draft: intake.IntakeDraft | None) -> list[Reply]:
        return []

    async def intake_step(
        self, turn: Turn, draft: intake.IntakeDraft, payload: intake.Input
    ) -> list[Reply]:
        return []

    def park(self, turn: Turn) -> list[Reply]:
        return []

    def routes(self) -> list[CommandRoute | ActionRoute | AwaitedInput]:
        return []
