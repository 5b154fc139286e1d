"""The conversation engine on a given database, without channels or start-up: for tests that
drive turns one by one and read what people were sent from the outbox (the negotiation and the
lawyers' worlds), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from app.runtime import Runtime, assemble_runtime
from core.clock import FakeClock
from core.config import Settings
from services.units import load_units
from storage.db import Database


class Engine:
    """The runtime the composition root assembles around ``db``, on a fake clock the driver
    moves; timers fire when the driver calls ``timers.run_due()``."""

    def __init__(self, db: Database, settings: Settings, clock: FakeClock) -> None:
        self.runtime: Runtime = assemble_runtime(
            settings, db, load_units(settings.units_file), clock
        )
        if self.runtime.timers is None:
            raise RuntimeError("the assembled runtime has no timer service")
        self.db = db
        self.settings = settings
        self.units = self.runtime.units
        self.clock = clock
        self.service = self.runtime.conversation
        self.timers = self.runtime.timers
