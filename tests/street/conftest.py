"""The agreements' session-wide render pool and seal key, for the group's written agreement."""

from tests.agreements.conftest import render_pool, seal, statutes  # noqa: F401  (fixtures)
