"""Written agreements end to end: drafting in chat, numbered versions and PDF previews, signing
from the phone (Telegram Mini App or typed name), the committee's seal and the verify page,
delivery with a download log, and 司法确认.

Listed in ``services.features.FEATURE_MODULES`` as ``"services.agreements"``: importing the
package registers its commands, buttons, text hook, timers and life hooks. Modules:

- ``drafting``: the mediator fills the terms, versions are created and revised;
- ``signing``: signatures and refusals on a version (shared by chat and Mini App);
- ``jobs``: the render job (previews, the sealed agreement, issued documents) and delivery;
- ``confirmation``: the 司法确认 offer, consents, court, application, reminders;
- ``records``: 申请书 and 笔录 from the case record;
- ``initdata``: checking a Mini App's ``initData``;
- ``store`` / ``contexts`` / ``common``: files, download log, document contexts, helpers;
- ``lifecycle``: start-up (pool, seal, job) and shut-down;
- ``demo``: ``main.py demo``.
"""

from services.agreements import confirmation, feature, lifecycle  # noqa: F401  (registers)
