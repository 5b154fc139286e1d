"""Volunteer lawyers on call and the 24-hour legal assistant (issue 6).

- ``profiles``: the lawyer registry (console/CLI-ready functions); ``cli``: ``main.py lawyer …``.
- ``dispatch``: requests, offers, widening by durable timer, acceptance, response times (the
  rules themselves are pure, in :mod:`mediation.lawyer_dispatch`).
- ``lawyer_side`` / ``asking`` / ``cards``: what lawyers, parties and mediators do in the chat
  (Telegram, or the browser chat of the account's phone);
  ``handlers`` registers them, the ``lawyer_widen`` timer and the start/stop hooks on
  :mod:`services.features`.
- ``assistant`` (knowledge-base answers with verified citations), ``llm`` (optional phrasing,
  verified the same way), ``consultations`` (咨询 without a case, numbered and counted).
- ``context``: what the start hook builds (knowledge base, LLM settings, delivery).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from features.lawyers import handlers  # noqa: F401  (registers)

if TYPE_CHECKING:
    from app.features import FeatureRegistry


def register(registry: FeatureRegistry) -> None:
    # Imported here, not at the top: a module that needs one of this feature's use cases
    # (``features.lawyers.<module>``) does not pull in its web part and tables with it.
    from features.lawyers import models

    registry.feature("lawyers")
    registry.tables(models)
