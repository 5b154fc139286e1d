"""``main.py backup`` / ``main.py restore``: a whole mediation (cases, room messages, signed and
sealed documents, the seal's keys) is backed up, restored into an empty data directory and
database, and compared table by table, row by row (raw bytes, ciphertext included) and file by
file (SHA-256) — on SQLite and on PostgreSQL. Damaged archives, non-empty targets and archives
from a newer schema are refused before anything is touched."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import sqlite3
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import LargeBinary, MetaData, Table, inspect, select, text

from app.features import metadata
from core import crypto
from services.backup import BackupError, Manifest, backup, data_files
from services.restore import restore
from storage.base import EncryptedJSON, EncryptedText
from storage.db import Database
from tests.conftest import PG_URL, fresh_database, postgres_unavailable
from tests.security.conftest import main_py

pytestmark = [pytest.mark.slow, pytest.mark.pdf]


def raw_metadata() -> MetaData:
    """The models' tables with encrypted columns read as raw bytes (ciphertext compared)."""
    raw = MetaData()
    for table in metadata().sorted_tables:
        copy = table.to_metadata(raw)
        for column in copy.columns:
            if isinstance(column.type, EncryptedText | EncryptedJSON):
                column.type = LargeBinary()
    return raw


async def dump_tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    db = Database(url)
    out: dict[str, list[tuple[Any, ...]]] = {}
    try:
        async with db.read() as session:
            conn = await session.connection()
            present = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            # Tables of features still without a migration are not in a migrated database.
            for table in [t for t in raw_metadata().sorted_tables if t.name in present]:
                rows = (await session.execute(select(table))).all()
                out[table.name] = sorted((tuple(r) for r in rows), key=repr)
            version = await session.execute(text("SELECT version_num FROM alembic_version"))
            out["alembic_version"] = [tuple(r) for r in version]
    finally:
        await db.dispose()
    return out


def file_hashes(data_dir: Path, url: str) -> dict[str, str]:
    return {
        p.relative_to(data_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in data_files(data_dir, url)
    }


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A DATA_DIR after a whole mediation played by ``main.py demo`` (kept)."""
    from app.demo import run_demo

    saved = (crypto._cipher, crypto._index_key)
    lines: list[str] = []
    out = tmp_path_factory.mktemp("demo-out")
    asyncio.run(run_demo(out, echo=lines.append, keep_data=True))
    crypto._cipher, crypto._index_key = saved
    data_dir = Path(next(line.split(": ", 1)[1] for line in lines if "temporary data" in line))
    yield data_dir
    shutil.rmtree(data_dir, ignore_errors=True)


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'mediation.db'}"


def test_sqlite_backup_restores_every_row_and_file(demo_data: Path, tmp_path: Path) -> None:
    url = sqlite_url(demo_data)
    before = asyncio.run(dump_tables(url))
    assert len(before["cases"]) >= 1 and len(before["case_messages"]) >= 3
    assert any(before["documents"]) and before["alembic_version"]
    files = file_hashes(demo_data, url)
    assert any(name.startswith("documents/") and name.endswith(".pdf") for name in files)
    assert any(name.startswith("keys/") for name in files)
    assert any(name.startswith("secrets/") for name in files)

    said: list[str] = []
    archive = backup(demo_data, url, tmp_path / "b.tar.gz", progress=said.append)
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest = Manifest.from_json(member.read())
    assert manifest.dialect == "sqlite" and manifest.revision == before["alembic_version"][0][0]
    assert set(manifest.files) == {"database/mediation.sqlite"} | {f"files/{n}" for n in files}

    target = tmp_path / "restored"
    restore(archive, target, sqlite_url(target), progress=said.append)
    assert asyncio.run(dump_tables(sqlite_url(target))) == before
    rows = sum(len(v) for v in before.values())
    print(
        f"\nSQLite: {len(before)} tables, {rows} rows and {len(files)} files compared after "
        f"restore; archive {archive.stat().st_size // 1024} KB"
    )
    assert file_hashes(target, sqlite_url(target)) == files
    assert any("checksums OK" in line for line in said)

    # A second restore over the now non-empty target is refused, --force overwrites.
    with pytest.raises(BackupError, match="not empty"):
        restore(archive, target, sqlite_url(target), progress=said.append)
    restore(archive, target, sqlite_url(target), force=True, progress=said.append)
    assert asyncio.run(dump_tables(sqlite_url(target))) == before


def test_damaged_foreign_or_newer_archives_are_refused(demo_data: Path, tmp_path: Path) -> None:
    archive = backup(demo_data, sqlite_url(demo_data), tmp_path / "b.tar.gz", progress=print)
    work = tmp_path / "x"
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")

    def repack(name: str) -> Path:
        path = tmp_path / name
        with tarfile.open(path, "w:gz") as tar:
            for member in sorted(work.rglob("*")):
                if member.is_file():
                    tar.add(member, arcname=member.relative_to(work).as_posix())
        return path

    pdf = next(work.glob("files/documents/*/*.pdf"))
    original = pdf.read_bytes()
    pdf.write_bytes(original[:-10] + b"0000000000")
    target = tmp_path / "t"
    with pytest.raises(BackupError, match="checksum mismatch"):
        restore(repack("damaged.tar.gz"), target, sqlite_url(target), progress=print)
    assert not target.exists()  # nothing touched
    pdf.write_bytes(original)

    manifest = Manifest.from_json((work / "manifest.json").read_bytes())
    manifest.revision = "ffffffffffff"
    (work / "manifest.json").write_bytes(manifest.to_json())
    with pytest.raises(BackupError, match="unknown to this version"):
        restore(repack("newer.tar.gz"), target, sqlite_url(target), progress=print)

    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        tar.add(work / "manifest.json", arcname="manifest.json")
        tar.add(work / "manifest.json", arcname="../../escape.json")
    with pytest.raises(BackupError, match="unsafe"):
        restore(evil, target, sqlite_url(target), progress=print)
    assert not (tmp_path.parent / "escape.json").exists()
    with pytest.raises(BackupError, match="postgresql"):
        restore(archive, target, PG_URL or "postgresql+asyncpg://x@127.0.0.1/test_h4_x")
    assert not target.exists()


def test_online_backup_while_writers_run(tmp_path: Path) -> None:
    """SQLite's backup API takes a consistent snapshot while another connection keeps writing."""
    data_dir = tmp_path / "live"
    data_dir.mkdir()
    path = data_dir / "mediation.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB, pair INTEGER)")
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (payload, pair) VALUES (randomblob(2000), 1)")
            conn.execute("INSERT INTO t (payload, pair) VALUES (randomblob(2000), 2)")
            conn.execute("COMMIT")
            written[0] += 2
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 2000:
            threading.Event().wait(0.05)
        archive = backup(data_dir, sqlite_url(data_dir), tmp_path / "live.tar.gz", progress=print)
    finally:
        stop.set()
        thread.join()
    target = tmp_path / "restored"
    restore(archive, target, sqlite_url(target), progress=print)
    with sqlite3.connect(target / "mediation.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ones, twos = (
            conn.execute("SELECT count(*) FROM t WHERE pair = ?", (k,)).fetchone()[0]
            for k in (1, 2)
        )
    assert ones == twos >= 1000  # whole transactions only


def test_the_cli_backs_up_and_restores(demo_data: Path, tmp_path: Path) -> None:
    archive = tmp_path / "cli.tar.gz"

    done = main_py(demo_data, "backup", "--out", str(archive), PII_KEYS=None)
    assert done.returncode == 0, done.stderr
    target = tmp_path / "cli-restored"
    done = main_py(target, "restore", str(archive), PII_KEYS=None)
    assert done.returncode == 0, done.stderr
    assert "恢复完成" in done.stdout
    again = main_py(target, "restore", str(archive), PII_KEYS=None)
    assert again.returncode == 1 and "--force" in again.stderr
    assert asyncio.run(dump_tables(sqlite_url(target))) == asyncio.run(
        dump_tables(sqlite_url(demo_data))
    )


# ---------------------------------------------------------------------- PostgreSQL


def _pg(url: str, db_name: str) -> str:
    head, _, _ = url.rpartition("/")
    return f"{head}/{db_name}"


def _admin(*args: str) -> None:
    subprocess.run([*args, "-h", "127.0.0.1", "-U", "postgres"], check=False, capture_output=True)


async def copy_rows(source: str, target: str) -> None:
    """The demo's rows (raw ciphertext) into an empty PostgreSQL schema."""
    src, dst = Database(source), await fresh_database(target)
    try:
        async with src.read() as rs:
            conn = await rs.connection()
            present = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            tables: list[tuple[Table, list[dict[str, Any]]]] = [
                (t, [dict(r._mapping) for r in (await rs.execute(select(t))).all()])
                for t in raw_metadata().sorted_tables
                if t.name in present
            ]
            version = (await rs.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        async with dst.write() as ws:
            for table, rows in tables:
                if rows:
                    await ws.execute(table.insert(), rows)
            await ws.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
            await ws.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": version})
    finally:
        await src.dispose()
        await dst.dispose()


@pytest.mark.postgres
def test_postgres_backup_restores_every_row_and_file(demo_data: Path, tmp_path: Path) -> None:
    if postgres_unavailable():
        pytest.skip(str(postgres_unavailable()))
    source_dir = tmp_path / "pg-data"
    shutil.copytree(demo_data, source_dir, ignore=shutil.ignore_patterns("mediation.db*"))
    asyncio.run(copy_rows(sqlite_url(demo_data), PG_URL))
    before = asyncio.run(dump_tables(PG_URL))
    assert before["cases"] and before["documents"]
    files = file_hashes(source_dir, PG_URL)

    archive = backup(source_dir, PG_URL, tmp_path / "pg.tar.gz", progress=print)
    with tarfile.open(archive) as tar:
        assert "database/mediation.pgdump" in tar.getnames()

    name = PG_URL.rsplit("/", 1)[1] + "_restore"
    target_url = _pg(PG_URL, name)
    _admin("dropdb", "--if-exists", name)
    _admin("createdb", name)
    try:
        target_dir = tmp_path / "pg-restored"
        restore(archive, target_dir, target_url, progress=print)
        assert asyncio.run(dump_tables(target_url)) == before
        rows = sum(len(v) for v in before.values())
        print(f"\nPostgreSQL: {len(before)} tables, {rows} rows, {len(files)} files compared")
        assert file_hashes(target_dir, target_url) == files
        with pytest.raises(BackupError, match="not empty"):
            restore(archive, target_dir, target_url, progress=print)
        restore(archive, target_dir, target_url, force=True, progress=print)
        assert asyncio.run(dump_tables(target_url)) == before
    finally:
        _admin("dropdb", "--if-exists", name)
