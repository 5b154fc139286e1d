"""Files by key: one small interface over a local (or shared) directory and S3-compatible stores.

Why: evidence uploads, voice recordings, agreement PDFs and signature images used to be written
under ``DATA_DIR`` by four hand-written copies of "mkdir, write a temporary name, rename". With
several replicas every replica must see every file, so where files live is now one choice made
in ``main.py`` (``FILE_STORE``): a directory (``LocalFileStore``; shared between replicas by
pointing ``FILES_DIR`` at NFS or similar) or a bucket (``storage.s3.S3FileStore``).

Callers name files by *key* (``documents/12/agreement-v1.pdf``), never by path. The key is the
path relative to ``DATA_DIR`` that the database already stores, so existing rows and data
directories keep working unchanged. :func:`check_key` refuses anything that could leave the
store (``..``, absolute names, backslashes, control characters).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol, runtime_checkable

CHUNK = 256 * 1024
MAX_KEY = 512


class FileStoreError(Exception):
    """A store operation that failed; the message says what and where, for the operator."""


class MissingFile(FileStoreError, KeyError):
    """No file under this key."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "missing file"


class BadKey(FileStoreError, ValueError):
    """A key that names nothing inside the store (``..``, absolute, control characters…)."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int


def check_key(key: str) -> str:
    """``key`` if it is a safe relative name; :class:`BadKey` otherwise."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY:
        raise BadKey(f"file key must be 1–{MAX_KEY} characters: {key!r}")
    if key.startswith("/") or "\\" in key or any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise BadKey(f"file key must be a relative name without control characters: {key!r}")
    parts = key.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise BadKey(f"file key must not contain empty, '.' or '..' parts: {key!r}")
    return key


@runtime_checkable
class FileStore(Protocol):
    """What the service needs from a place to keep files."""

    #: ``local`` or ``s3`` (logged, shown by ``main.py backup``).
    kind: str

    async def put(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        """Store ``data`` under ``key`` atomically: readers see the old file or the new one."""
        ...

    async def get(self, key: str) -> bytes:
        """The bytes under ``key``; :class:`MissingFile` when there are none."""
        ...

    def stream(self, key: str, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        """The file in chunks (for serving without holding it in memory)."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def size(self, key: str) -> int | None:
        """Size in bytes, or None when missing."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""
        ...

    async def list(self, prefix: str = "") -> list[StoredObject]:
        """Every file whose key starts with ``prefix`` (backups, checks)."""
        ...

    def local_path(self, key: str) -> Path | None:
        """A path on this machine holding the file, when the store is a directory."""
        ...

    async def close(self) -> None: ...


class LocalFileStore:
    """Files in a directory (``DATA_DIR`` by default, or ``FILES_DIR``).

    Writes go to a unique temporary name in the same directory, are flushed to disk and then
    renamed over the target (``os.replace`` is atomic on POSIX and on NFS), so a crash or a
    concurrent reader never sees half a file. Blocking calls run in a thread.
    """

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()

    def __repr__(self) -> str:
        return f"LocalFileStore({str(self.root)!r})"

    def path_of(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):  # a symlink pointing out of the store
            raise BadKey(f"file key leaves the store: {key!r}")
        return path

    def local_path(self, key: str) -> Path | None:
        return self.path_of(key)

    async def put(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        await asyncio.to_thread(self._write, self.path_of(key), bytes(data))

    @staticmethod
    def _write(target: Path, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes:
        path = self.path_of(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise MissingFile(key) from exc

    async def stream(self, key: str, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        path = self.path_of(key)
        try:
            fh = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise MissingFile(key) from exc
        try:
            while chunk := await asyncio.to_thread(fh.read, chunk_size):
                yield chunk
        finally:
            fh.close()

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path_of(key).is_file)

    async def size(self, key: str) -> int | None:
        path = self.path_of(key)

        def stat() -> int | None:
            return path.stat().st_size if path.is_file() else None

        return await asyncio.to_thread(stat)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path_of(key).unlink, missing_ok=True)

    async def list(self, prefix: str = "") -> list[StoredObject]:
        def walk() -> list[StoredObject]:
            found = []
            for path in sorted(self.root.rglob("*")):
                if not path.is_file() or path.name.startswith("."):
                    continue
                key = PurePosixPath(path.relative_to(self.root).as_posix()).as_posix()
                if key.startswith(prefix):
                    found.append(StoredObject(key, path.stat().st_size))
            return found

        return await asyncio.to_thread(walk)

    async def close(self) -> None:
        return None


def local_store(settings: object) -> LocalFileStore:
    """The directory store of ``settings`` (``FILES_DIR``, else ``DATA_DIR``): the default of
    components built without the runtime's store (tests, one-off commands)."""
    root = getattr(settings, "files_dir", None) or getattr(settings, "data_dir")  # noqa: B009
    return LocalFileStore(Path(root))


def store_from_settings(settings: object) -> FileStore:
    """The store ``FILE_STORE`` names (the one composition point is ``app.runtime.build_runtime``)."""
    kind = getattr(settings, "file_store", "local")
    if kind == "s3":
        from storage.s3 import S3Config, S3FileStore

        return S3FileStore(S3Config.from_settings(settings))
    return local_store(settings)


def key_of_legacy_path(stored: str, data_dir: Path) -> str:
    """Rows written before the file store held absolute paths under DATA_DIR: their key."""
    path = Path(stored)
    if path.is_absolute():
        try:
            return path.resolve().relative_to(data_dir.resolve()).as_posix()
        except ValueError as exc:
            raise BadKey(f"stored path outside DATA_DIR: {stored!r}") from exc
    return stored
