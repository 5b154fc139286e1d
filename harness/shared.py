"""What a process starting many services can share between them instead of making again for
each start: one render pool (``SharedRenderPool``) and seal keys made once
(``SealKeyTemplate``). The test suite sets both as :data:`harness.service.defaults`
(tests/conftest.py); a service given nothing starts as in production.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from documents.pool import RenderPool
from documents.seal import CERT_FILE, KEY_FILE, Sealer


class SharedRenderPool:
    """One two-worker render pool for every service that is given none, spawned on first use.

    A service's own pool spawns two processes that import WeasyPrint and lay out a warm-up page
    (~3 s on the CI machine, and as much CPU taken from the test running beside it), and closing
    it costs ~0.7 s. The pool holds no event-loop state, so services started on different loops
    (one per test) can all use it; it is closed once, by :meth:`close`.
    """

    def __init__(self, make: Callable[[], RenderPool]) -> None:
        self._make = make
        self._pool: RenderPool | None = None
        self._lock = threading.Lock()

    def pool(self) -> RenderPool:
        """The pool, made by ``make`` on first use (its workers spawn when first used)."""
        with self._lock:
            if self._pool is None:
                self._pool = self._make()
            return self._pool

    async def started(self) -> RenderPool:
        """The pool with every worker running (spawned on the first call, pinged after)."""
        pool = self.pool()
        await pool.start()
        return pool

    async def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()


class SealKeyTemplate:
    """A seal key and certificate made once per organisation, copied into a service's
    ``DATA_DIR/keys`` before its first start (RSA-3072 generation: 0.2–3 s each time, 0.6 s
    on average on the CI machine). The service then loads them as it loads the pair it made
    on an earlier start; files already there are left alone."""

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._made: dict[str, Path] = {}
        self._lock = threading.Lock()

    def place(self, key_dir: Path, organisation: str) -> None:
        if (key_dir / KEY_FILE).exists() or (key_dir / CERT_FILE).exists():
            return
        with self._lock:
            source = self._made.get(organisation)
            if source is None:
                if self._dir is None:
                    self._dir = Path(tempfile.mkdtemp(prefix="seal-keys-"))
                source = self._dir / str(len(self._made))
                Sealer.from_directory(source, organisation=organisation)
                self._made[organisation] = source
        key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name in (CERT_FILE, KEY_FILE):
            shutil.copy2(source / name, key_dir / name)  # the key's mode (0600) with it

    def close(self) -> None:
        with self._lock:
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
            self._dir, self._made = None, {}
