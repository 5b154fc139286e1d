"""The street feature's durable timer: a task's deadline (see ``features.street.tasks``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from features.street import alerts, tasks
from services import features
from services.outbox import QueuedMessage
from services.shared import FeatureHost
from storage.models import Timer


@features.timer(tasks.TIMER_KIND)
async def task_due(session: AsyncSession, timer: Timer, now: datetime) -> list[QueuedMessage]:
    return await alerts.on_due(session, timer, now)


@features.on_start
async def check_configuration(host: FeatureHost) -> None:
    """Posts, departments and dispatch rules are read and checked at start: a mistake in the
    units file stops the service with a message naming it, not a grid worker's first report."""
    from features.street.config import street_directory

    street_directory(host.settings.units_file, host.units)
