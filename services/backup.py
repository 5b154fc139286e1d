"""``main.py backup`` and ``main.py restore``: one archive holding the database and the files.

Why one archive with a manifest: a restore must be all-or-nothing and checkable before anything
is overwritten. The ``.tar.gz`` holds ``manifest.json`` (format, time, dialect, Alembic
revision, SHA-256 of every member), the database and the files under ``DATA_DIR`` that cannot be
rebuilt (sealed documents, the seal's keys, the generated secrets). The knowledge base's index
cache (``DATA_DIR/kb``) is left out: ``main.py kb import`` rebuilds it.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
  while the service keeps running; WAL readers and writers are not stopped.
- PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot too) and ``pg_restore``; the
  client's major version must not be older than the server's (``pg_dump`` refuses otherwise).

Restore refuses a non-empty target (a database with tables, or files that would be replaced
with different content) unless ``force`` is given, verifies every checksum before touching the
target, and refuses an archive whose schema revision this code does not know (a newer release).
The service must be stopped while restoring.

Files kept in a separate file store (``FILES_DIR``, or a bucket with ``FILE_STORE=s3``): see
:mod:`services.backup_files` — a directory is copied as ``objects/…``; a bucket is listed in the
manifest and copied only when asked (``--with-objects``).
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from core.crypto import file_sha256
from services import backup_files

if TYPE_CHECKING:
    from storage.files import FileStore

FORMAT = "mediation-backup/1"
#: Directories under DATA_DIR that are caches (rebuilt by a command) or earlier backups.
SKIP_DIRS = frozenset({"kb", "backups"})
SQLITE_MEMBER = "database/mediation.sqlite"
PG_MEMBER = "database/mediation.pgdump"
Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass
class Manifest:
    created_at: str
    dialect: str
    revision: str | None
    database: str
    files: dict[str, str] = field(default_factory=dict)  # member name → SHA-256
    format: str = FORMAT
    #: The file store when it is not DATA_DIR ("" otherwise), and every object it held:
    #: key → size. Copied ones are also members ``objects/<key>``.
    store: str = ""
    objects: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError("not a backup made by main.py backup (unknown manifest format)")
        return cls(
            created_at=str(data["created_at"]),
            dialect=str(data["dialect"]),
            revision=data.get("revision"),
            database=str(data["database"]),
            files={str(k): str(v) for k, v in dict(data["files"]).items()},
            store=str(data.get("store") or ""),
            objects={str(k): int(v) for k, v in dict(data.get("objects") or {}).items()},
        )


# ---------------------------------------------------------------------- helpers


def sqlite_path(url: str) -> Path:
    tail = url.split(":///", 1)[1] if ":///" in url else ""
    if not tail or tail.startswith(":memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(tail.split("?", 1)[0])


def libpq_url(url: str) -> str:
    """``postgresql+asyncpg://…`` → ``postgresql://…`` for pg_dump/pg_restore (no query)."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


def data_files(data_dir: Path, database_url: str) -> Iterator[Path]:
    """Files under DATA_DIR worth keeping: everything but caches, backups and the live DB."""
    skip: set[Path] = set()
    if database_url.startswith("sqlite"):
        db = sqlite_path(database_url).resolve()
        skip = {db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))}
    if not data_dir.is_dir():
        return
    for path in sorted(data_dir.rglob("*")):
        relative = path.relative_to(data_dir)
        if relative.parts[0] in SKIP_DIRS or not path.is_file() or path.is_symlink():
            continue
        if path.resolve() in skip or path.name.endswith(".tmp"):
            continue
        yield path


def schema_revision(database_url: str) -> str | None:
    """The Alembic revision stamped in the database (None for a schema made by create_all)."""
    if database_url.startswith("sqlite"):
        path = sqlite_path(database_url)
        if not path.exists():
            return None
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            try:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            except sqlite3.OperationalError:
                return None
        return str(row[0]) if row else None
    out = psql_value(database_url, "SELECT version_num FROM alembic_version", check=False)
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from storage.migrate import MIGRATIONS, alembic_config

    config = alembic_config("sqlite://")
    config.set_main_option("script_location", str(MIGRATIONS))
    return {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}


def run_tool(args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(args, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(
            f"{args[0]} is not installed (Debian: apt-get install postgresql-client)"
        ) from exc
    if check and result.returncode != 0:
        raise BackupError(f"{args[0]} failed: {result.stderr.strip()[:2000]}")
    return result


def psql_value(
    database_url: str, sql: str, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """One value of one query by ``psql`` (unaligned, tuples only, no ~/.psqlrc)."""
    return run_tool(
        ["psql", "-X", "-q", "-t", "-A", "-d", libpq_url(database_url), "-c", sql], check=check
    )


# ---------------------------------------------------------------------- backup


def backup(
    data_dir: Path,
    database_url: str,
    out: Path | None = None,
    progress: Progress = print,
    *,
    files: FileStore | None = None,
    with_objects: bool = False,
) -> Path:
    """Write the archive and return its path (default ``DATA_DIR/backups/backup-<time>.tar.gz``).

    ``files``: the file store, when it may live outside DATA_DIR (see services.backup_files).
    """
    now = datetime.now(UTC)
    if out is None:
        out = data_dir / "backups" / f"backup-{now:%Y%m%dT%H%M%SZ}.tar.gz"
    out.parent.mkdir(parents=True, exist_ok=True)
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with tempfile.TemporaryDirectory(prefix="mediation-backup-") as tmp:
        work = Path(tmp)
        member = SQLITE_MEMBER if dialect == "sqlite" else PG_MEMBER
        dump = work / PurePosixPath(member).name
        progress(f"数据库快照 / database snapshot ({dialect}) …")
        if dialect == "sqlite":
            _sqlite_snapshot(sqlite_path(database_url), dump)
        else:
            run_tool(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    str(dump),
                    "--dbname",
                    libpq_url(database_url),
                ]
            )
        revision = schema_revision(database_url)
        manifest = Manifest(now.isoformat(), dialect, revision, member)
        manifest.files[member] = file_sha256(dump)
        copies = _objects(files, data_dir, manifest, work, with_objects, progress)
        paths = list(data_files(data_dir, database_url))
        for path in paths:
            manifest.files["files/" + path.relative_to(data_dir).as_posix()] = file_sha256(path)
        progress(f"写入归档 / writing {out} ({len(paths)} files, {len(copies)} objects) …")
        partial = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = manifest.to_json()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=member, recursive=False)
            for path in paths:
                tar.add(path, arcname="files/" + path.relative_to(data_dir).as_posix())
            for key, path in copies.items():
                tar.add(path, arcname=backup_files.OBJECTS + key, recursive=False)
        os.replace(partial, out)
    progress(f"完成 / done: {out} (revision {revision or '-'}, {len(manifest.files)} members)")
    return out


def _objects(
    files: FileStore | None,
    data_dir: Path,
    manifest: Manifest,
    work: Path,
    with_objects: bool,
    progress: Progress,
) -> dict[str, Path]:
    """List the file store's objects into ``manifest``; copy them when it is a directory or
    ``with_objects``; return key → local copy."""
    if files is None or backup_files.inside_data_dir(files, data_dir):
        return {}
    where = backup_files.describe(files)
    objects = backup_files.list_objects(files)
    manifest.store = where
    manifest.objects = {o.key: o.size for o in objects}
    total = sum(o.size for o in objects)
    if not (with_objects or backup_files.copies_by_default(files)):
        progress(
            f"文件存储 / file store {where}: {len(objects)} 个对象已列入清单，未复制 / "
            f"{len(objects)} objects ({total} bytes) listed in the manifest, NOT copied: back up "
            "the bucket with the provider's tools (versioning, replication), or add "
            "--with-objects to copy them into this archive"
        )
        return {}
    progress(f"复制文件 / copying {len(objects)} objects ({total} bytes) from {where} …")
    into = work / "objects"
    into.mkdir()
    copies = backup_files.export(files, [o.key for o in objects], into)
    for key, path in copies.items():
        manifest.files[backup_files.OBJECTS + key] = file_sha256(path)
    return copies


def _sqlite_snapshot(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"no database at {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        # One step: the copy reads one snapshot, and in WAL mode writers go on meanwhile. A
        # backup in steps restarts whenever another connection commits, so under a steady
        # stream of writes it never finishes (seen: the test's writer outran it).
        src.backup(dst)
    finally:
        dst.close()
        src.close()
