"""Written agreements end to end: drafting in chat, numbered versions and PDF previews, signing
from the phone (Telegram Mini App or typed name), the committee's seal and the verify page,
delivery with a download log, and 司法确认.

Listed once in ``app.features.FEATURES``; importing the package declares its commands, buttons,
text hook, timers and life hooks, and :func:`register` its web routes (``web``: the signing
page and its assets). Its documents are the core's (``storage.document_models``), shared with
negotiation's receipts and the console. Modules:

- ``drafting``: the mediator fills the terms, versions are created and revised;
- ``party_setup`` / ``identity``: who may bind each party (agents, guardians, organisations,
  absences; mediation.parties) and each party's identity for the court-facing papers;
- ``signing``: signatures and refusals on a version (shared by chat and Mini App);
- ``jobs``: the render job (previews, the sealed agreement, issued documents) and delivery;
- ``confirmation``: the 司法确认 offer, consents, court, application (``confirmation_timers``:
  its reminders and last day); ``referral``: court-referred cases;
- ``oral`` / ``record_check``: oral agreements and the parties' check of the 笔录;
- ``police``: 治安调解, the police's own procedure and its 治安调解协议书 (``models``: its table);
- ``paper`` / ``evidence``: a signature on paper (a scan the mediator checks against the
  version) and what each signature keeps as evidence, printed on the 签署存证 page;
- ``terms``: clause warnings and ``main.py agreement check-terms``;
- ``records``: 申请书 and 笔录 from the case record;
- ``initdata``: checking a Mini App's ``initData``;
- ``store`` / ``contexts`` / ``common``: files, download log, document contexts, helpers;
- ``lifecycle``: start-up (pool, seal, job) and shut-down;
- ``demo``: ``main.py demo``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from features.agreements import (  # noqa: F401  (registers)
    confirmation,
    confirmation_timers,
    feature,
    lifecycle,
    referral,
)

if TYPE_CHECKING:
    from app.features import FeatureRegistry


def register(registry: FeatureRegistry) -> None:
    # Imported here, not at the top: a module that needs one of this feature's use cases
    # (``features.agreements.<module>``) does not pull in its web part and tables with it.
    from features.agreements import models, web

    registry.feature("agreements")
    registry.tables(models)
    registry.web(web.setup)
