"""From the street (issue 24): staff register disputes for the people involved, and cases are
dispatched to posts (岗位) and departments (部门) that accept, return and work their tasks.

Listed once in ``app.features.FEATURES``; importing the package declares its chat routes
(``/report``, ``/tasks``, the ``rp:`` and ``tk:`` buttons), its awaited inputs and the
deadline timer; :func:`register` adds its tables.

- ``registration``: the use case both channels call (case, pending parties, invitations);
- ``tasks``: dispatch by rule, a desk's answers, deadlines and upward alerts;
- ``report`` / ``chat_tasks``: the chat dialogue and task cards;
- ``config``: posts, departments and rules from the units file;
- ``group`` / ``group_parties``: a group's roster; each member a party of the case, invited and
  bound by the written agreement by their own signature or the representative's;
- ``web``: its pages in the staff console (phone-width form, a desk's task list, joint
  handling, dispatch, the wall screen), registered through the console's page hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from features.street import chat_tasks, held, report, timeline, timers  # noqa: F401  (registers)
from services import features

#: The street's case events, named on every timeline from its own catalogue (``[event]``).
features.timeline_labels(
    "street",
    "street_escalated",
    "street_handed",
    "street_session_scheduled",
    "street_session_held",
    "street_outcome",
    *timeline.DETAILED_KINDS,
)
features.timeline_details(timeline.detail, *timeline.DETAILED_KINDS)

if TYPE_CHECKING:
    from app.features import FeatureRegistry


def register(registry: FeatureRegistry) -> None:
    # Imported here, not at the top, as the other features do (their web part and tables are
    # not pulled in by a module that needs one use case).
    from features.street import models, web

    registry.feature("street")
    registry.tables(models)
    registry.console(web.PAGES)
