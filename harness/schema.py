"""A database migrated once and copied: what the test suite gives each service it starts on a
new SQLite file instead of running every migration again.

Alembic's upgrade from nothing costs ~4 s on SQLite (batch mode copies a table for each altered
column, reflecting it first) and ~0.03 s on a database already at the newest revision. The
migrations hold no data (schema only), so a copy of a file migrated to the newest revision is
byte for byte what the migrations would have made; the real upgrade still runs on the copy, as
it runs at every start of ``main.py serve``, and finds nothing to do.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from harness.service import alembic_upgrade


class SchemaTemplate:
    """A SQLite file migrated to the newest revision on first use, copied to every new SQLite
    database :meth:`upgrade` is given (an existing file, another revision or PostgreSQL: the
    plain upgrade)."""

    def __init__(self, upgrade: Callable[[str], None] = alembic_upgrade) -> None:
        self._upgrade = upgrade
        self._lock = threading.Lock()  # services starting together upgrade on two threads
        self._file: Path | None = None

    def template(self) -> Path:
        """The migrated file, made on first use (in a directory removed by :meth:`close`)."""
        with self._lock:
            if self._file is None:
                path = Path(tempfile.mkdtemp(prefix="schema-template-")) / "head.db"
                self._upgrade(f"sqlite+aiosqlite:///{path}")
                # Alembic's engine uses SQLite's default rollback journal: the file is whole.
                assert not path.with_name(path.name + "-wal").exists(), path
                self._file = path
            return self._file

    def upgrade(self, url: str) -> None:
        """``url`` at the newest revision: a new SQLite file starts as a copy of the template."""
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            path = Path(parsed.database)
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.template(), path)
                path.chmod(0o600)  # as storage.db.ensure_sqlite_dir makes a new file
        self._upgrade(url)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                shutil.rmtree(self._file.parent, ignore_errors=True)
                self._file = None
