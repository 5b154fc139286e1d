"""Negotiation and follow-up: structured offers, blind bidding, performance tracking (回访).

Listed in ``services.features.FEATURE_MODULES`` as ``"services.negotiation"``: importing the
package registers its commands, buttons, text hook, timer kind and start-up hook. Modules:

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

from services.negotiation import handlers  # noqa: F401  (registers)
