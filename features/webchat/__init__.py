"""The browser chat channel: phone login by one-time code, the web inbox and mailbox.

``otp`` logs people in; ``channel`` stores what a page sends in the inbox before handing it to
the conversation service (one person's events in order) and moves the outbox rows of channel
``web`` into each person's mailbox with an increasing sequence that the websocket pushes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.features import FeatureRegistry


def register(registry: FeatureRegistry) -> None:
    # Imported here, not at the top: a module that needs one of this feature's use cases
    # (``features.webchat.<module>``) does not pull in its web part and tables with it.
    from features.webchat import models, web

    registry.feature("webchat")
    registry.tables(models)
    registry.web(web.setup)
