"""The agreements' session fixtures (one render pool, one seal key) for these tests too."""

from tests.agreements.conftest import render_pool, seal, statutes

__all__ = ["render_pool", "seal", "statutes"]
