"""The street's case events on any timeline, with the names their data holds.

Why here: a dispatch or a desk's task step reads "派单：某所牵头，协办：某科" only with the
desks' names, which the street wrote into the event. The console's case page, the joint page and
the chat's case card all show these events; declared once (``services.features.timeline_details``),
each asks for the line instead of carrying the street's wording in its own template.
"""

from __future__ import annotations

from collections.abc import Mapping

from mediation.replies import Msg

#: The events whose line names the desks: the dispatch, and each desk's step in its task.
DETAILED_KINDS = (
    "dispatched",
    "dispatch_none",
    "task_accepted",
    "task_returned",
    "task_done",
    "task_note",
    "task_overdue",
)


def detail(kind: str, data: Mapping[str, object]) -> Msg:
    """``street.timeline.<kind>`` filled from the event's data (names as stored when it was written)."""
    if kind == "dispatched":
        assisting = data.get("assist_names")
        names = [str(n) for n in assisting] if isinstance(assisting, list) else []
        return Msg(
            "street.timeline.dispatched",
            {
                "lead": str(data.get("lead_name", data.get("lead", ""))),
                "assist": "、".join(names) or "—",
            },
        )
    return Msg(
        f"street.timeline.{kind}",
        {
            "desk": str(data.get("desk_name", data.get("desk", ""))),
            "role": Msg(f"street.role_{data.get('role', 'lead')}"),
        },
    )
