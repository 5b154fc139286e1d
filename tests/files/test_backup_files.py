"""``main.py backup``/``restore`` with files outside DATA_DIR: a bucket is listed (copied on
request), a separate directory is copied; restore puts objects back into the store."""

from __future__ import annotations

import json
import sqlite3
import tarfile
from pathlib import Path

import pytest

from services.backup import BackupError, backup
from services.backup_files import run_sync
from services.restore import restore
from storage.files import LocalFileStore
from storage.s3 import S3FileStore
from tests.files.conftest import MotoS3

OBJECTS = {"documents/4/agreement-signed.pdf": b"%PDF-sealed", "files/web/7/a.png": b"\x89PNG.."}


def _data_dir(root: Path) -> tuple[Path, str]:
    root.mkdir(parents=True)
    with sqlite3.connect(root / "mediation.db") as conn:
        conn.execute("CREATE TABLE cases (id INTEGER PRIMARY KEY, title TEXT)")
        conn.execute("INSERT INTO cases (title) VALUES ('邻里纠纷')")
    (root / "secrets").mkdir()
    (root / "secrets" / "secret.key").write_text("k")
    return root, f"sqlite+aiosqlite:///{root / 'mediation.db'}"


def _members(archive: Path) -> tuple[set[str], dict[str, object]]:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest = json.loads(member.read())
        return set(tar.getnames()), manifest


def test_bucket_is_listed_by_default_and_copied_with_objects(
    tmp_path: Path, moto_s3: MotoS3, bucket: str
) -> None:
    store = S3FileStore(moto_s3.config(bucket, prefix="prod"))

    async def fill() -> None:
        for key, data in OBJECTS.items():
            await store.put(key, data)

    run_sync(fill, store)
    data_dir, url = _data_dir(tmp_path / "data")
    said: list[str] = []
    listed = backup(data_dir, url, tmp_path / "listed.tar.gz", said.append, files=store)
    names, manifest = _members(listed)
    assert manifest["objects"] == {k: len(v) for k, v in OBJECTS.items()}
    assert manifest["store"] == f"s3://{bucket}/prod/"
    assert not any(n.startswith("objects/") for n in names)
    assert any("NOT copied" in line and "--with-objects" in line for line in said)

    full = backup(data_dir, url, tmp_path / "full.tar.gz", print, files=store, with_objects=True)
    names, _ = _members(full)
    assert {f"objects/{k}" for k in OBJECTS} <= names

    # The bucket is lost: restore the full archive into an empty data dir and the bucket.
    async def empty() -> None:
        for key in OBJECTS:
            await store.delete(key)

    run_sync(empty, store)
    target, target_url = (
        tmp_path / "restored",
        f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'mediation.db'}",
    )
    with pytest.raises(BackupError, match="FILE_STORE"):
        restore(full, target, target_url, progress=print)  # no store given: refused
    said.clear()
    restore(full, target, target_url, progress=said.append, files=store)

    async def read() -> dict[str, bytes]:
        return {k: await store.get(k) for k in OBJECTS}

    assert run_sync(read, store) == OBJECTS
    with sqlite3.connect(target / "mediation.db") as conn:
        assert conn.execute("SELECT title FROM cases").fetchall() == [("邻里纠纷",)]

    # The listed-only archive restores the database and says which objects are missing.
    run_sync(empty, store)
    said.clear()
    restore(
        listed,
        tmp_path / "again",
        f"sqlite+aiosqlite:///{tmp_path / 'again' / 'x.db'}",
        progress=said.append,
        files=store,
    )
    assert any("2 of them are missing" in line for line in said)


def test_separate_files_dir_is_copied(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "shared-files")

    async def fill() -> None:
        for key, data in OBJECTS.items():
            await store.put(key, data)

    run_sync(fill, store)
    data_dir, url = _data_dir(tmp_path / "data")
    archive = backup(data_dir, url, tmp_path / "b.tar.gz", print, files=store)
    names, _ = _members(archive)
    assert {f"objects/{k}" for k in OBJECTS} <= names
    fresh = LocalFileStore(tmp_path / "fresh-files")
    restore(
        archive,
        tmp_path / "r",
        f"sqlite+aiosqlite:///{tmp_path / 'r' / 'm.db'}",
        progress=print,
        files=fresh,
    )
    for key, data in OBJECTS.items():
        assert (tmp_path / "fresh-files" / key).read_bytes() == data


def test_files_inside_data_dir_stay_plain_members(tmp_path: Path) -> None:
    data_dir, url = _data_dir(tmp_path / "data")
    store = LocalFileStore(data_dir)
    run_sync(lambda: store.put("documents/1/x.pdf", b"%PDF"), store)
    names, manifest = _members(backup(data_dir, url, tmp_path / "b.tar.gz", print, files=store))
    assert "files/documents/1/x.pdf" in names and manifest["objects"] == {}
