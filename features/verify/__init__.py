"""Checking a sealed document: the public /verify page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from features.verify import web

if TYPE_CHECKING:
    from app.features import FeatureRegistry


def register(registry: FeatureRegistry) -> None:
    registry.feature("verify")
    registry.web(web.setup)
