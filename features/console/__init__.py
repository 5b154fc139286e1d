"""Use cases of the staff console: sign-in, the ledger, case actions, risk, statistics, audit.

Channel-neutral like the rest of ``services``: the aiohttp views in ``features.console.web`` only parse
requests and render templates; every permission check that guards data happens here too (a
view that forgot one still could not leak a case outside the staff member's units).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# Declares the console's watchers of the core (services.case_watch): risk on every party's
# words, the ledger's search tokens for every stored case, and the audit of a masked number
# shared on purpose.
from features.console import audit, safety, search_index  # noqa: F401  (registers)

if TYPE_CHECKING:
    from app.features import FeatureRegistry


def register(registry: FeatureRegistry) -> None:
    # Imported here, not at the top: a module that needs one of this feature's use cases
    # (``features.console.<module>``) does not pull in its web part and tables with it.
    from features.console import models, web

    registry.feature("console")
    registry.tables(models)
    registry.web(web.setup)
