"""Reporting a dispute (纠纷登记): the intake dialogue up to filing the case, inviting the other
side and alerting the unit's mediators, then the statute hints for what was filed.

Listed once in ``app.features.FEATURES``; importing the package declares the open dialogue
(``services.features.dialogue``: the conversation core asks it for the chat's draft, its
question again and each answer) with its commands and buttons.

- ``flow``: :class:`~features.intake.flow.IntakeFlow`, the dialogue's steps (the rules are
  ``mediation.intake``), filing through ``services.cases`` and the invitation;
- ``hints``: the statute hints a party gets after filing, only when likely right.

Its catalogue (``messages.*.toml``) holds the dialogue's questions (``intake.*``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from features.intake import flow  # noqa: F401  (declares the dialogue)

if TYPE_CHECKING:
    from app.features import FeatureRegistry


def register(registry: FeatureRegistry) -> None:
    registry.feature("intake")
