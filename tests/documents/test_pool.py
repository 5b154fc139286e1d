"""The render pool recovers from a dead worker and from a stalled layout."""

from __future__ import annotations

import asyncio
import os

import pytest

from documents.pool import RenderPool, RenderTimeoutError
from documents.registry import load_sample
from documents.worker import worker_rss_kb
from features.agreements.statutes import LawsDbStatutes

pytestmark = pytest.mark.pdf


async def test_dead_worker_and_timeout_recovery(statutes: LawsDbStatutes) -> None:
    pool = RenderPool(1, statutes=statutes, timeout=0.01)
    try:
        # The first render also spawns and warms the worker: far over 10 ms.
        with pytest.raises(RenderTimeoutError):
            await pool.render("receipt", load_sample("receipt"))
        pool.timeout = 60
        pid, rss = await pool.call(worker_rss_kb)
        assert rss > 0
        with pytest.raises(Exception):  # noqa: B017 - BrokenProcessPool on the killing call
            await pool.call(os._exit, 1)
        pdf = await pool.render("receipt", load_sample("receipt"))
        assert pdf.startswith(b"%PDF")
        new_pid, _ = await pool.call(worker_rss_kb)
        assert new_pid != pid
        # Queued renders do not count against the timeout: 50 renders of ~0.1 s each on one
        # worker all finish although together they take longer than the 3 s limit (which
        # leaves one render room on a loaded machine).
        pool.timeout = 3.0
        pdfs = await asyncio.gather(
            *(pool.render("receipt", load_sample("receipt")) for _ in range(50))
        )
        assert all(pdf.startswith(b"%PDF") for pdf in pdfs)
    finally:
        await pool.close()
    with pytest.raises(RuntimeError):
        await pool.render("receipt", load_sample("receipt"))
