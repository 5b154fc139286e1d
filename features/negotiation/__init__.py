"""Negotiation and follow-up: structured offers, blind bidding, performance tracking (回访).

Listed once in ``app.features.FEATURES``; importing the package declares its commands, buttons,
text hook, timer kind and start-up hook, and :func:`register` its tables (``models``). Modules:

- ``offers``: propose, pass on (back-to-back), accept / reject / counter, withdraw;
  ``offer_input``: typing an offer and its preview; ``offer_history``: ``/offers``;
- ``bidding``: blind bidding, 双盲报价 (figures encrypted, never shown to anyone else);
- ``effect``: whether an agreement is in effect, starting the tracking when it is, and what a
  payee can do after a missed payment;
- ``schedules``: the payment schedule of accepted terms; ``performance``: payments and their
  confirmation; ``receipts``: transfer records; ``obligations``: non-money undertakings;
- ``reminders``: the payment timers (reminders, missed payment, silence, escalation);
- ``trail``: timeline events and console alerts; ``correction``: staff undo a confirmation;
- ``followup``: the 回访记录 (context and ``/followup``);
- ``drafting``: an accepted offer as the agreement draft's terms;
- ``handlers``: the chat commands and buttons; ``common``: shared helpers.

The rules are pure, in ``mediation.offers``, ``mediation.blind_bidding`` and
``mediation.performance``; what people type is read by ``mediation.offer_text``.
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
