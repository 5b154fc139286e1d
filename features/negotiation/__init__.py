"""Negotiation and follow-up: structured offers, blind bidding, performance tracking (回访).

Listed once in ``app.features.FEATURES``; importing the package declares its commands, buttons,
text hook, timer kind and start-up hook, and :func:`register` its tables (``models``). Modules:

- ``offers``: preview, propose, pass on (back-to-back), accept / reject / counter, withdraw;
- ``bidding``: blind bidding (figures encrypted, never shown to anyone else);
- ``performance``: the payment schedule, payments and receipts, completion;
- ``reminders``: the payment timers (reminders, missed payment, escalation);
- ``followup``: the 回访记录 (context and ``/followup``);
- ``drafting``: an accepted offer as the agreement draft's terms;
- ``stats``: amounts recovered for the console dashboard;
- ``handlers``: the chat commands and buttons; ``common``: shared helpers.

The rules are pure, in ``mediation.offers``, ``mediation.blind_bidding`` and
``mediation.performance``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from features.negotiation import handlers  # noqa: F401  (registers)

if TYPE_CHECKING:
    from app.features import FeatureRegistry


def register(registry: FeatureRegistry) -> None:
    # Imported here, not at the top: a module that needs one of this feature's use cases
    # (``features.negotiation.<module>``) does not pull in its web part and tables with it.
    from features.negotiation import models

    registry.feature("negotiation")
    registry.tables(models)
