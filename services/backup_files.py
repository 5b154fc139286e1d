"""What ``main.py backup`` and ``restore`` do with the file store (storage.files).

Why a choice is needed: with ``FILE_STORE=local`` and the files under ``DATA_DIR`` (the default)
the archive already holds them as ``files/…``. A separate ``FILES_DIR`` is copied too, as
``objects/<key>`` (it is on this machine and the archive would be incomplete without it). A
bucket (``FILE_STORE=s3``) may be far larger than the database and is usually protected by the
provider (versioning, replication), so by default the backup **lists** every object (key and
size, in the manifest's ``objects``) without copying it, and says so; ``--with-objects`` copies
them into the archive as well. ``restore`` puts every ``objects/`` member back into the
configured store and reports listed objects that are missing from it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from storage.files import FileStore, LocalFileStore, StoredObject

T = TypeVar("T")
OBJECTS = "objects/"


def run_sync(make: Callable[[], Coroutine[Any, Any, T]], files: FileStore) -> T:
    """Run store calls from the (synchronous) backup code, on a loop of their own."""

    async def run() -> T:
        try:
            return await make()
        finally:
            await files.close()  # the HTTP session belongs to this loop

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def inside_data_dir(files: FileStore | None, data_dir: Path) -> bool:
    """True when the store's files are already archived as part of ``DATA_DIR``."""
    if files is None:
        return True
    return isinstance(files, LocalFileStore) and files.root.is_relative_to(data_dir.resolve())


def describe(files: FileStore) -> str:
    if isinstance(files, LocalFileStore):
        return f"local directory {files.root}"
    text = getattr(files, "describe", None)
    return str(text()) if callable(text) else repr(files)


def copies_by_default(files: FileStore) -> bool:
    return isinstance(files, LocalFileStore)


def list_objects(files: FileStore) -> list[StoredObject]:
    return run_sync(files.list, files)


def export(files: FileStore, keys: list[str], into: Path) -> dict[str, Path]:
    """Download ``keys`` into ``into`` (one file each); returns key → local copy."""

    async def fetch() -> dict[str, Path]:
        copies: dict[str, Path] = {}
        for n, key in enumerate(keys):
            target = into / f"object-{n}"
            data = await files.get(key)
            await asyncio.to_thread(target.write_bytes, data)
            copies[key] = target
        return copies

    return run_sync(fetch, files)


def missing(files: FileStore, keys: list[str]) -> list[str]:
    async def check() -> list[str]:
        return [k for k in keys if not await files.exists(k)]

    return run_sync(check, files)


def differing(files: FileStore, items: dict[str, Path]) -> list[str]:
    """Keys whose object in the store exists with other content than the archive's."""

    async def check() -> list[str]:
        found = []
        for key, path in items.items():
            if await files.exists(key) and await files.get(key) != path.read_bytes():
                found.append(key)
        return found

    return run_sync(check, files)


def import_(files: FileStore, items: dict[str, Path]) -> int:
    async def put() -> int:
        for key, path in items.items():
            await files.put(key, await asyncio.to_thread(path.read_bytes))
        return len(items)

    return run_sync(put, files)
