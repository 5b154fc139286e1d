"""Asynchronous PDF rendering on a spawn-based process pool.

The event loop only looks up quoted statutes and runs the citation checker; building the HTML
(:class:`~documents.render.DocumentRenderer`, ~5-10 ms of CPU) runs in a thread and layout in
worker processes via ``loop.run_in_executor``. Workers are
started with ``spawn`` (not ``fork``): forking a process that already runs an event loop, threads and
open database connections copies their state mid-flight.

A worker that dies (out of memory, a crash in Pango) breaks a ``ProcessPoolExecutor`` for good;
the pool then replaces the executor and retries the request once. A layout that runs longer
than ``timeout`` once a worker has taken it (WeasyPrint has stalled on odd input before) kills
the pool's workers — processes this pool started — and replaces them.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from documents import worker
from documents.citations import CitationChecker, StatuteSource
from documents.registry import get_spec
from documents.render import DocumentRenderer, PreparedDocument

__all__ = ["RenderPool", "RenderTimeoutError"]

log = logging.getLogger(__name__)

#: How often a pending render is checked against the timeout.
_POLL_SECONDS = 0.25


class RenderTimeoutError(TimeoutError):
    """Layout took longer than the pool's timeout; the workers were restarted."""


class RenderPool:
    """``await pool.render(key, context)`` → PDF bytes, laid out in ``workers`` processes."""

    def __init__(
        self,
        workers: int = 2,
        *,
        statutes: StatuteSource,
        checker: CitationChecker | None = None,
        timeout: float = 60.0,
        max_tasks_per_child: int | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.timeout = timeout
        self._max_tasks = max_tasks_per_child
        self.renderer = DocumentRenderer(statutes, checker)
        self._executor: ProcessPoolExecutor | None = self._new_executor()
        self._closed = False

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker.init_worker,
            initargs=(os.getpid(),),
            max_tasks_per_child=self._max_tasks,
        )

    def _live_executor(self) -> ProcessPoolExecutor:
        if self._closed or self._executor is None:
            raise RuntimeError("RenderPool is closed")
        return self._executor

    async def start(self) -> None:
        """Spawn and warm every worker now rather than on the first requests."""
        loop = asyncio.get_running_loop()
        executor = self._live_executor()
        await asyncio.gather(
            *(loop.run_in_executor(executor, worker.ping) for _ in range(self.workers))
        )

    def prepare(
        self, key: str, context: Mapping[str, Any], lang: str = "zh-CN"
    ) -> PreparedDocument:
        """Checked HTML for ``key`` (raises the same errors :meth:`render` would)."""
        return self.renderer.prepare(key, context, lang)

    async def render(self, key: str, context: Mapping[str, Any], lang: str = "zh-CN") -> bytes:
        """Render document ``key`` with ``context`` to PDF bytes.

        Raises a :class:`~documents.errors.DocumentError` (missing field, unverifiable
        citation, bad image…) before any layout, or :class:`RenderTimeoutError`.
        """
        renderer = self.renderer
        statutes = renderer.quoted_texts(get_spec(key))
        # Cleaning, QR and Jinja take ~5-10 ms of CPU: keep them off the event loop.
        built = await asyncio.to_thread(renderer.build, key, context, lang, statutes)
        return await self.render_prepared(renderer.check(built))

    async def render_prepared(self, prepared: PreparedDocument) -> bytes:
        """Lay out an already prepared document."""
        for attempt in (1, 2):
            executor = self._live_executor()
            try:
                # submit() itself raises BrokenProcessPool once a worker has died.
                future = executor.submit(worker.render_pdf, prepared.html, prepared.stylesheets)
                return await self._wait(future)
            except BrokenProcessPool:
                if attempt == 2:
                    raise
                log.warning("render worker died; restarting the pool and retrying %s", prepared.key)
                self._replace_executor(executor)
            except TimeoutError as exc:
                log.error(
                    "layout of %s exceeded %.0f s; restarting workers", prepared.key, self.timeout
                )
                self._replace_executor(executor, kill=True)
                raise RenderTimeoutError(
                    f"{prepared.key}: layout exceeded {self.timeout} s"
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def _wait(self, future: Future[bytes]) -> bytes:
        """Await ``future``; the timeout clock starts when the executor hands it to a worker.

        Time spent queued behind other renders does not count: under a burst of requests a
        plain ``wait_for`` would declare healthy, busy workers stalled and kill them.
        """
        loop = asyncio.get_running_loop()
        waiter = asyncio.wrap_future(future)
        started: float | None = None
        while True:
            done, _ = await asyncio.wait({waiter}, timeout=min(_POLL_SECONDS, self.timeout))
            if done:
                return waiter.result()
            if started is None:
                started = loop.time() if future.running() else None
            elif loop.time() - started > self.timeout:
                raise TimeoutError

    async def call(self, function: Any, *args: Any) -> Any:
        """Run a module-level function of :mod:`documents.worker` in a worker (benchmarks)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._live_executor(), function, *args)

    def _replace_executor(self, broken: ProcessPoolExecutor, *, kill: bool = False) -> None:
        if self._executor is not broken:
            return  # another request already replaced it
        if kill:
            # Only the processes this executor started; a stalled layout never returns.
            for process in list(getattr(broken, "_processes", {}).values()):
                process.kill()
        broken.shutdown(wait=False, cancel_futures=True)
        self._executor = None if self._closed else self._new_executor()

    async def close(self) -> None:
        """Stop the workers (waits for running renders to finish)."""
        self._closed = True
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)

    async def __aenter__(self) -> RenderPool:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
