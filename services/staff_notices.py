"""A feature's notice to staff that may wait for the morning: sent now, or held in the
recipient's alert batch during their quiet hours (``services.staff_alerts``).

Why one mechanism: a mediator who also sits on a street post has one night and one morning; the
new-case alerts and a desk's routine notices (a task dispatched, a task overdue or returned, a
joint session, an outcome) arrive in the same morning digest, each re-checked when it fires
(a task accepted by a colleague overnight is no longer news). What may not wait is decided by
the feature: an urgent notice (a dangerous dispute) is sent without a :class:`Hold`, and a held
one that would arrive too late (after its task's deadline or its session's start) goes now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from mediation.replies import Reply
from mediation.staff_alerts import Item, QuietHours
from services.delivery import Outgoing, staff_addresses
from services.staff_alerts import Policy, arm
from storage.models import StaffAccount


@dataclass(frozen=True)
class Hold:
    """A routine notice: what the digest says of it (``item``, a feature's kind), the service's
    policy at ``now``, and when it would be too late to hold (``by``)."""

    policy: Policy
    item: Item
    now: datetime
    by: datetime | None = None


async def tell(
    session: AsyncSession,
    people: Iterable[StaffAccount],
    notice: Reply,
    out: Outgoing,
    hold: Hold | None = None,
) -> list[StaffAccount]:
    """Each of ``people`` the chat reaches (``services.delivery.staff_addresses``) is told
    now, or — with a ``hold``, during their quiet hours (their own, else the service's), when
    the window's end comes before ``hold.by`` — finds it in their batch at the window's end.
    Returns whom the chat reaches (told now or held)."""
    people = list(people)
    addresses = await staff_addresses(session, people)
    reached = [p for p in people if p.id in addresses]
    for person in reached:
        if hold is not None:
            own = hold.policy.own(person)
            due = own.due(hold.now)
            if own.quiet_now(hold.now) and (hold.by is None or due < hold.by):
                await arm(session, person.id, hold.item, due)
                continue
        out.send(addresses[person.id], notice)
    return reached


def policy_payload(policy: Policy | None) -> dict[str, str]:
    """The service's quiet hours and zone, for a timer that sends a notice when it fires (its
    handler has no settings at hand): :func:`policy_of` reads them back."""
    if policy is None:
        return {}
    q = policy.quiet
    window = f"{q.start:%H:%M}-{q.end:%H:%M}" if q is not None else "off"
    return {"quiet_hours": window, "tz": policy.tz.key}


def policy_of(payload: dict[str, Any]) -> Policy | None:
    """The policy a timer's payload carries (None: written before it did, or unreadable:
    the notice goes at once, as it used to)."""
    try:
        quiet = QuietHours.parse(str(payload["quiet_hours"]))
        return Policy(quiet, ZoneInfo(str(payload["tz"])), away=timedelta(0))
    except (KeyError, ValueError):
        return None
