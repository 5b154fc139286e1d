"""The render pool recovers from a dead worker and from a stalled layout."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from documents.pool import RenderPool, RenderTimeoutError
from documents.registry import load_sample
from documents.worker import worker_rss_kb
from legal_kb.statutes import LawsDbStatutes

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
        # Queued renders do not count against the timeout: renders queued on one worker all
        # finish although together they take about twice the limit. The limit leaves one
        # render five times its measured time (at least 3 s), so a loaded machine slowing
        # every render alike does not fail it.
        started = time.perf_counter()
        await pool.render("receipt", load_sample("receipt"))
        one = time.perf_counter() - started
        pool.timeout = max(3.0, 5 * one)
        count = int(2 * pool.timeout / one) + 1
        pdfs = await asyncio.gather(
            *(pool.render("receipt", load_sample("receipt")) for _ in range(count))
        )
        assert all(pdf.startswith(b"%PDF") for pdf in pdfs)
    finally:
        await pool.close()
    with pytest.raises(RuntimeError):
        await pool.render("receipt", load_sample("receipt"))
