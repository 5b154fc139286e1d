"""PDF verification off the event loop: a worker process with a time and an object budget.

Why: ``/verify`` is public (anyone holding a paper copy has a link) and pyHanko parses the
whole upload: an 8.5 MB PDF with 100,000 ``/FT /Sig`` fields took 15 s on the event loop, and
``/healthz``, the webhook, the console and the chat all waited (issue 21). Now:

- :func:`budget_problem` refuses, before any parsing, a file that declares more objects than a
  sealed agreement ever has (indirect objects, plus those packed in object streams) or more
  signature fields than a document of ours carries — byte counts in C, a few milliseconds;
- the check runs in a spawned worker process (:class:`VerifyPool`), at most ``workers`` at a
  time with a short queue (a full queue is :class:`VerifyBusy`: the page says "try again");
- inside the worker a timer stops a check after ``budget`` seconds of its CPU time (``TOO_COMPLEX``), and the
  parent kills and replaces a worker that does not answer within the budget plus a grace.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import re
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import FrameType

from documents.verify import VerifyResult, VerifyStatus, verify

#: A sealed two-page agreement has a few hundred objects and one signature field.
MAX_OBJECTS = 10_000
MAX_SIG_MARKERS = 64  # ``/Sig`` as written: three or four per signature field
#: Seconds one check may take in the worker (a genuine copy takes well under one).
BUDGET = 10.0
GRACE = 5.0
#: Checks that may wait for the worker; more at once are refused (503, try again).
MAX_WAITING = 4

_OBJSTM_N = re.compile(rb"/N\s+(\d{1,12})")


class VerifyBusy(Exception):
    """Every worker is busy and the queue is full: try again shortly."""


def budget_problem(pdf: bytes) -> str | None:
    """Why ``pdf`` is too complex to check, or None: byte counts only (C speed, a few ms for a
    5 MB file; a regular expression over every digit held the event loop for 150 ms).

    Objects: each indirect object has an ``obj`` keyword and usually an ``endobj``; stray
    ``endobj`` strings cannot lower ``max(obj - endobj, endobj)`` below the true count.
    Objects packed in object streams are counted by their ``/N``. ``/Sig`` is counted as
    written (``/FT /Sig``, ``/Type /Sig``, ``/SigFlags``): an upper bound of the fields.
    """
    ends = pdf.count(b"endobj")
    objects = max(pdf.count(b"obj") - ends, ends)
    if b"/ObjStm" in pdf:
        objects += sum(int(n) for n in _OBJSTM_N.findall(pdf))
    if objects > MAX_OBJECTS:
        return f"{objects} objects"
    fields = pdf.count(b"/Sig")
    if fields > MAX_SIG_MARKERS:
        return f"{fields} signature fields"
    return None


class _Expired(BaseException):
    """Raised by the timer; a BaseException so the parser's ``except Exception`` lets it by."""


def _expire(signum: int, frame: FrameType | None) -> None:
    raise _Expired()


def _init(parent_pid: int) -> None:
    from core.lifeline import die_with_parent

    die_with_parent(parent_pid)
    signal.signal(signal.SIGPROF, _expire)
    import logging

    import pyhanko.pdf_utils.reader  # noqa: F401  (imported once, not per check)

    # pyHanko logs a traceback per malformed signature field: a hostile file with thousands
    # would flood the log from here.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)


def _ready() -> bool:
    return True


def _check(pdf: bytes, trusted: list[bytes], budget: float) -> VerifyResult:
    """In the worker: :func:`documents.verify.verify` under a timer of the worker's own CPU time
    (``ITIMER_PROF``), so a check is judged by the work the file costs, not by how busy the host
    is (a wall-clock timer refused ordinary files on a loaded machine). The parent's wall-clock
    wait (budget plus ``GRACE``) still ends a worker that stops answering."""
    import hashlib

    signal.setitimer(signal.ITIMER_PROF, budget)
    try:
        return verify(pdf, trusted=trusted)
    except _Expired:
        digest = hashlib.sha256(pdf).hexdigest()
        return VerifyResult(VerifyStatus.TOO_COMPLEX, digest, detail="time budget exceeded")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


class VerifyPool:
    """``await pool.verify(pdf, trusted=…)``: the check in a worker process, budgeted."""

    def __init__(
        self, workers: int = 1, *, budget: float = BUDGET, max_waiting: int = MAX_WAITING
    ) -> None:
        self.workers = workers
        self.budget = budget
        self.max_waiting = max_waiting
        self._executor: ProcessPoolExecutor | None = None
        self._slots = asyncio.Semaphore(workers)
        self._starting = asyncio.Lock()
        self._waiting = 0

    async def _live(self) -> ProcessPoolExecutor:
        async with self._starting:
            return self._executor or await self._start()

    async def _start(self) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(os.getpid(),),
        )
        # The first submit starts the processes, synchronously: do it (and wait for the
        # workers to be ready) on a thread, not on the event loop.
        await asyncio.to_thread(lambda: executor.submit(_ready).result())
        self._executor = executor
        return executor

    def _kill(self) -> None:
        """End the workers (one stuck past its budget) and start afresh on the next check."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        # The executor cannot cancel a running call: end its processes, then let it go.
        for process in list(getattr(executor, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    async def verify(self, pdf: bytes, *, trusted: Sequence[bytes]) -> VerifyResult:
        import hashlib

        problem = budget_problem(pdf)
        if problem is not None:
            digest = hashlib.sha256(pdf).hexdigest()
            return VerifyResult(VerifyStatus.TOO_COMPLEX, digest, detail=problem)
        if self._waiting >= self.max_waiting:
            raise VerifyBusy()
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        try:
            loop = asyncio.get_running_loop()
            executor = await self._live()
            future = loop.run_in_executor(executor, _check, pdf, list(trusted), self.budget)
            try:
                return await asyncio.wait_for(future, self.budget + GRACE)
            except (TimeoutError, BrokenProcessPool):
                self._kill()
                digest = hashlib.sha256(pdf).hexdigest()
                return VerifyResult(
                    VerifyStatus.TOO_COMPLEX, digest, detail="worker did not answer"
                )
        finally:
            self._slots.release()

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
