"""``main.py restore``: an archive made by :mod:`services.backup` back into place.

Why apart from the backup: a restore checks before it writes (every checksum, the dialect, a
schema revision this code knows, an empty target unless ``force``) and then puts back the
database, the data files and the file store's objects; the archive's format and the reasons are
in :mod:`services.backup`. The service must be stopped while restoring.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from core.crypto import file_sha256
from services import backup_files
from services.backup import (
    BackupError,
    Manifest,
    Progress,
    known_revisions,
    libpq_url,
    psql_value,
    run_tool,
    sqlite_path,
)

if TYPE_CHECKING:
    from storage.files import FileStore


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
    run_tool([*args, str(dump)])


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
        out = psql_value(database_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
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
