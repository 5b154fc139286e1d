"""A database migrated once and copied: what the test suite gives each service it starts on a
new SQLite file or an emptied PostgreSQL database instead of running every migration again.

Alembic's upgrade from nothing costs ~4 s on SQLite (batch mode copies a table for each altered
column, reflecting it first), 0.5–0.8 s on PostgreSQL (where a copy of a template database
costs ~0.15 s), and ~0.03 s on a database already at the newest revision. The
migrations hold no data (schema only), so a copy of a file migrated to the newest revision is
byte for byte what the migrations would have made; the real upgrade still runs on the copy, as
it runs at every start of ``main.py serve``, and finds nothing to do.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from harness.service import alembic_upgrade


class SchemaTemplate:
    """A SQLite file migrated to the newest revision on first use, copied to every new SQLite
    database :meth:`upgrade` is given; likewise a PostgreSQL database ``<name>_template``,
    migrated on first use, from which an empty database ``<name>`` is made again (dropped and
    created with ``TEMPLATE``). An existing file or a database with tables: the plain upgrade.
    """

    def __init__(self, upgrade: Callable[[str], None] = alembic_upgrade) -> None:
        self._upgrade = upgrade
        self._lock = threading.Lock()  # services starting together upgrade on two threads
        self._file: Path | None = None
        self._pg_templates: set[str] = set()
        self._pg_lock = threading.Lock()  # one check-and-copy at a time

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
        elif parsed.get_backend_name() == "postgresql" and parsed.database:
            with self._pg_lock:
                asyncio.run(self._postgres_from_template(url))
        self._upgrade(url)

    async def _postgres_from_template(self, url: str) -> None:
        """``url``'s database made again from its migrated template when it has no table."""
        import asyncpg

        parsed = make_url(url).set(drivername="postgresql")
        name = parsed.database
        assert name is not None
        target = await asyncpg.connect(parsed.render_as_string(hide_password=False))
        try:
            tables = await target.fetchval(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            )
        finally:
            await target.close()
        if tables:
            return
        template = f"{name}_template"
        fresh = template not in self._pg_templates
        server = parsed.set(database="postgres").render_as_string(hide_password=False)
        conn = await asyncpg.connect(server)
        try:
            if fresh:  # left by an earlier run, perhaps at an older revision: made again
                await conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
                await conn.execute(f'CREATE DATABASE "{template}"')
                migrated = make_url(url).set(database=template)
                await asyncio.to_thread(
                    self._upgrade, migrated.render_as_string(hide_password=False)
                )
                self._pg_templates.add(template)
            # Nothing else may be connected to a database dropped or copied from.
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await conn.close()

    def close(self) -> None:
        """The SQLite template removed (PostgreSQL's templates stay for the next run, which
        makes them again)."""
        with self._lock:
            if self._file is not None:
                shutil.rmtree(self._file.parent, ignore_errors=True)
                self._file = None
