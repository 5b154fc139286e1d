"""Transcription in a spawn-based process pool: never on the event loop.

Whisper inference is CPU-bound and holds the GIL in places; a thread would stall the bot. Each
worker process builds its backend once (loading the model takes seconds) and keeps it. With
``ASR_WORKERS=1`` (the default) voice messages are transcribed one at a time, which on a
two-core machine leaves a core for the rest of the service.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from speech.backends import Backend, BackendSpec, Transcript, TranscriptionUnavailable, build

_backend: Backend | None = None
_problem: str | None = None


def _init(spec: BackendSpec, parent_pid: int | None = None) -> None:
    global _backend, _problem
    if parent_pid is not None:
        from core.lifeline import die_with_parent

        die_with_parent(parent_pid)
    try:
        _backend = build(spec)
    except TranscriptionUnavailable as exc:
        _problem = str(exc)


def _transcribe(path: str, language: str | None) -> Transcript:
    if _backend is None:
        raise TranscriptionUnavailable(_problem or "speech backend not loaded")
    return _backend.transcribe(Path(path), language)


class SpeechWorker:
    """A pool of ``workers`` processes, started lazily on the first request."""

    def __init__(self, spec: BackendSpec, workers: int = 1) -> None:
        self.spec = spec
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None

    @property
    def available(self) -> bool:
        return self.spec.available

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init,
                initargs=(self.spec, os.getpid()),
            )
        return self._pool

    async def transcribe(self, path: Path, language: str | None) -> Transcript:
        problem = self.spec.problem
        if problem is not None:
            raise TranscriptionUnavailable(problem)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), _transcribe, str(path), language)
        except BrokenProcessPool:
            # A worker died (out of memory, killed): start a fresh pool for the next message.
            self.close()
            raise

    def close(self) -> None:
        """Stop now: a transcription in progress is abandoned (its transcript stays pending
        in the database and is done again at the next start)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(5)
