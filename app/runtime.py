"""The typed runtime: everything a running service holds, built once by :func:`build_runtime`.

Features reach each other through :class:`~services.shared.SharedServices` (typed attributes,
filled by their start hooks), never through string keys. The runtime is a
:class:`~services.shared.FeatureHost` for those hooks; channels (the Telegram bot, the browser
chat) hang off it as :class:`Sender` objects, so use cases never see them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from app import features as feature_list
from core.clock import Clock, SystemClock
from core.config import Settings
from core.startup import prepare
from mediation.units import UnitDirectory
from services import features
from services.conversation import ConversationService
from services.outbox import QueuedMessage
from services.reminders import register_all
from services.shared import SharedServices
from services.timers import TimerService
from services.units import load_units, sync_units
from storage.db import Database
from storage.files import FileStore, store_from_settings

if TYPE_CHECKING:
    from app.features import WebSetup
    from bot.app import TelegramBot
    from core.memprobe import MemoryProbe
    from features.console.web.pages import ConsolePages

log = logging.getLogger(__name__)

__all__ = [
    "Runtime",
    "Sender",
    "assemble_runtime",
    "build_runtime",
    "prepare",
    "start_runtime",
    "stop_runtime",
]


class Sender(Protocol):
    """A channel's outgoing side: told of messages queued outside a turn (timers, the console,
    web routes) so it sends them now rather than at its next poll."""

    def submit(self, messages: list[QueuedMessage]) -> None: ...


@dataclass
class Runtime:
    """Everything a running service holds; built by :func:`build_runtime`."""

    settings: Settings
    db: Database
    units: UnitDirectory
    clock: Clock
    conversation: ConversationService
    #: Where files live (``FILE_STORE``): evidence, voice, documents, signatures.
    files: FileStore
    timers: TimerService | None = None
    telegram: TelegramBot | None = None  # when a token is configured
    probe: MemoryProbe | None = None  # MEMORY_PROBE_FILE (diagnostic)
    #: Each channel's sender (the Telegram outbox sender, the browser chat's mailbox).
    senders: list[Sender] = field(default_factory=list)
    #: Each feature's web part, in registration order (``app.features``); ``web.app`` mounts them.
    web_setups: tuple[WebSetup, ...] = ()
    #: What features add to the staff console (``app.features``); the console mounts them.
    console_pages: tuple[ConsolePages, ...] = ()

    @property
    def shared(self) -> SharedServices:
        """Feature services built at start-up; the same object every conversation turn sees."""
        return self.conversation.shared

    def deliver(self, messages: list[QueuedMessage]) -> None:
        """Hand queued messages to the sender of their channel (timers, console actions)."""
        if messages:
            for sender in self.senders:
                sender.submit(messages)


async def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    prepare(settings)
    db = Database(settings.database_url)
    units = load_units(settings.units_file)
    async with db.write() as session:
        await sync_units(session, units)
    runtime = assemble_runtime(settings, db, units, clock or SystemClock())
    log.info("files: %r", runtime.files)
    if settings.telegram_bot_token:
        from bot.app import TelegramBot

        runtime.telegram = TelegramBot(settings, db, runtime.conversation, runtime.files)
        runtime.senders.append(runtime.telegram.sender)
    return runtime


def assemble_runtime(
    settings: Settings, db: Database, units: UnitDirectory, clock: Clock
) -> Runtime:
    """The conversation engine and its timers around a given database, with no channel and no
    side effect on start-up state (keys, units): what :func:`build_runtime` builds on, and what
    a test that drives the engine turn by turn on its own database uses."""
    registered = feature_list.load()
    conversation = ConversationService(db, settings, units, clock)
    # The routing table is built now: two owners claiming one command or button stop the
    # service here (services.routing.RouteConflict), not at some user's first press.
    conversation.routes  # noqa: B018
    runtime = Runtime(settings, db, units, clock, conversation, store_from_settings(settings))
    runtime.web_setups = tuple(registered.web_setups)
    runtime.console_pages = tuple(registered.console_pages)
    runtime.timers = TimerService(db, clock, notify=runtime.deliver)
    register_all(runtime.timers, settings)
    for kind, handler in features.TIMERS.items():
        runtime.timers.register(kind, handler)
    return runtime


def memory_gauges(runtime: Runtime) -> dict[str, Callable[[], int]]:
    """Sizes of the per-chat and cache structures the memory probe reports (see
    core/memprobe.py): each must level off under a fixed population of chats."""
    gauges: dict[str, Callable[[], int]] = {}
    for name, engine in (("write", runtime.db.write_engine), ("read", runtime.db.read_engine)):
        cache = engine.sync_engine._compiled_cache
        if cache is not None:
            gauges[f"sqla_compiled_cache_{name}"] = cache.__len__
    if runtime.telegram is not None:
        gauges |= runtime.telegram.memory_gauges()
    return gauges


async def start_runtime(runtime: Runtime, *, timers: bool = True) -> None:
    for hook in features.ON_START:
        await hook(runtime)
    if runtime.telegram is not None:
        if runtime.shared.voice is not None:
            runtime.shared.voice.register_fetcher("telegram", runtime.telegram.fetch_file)
        await runtime.telegram.start()
    if timers and runtime.timers is not None:
        await runtime.timers.start()
    settings = runtime.settings
    if settings.memory_probe_file is not None:
        from core.memprobe import MemoryProbe

        runtime.probe = MemoryProbe(
            settings.memory_probe_file,
            every=settings.memory_probe_every,
            frames=settings.memory_probe_frames,
            gauges=memory_gauges(runtime),
        )
        await runtime.probe.start()


async def stop_runtime(runtime: Runtime) -> None:
    if runtime.probe is not None:
        await runtime.probe.stop()
    if runtime.timers is not None:
        await runtime.timers.stop()
    if runtime.telegram is not None:
        await runtime.telegram.stop()
    for hook in reversed(features.ON_STOP):
        await hook(runtime)
    await runtime.files.close()
    await runtime.db.dispose()
