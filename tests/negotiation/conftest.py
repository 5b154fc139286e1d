"""Fixtures of the negotiation tests: a mediating room in SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import Database
from tests.negotiation.world import World


@pytest.fixture
async def world(db: Database, tmp_path: Path) -> World:
    w = World(db, tmp_path)
    await w.room()
    return w
