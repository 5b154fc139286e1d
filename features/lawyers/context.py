"""What the lawyers feature needs from the running service, built once at start-up.

Why: feature handlers get a :class:`~services.turn.Turn` (one event's session and settings),
but the assistant also needs the process-wide knowledge base, the LLM settings and a way to
deliver messages produced after the turn (the LLM's phrasing arrives seconds later). The
feature's start hook (``features.lawyers.handlers``) builds a :class:`LawyerContext` and puts it
in ``shared.lawyers``; handlers find it as ``turn.shared.lawyers``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from features.lawyers.settings import LawyerSettings
from legal_kb.service import KnowledgeBase
from services.chat_state import Slot, id_slot, record_slot, texts_slot
from services.outbox import QueuedMessage
from services.shared import SharedServices
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class LawyerContext:
    db: Database
    kb: KnowledgeBase | None
    settings: LawyerSettings
    tz: ZoneInfo
    deliver: Callable[[list[QueuedMessage]], None] | None = None
    owns_kb: bool = False
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    warm_up: asyncio.Task[None] | None = None

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the background, logging (not losing) its failure."""
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("lawyers background task failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for background work to finish (tests; a graceful stop)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def close(self, grace: float = 5.0) -> None:
        """Let background work (an LLM phrasing) finish for ``grace`` seconds, then cancel.

        A phrasing finished after the sender stopped stays in the outbox and is sent on the
        next start; one cancelled is simply not sent (the person has the KB answer)."""
        if self.warm_up is not None:
            self.warm_up.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.warm_up
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=grace)
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.owns_kb and self.kb is not None:
            await self.kb.close()


@dataclass(frozen=True)
class AskNext:
    """The next text is a question for the assistant about ``case`` (/ask with no text)."""

    case: int


#: A party who pressed "ask" in a case: their next text is the question.
ASK_NEXT: Slot[AskNext] = record_slot("ask_next", AskNext)
#: A person without a case in a consultation with a volunteer lawyer.
CONSULT = id_slot("consult")
#: A lawyer answering a consultation.
CONSULT_WITH = id_slot("consult_with")
#: The citations the last /law showed, so a card can be posted into the room.
LAW_CARDS = texts_slot("law_cards")


def context_of(shared: SharedServices) -> LawyerContext | None:
    return shared.lawyers
