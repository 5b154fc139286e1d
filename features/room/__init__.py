"""The mediation room in the chat: what members say, relayed by role label and kept in the
record, and what the mediator does to run it.

Listed once in ``app.features.FEATURES``; importing the package declares its routes (a
party's ``/switch`` and ``/record``, the staff's queue and panel, sending a masked number in
full, the mediator's reply after the agreement) and its message hooks. The room itself —
members, addresses, labels, events — is the core's ``services.room``; the relay rules are
``mediation.room``.

- ``relay``: storing a message in the record and queueing a copy per recipient; reading the
  record; a staff member's internal note;
- ``party``: a party's words, ``/switch``, ``/record``;
- ``staff``: the mediator's commands and buttons, taking a case, outcomes (``panel``: the
  queue and the room panel; ``staff_cases``: the invitation and outcome a mediator types;
  ``staff_case_view``: the case card);
- ``share``: a masked number sent in full on purpose;
- ``aftercare``: after the agreement, a party's words go to the case's mediator;
- ``chat``: the last message hook, where words nobody else took go to the room.

Its catalogue (``messages.*.toml``) holds the room's texts (``room.*``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from features.room import aftercare, chat, party, share, staff  # noqa: F401  (declares)

if TYPE_CHECKING:
    from app.features import FeatureRegistry


def register(registry: FeatureRegistry) -> None:
    registry.feature("room")
