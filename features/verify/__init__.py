"""Checking a sealed document: the public /verify page."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.features import FeatureRegistry


def register(registry: FeatureRegistry) -> None:
    # Imported here, not at the top: a module that needs one of this feature's use cases
    # (``features.verify.<module>``) does not pull in its web part and tables with it.
    from features.verify import web

    registry.feature("verify")
    registry.web(web.setup)
