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
import shutil
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
    out = _psql_value(database_url, "SELECT version_num FROM alembic_version", check=False)
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from storage.migrate import MIGRATIONS, alembic_config

    config = alembic_config("sqlite://")
    config.set_main_option("script_location", str(MIGRATIONS))
    return {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}


def _run(args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(args, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(
            f"{args[0]} is not installed (Debian: apt-get install postgresql-client)"
        ) from exc
    if check and result.returncode != 0:
        raise BackupError(f"{args[0]} failed: {result.stderr.strip()[:2000]}")
    return result


def _psql_value(
    database_url: str, sql: str, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """One value of one query by ``psql`` (unaligned, tuples only, no ~/.psqlrc)."""
    return _run(
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
            _run(
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


# ---------------------------------------------------------------------- restore


def read_archive(archive: Path, into: Path) -> Manifest:
    """Extract safely into ``into`` and verify every checksum; nothing outside is touched."""
    if not archive.is_file():
        raise BackupError(f"no such file: {archive}")
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            members = tar.getmembers()
            names = [m.name for m in members]
            if "manifest.json" not in names:
                raise BackupError("the archive has no manifest.json")
            for m in members:
                path = PurePosixPath(m.name)
                if not m.isfile() or path.is_absolute() or ".." in path.parts:
                    raise BackupError(f"unsafe archive member refused: {m.name!r}")
            tar.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"the archive cannot be read: {exc}") from exc
    manifest = Manifest.from_json((into / "manifest.json").read_bytes())
    present = {n for n in names if n != "manifest.json"}
    if present != set(manifest.files):
        raise BackupError("the archive's members do not match its manifest")
    for name, digest in manifest.files.items():
        if file_sha256(into / name) != digest:
            raise BackupError(f"checksum mismatch: {name} (the archive is damaged)")
    return manifest


def restore(
    archive: Path,
    data_dir: Path,
    database_url: str,
    *,
    force: bool = False,
    progress: Progress = print,
    files: FileStore | None = None,
) -> Manifest:
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with tempfile.TemporaryDirectory(prefix="mediation-restore-") as tmp:
        work = Path(tmp)
        progress(f"检查归档 / checking {archive} …")
        manifest = read_archive(archive, work)
        _check_restorable(manifest, dialect)
        progress(f"校验通过 / checksums OK ({len(manifest.files)} members, {manifest.created_at})")
        objects = {
            n.removeprefix(backup_files.OBJECTS): work / n
            for n in manifest.files
            if n.startswith(backup_files.OBJECTS)
        }
        if objects and files is None:
            raise BackupError(
                f"the archive holds {len(objects)} objects of a file store ({manifest.store}): "
                "configure FILE_STORE (and FILES_DIR or S3_*) to restore them"
            )
        conflicts = _conflicts(work, manifest, data_dir, database_url)
        if objects and files is not None:
            conflicts += [f"object {k} differs" for k in backup_files.differing(files, objects)]
        if conflicts and not force:
            raise BackupError(
                "the target is not empty: "
                + "; ".join(conflicts[:5])
                + " (use --force to overwrite)"
            )
        progress("恢复数据库 / restoring the database …")
        _restore_database(work / manifest.database, database_url, dialect, force=force)
        count = _restore_data_files(work, manifest, data_dir)
        if files is not None:
            _restore_objects(files, objects, manifest, progress)
        progress(
            f"恢复完成 / restored the database and {count} files "
            f"(revision {manifest.revision or '-'}; run `main.py db upgrade` if older)"
        )
    return manifest


def _check_restorable(manifest: Manifest, dialect: str) -> None:
    """The archive's database is of this kind, and of a schema this code knows."""
    if manifest.dialect != dialect:
        raise BackupError(
            f"the archive holds a {manifest.dialect} database; DATABASE_URL is {dialect}"
        )
    if manifest.revision is not None and manifest.revision not in known_revisions():
        raise BackupError(
            f"schema revision {manifest.revision} is unknown to this version of the code "
            "(the backup comes from a newer release)"
        )


def _restore_database(dump: Path, database_url: str, dialect: str, *, force: bool) -> None:
    if dialect == "sqlite":
        _restore_sqlite(dump, sqlite_path(database_url))
        return
    args = [
        "pg_restore",
        "--no-owner",
        "--exit-on-error",
        "--single-transaction",
        "--dbname",
        libpq_url(database_url),
    ]
    if force:
        args[1:1] = ["--clean", "--if-exists"]
    _run([*args, str(dump)])


def _restore_data_files(work: Path, manifest: Manifest, data_dir: Path) -> int:
    """The archive's ``files/`` members into DATA_DIR, each replaced whole; how many."""
    count = 0
    for name in manifest.files:
        if not name.startswith("files/"):
            continue
        target = data_dir / name.removeprefix("files/")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.restore.tmp")
        shutil.copyfile(work / name, partial)
        os.chmod(partial, 0o600 if "secrets" in target.parts or "keys" in target.parts else 0o644)
        os.replace(partial, target)
        count += 1
    return count


def _restore_objects(
    files: FileStore, objects: dict[str, Path], manifest: Manifest, progress: Progress
) -> None:
    """Copied objects into the file store; objects only listed are looked for there."""
    if objects:
        backup_files.import_(files, objects)
        progress(f"恢复文件 / {len(objects)} objects put into {backup_files.describe(files)}")
    listed_only = sorted(set(manifest.objects) - set(objects))
    if listed_only:
        absent = backup_files.missing(files, listed_only)
        progress(
            f"文件存储 / {len(listed_only)} objects were listed, not copied; "
            f"{len(absent)} of them are missing from {backup_files.describe(files)}"
            + (f" (e.g. {', '.join(absent[:3])})" if absent else "")
        )


def _conflicts(work: Path, manifest: Manifest, data_dir: Path, database_url: str) -> list[str]:
    found: list[str] = []
    if database_url.startswith("sqlite"):
        path = sqlite_path(database_url)
        if path.exists() and path.stat().st_size > 0:
            with sqlite3.connect(path) as conn:
                tables = conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                ).fetchone()[0]
            if tables:
                found.append(f"database {path} has {tables} tables")
    else:
        out = _psql_value(
            database_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        )
        tables = int(out.stdout.strip() or 0)
        if tables:
            found.append(f"database has {tables} tables")
    for name in manifest.files:
        if name.startswith("files/"):
            target = data_dir / name.removeprefix("files/")
            if target.exists() and file_sha256(target) != manifest.files[name]:
                found.append(f"{target} differs")
    return found


def _restore_sqlite(snapshot: Path, target: Path) -> None:
    """Replace the database file atomically (and drop a stale WAL that would be replayed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    check = sqlite3.connect(snapshot)
    try:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the database in the archive fails SQLite's integrity check")
    finally:
        check.close()
    partial = target.with_name(f".{target.name}.restore.tmp")
    shutil.copyfile(snapshot, partial)
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(partial, target)
