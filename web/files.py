"""Serving a file of the file store (storage.files) as an HTTP download.

Why one helper: the browser chat's ``/chat/file/<seq>`` and the console's document download
must send the same thing whichever store holds the file. A directory store is served with
aiohttp's ``FileResponse`` (sendfile, Range, conditional requests); a bucket is streamed through
in pieces with its length, never held whole in memory. The caller's headers (attachment
disposition, ``nosniff``, no caching) are sent either way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web

from storage.files import BadKey, FileStore, FileStoreError, MissingFile

log = logging.getLogger(__name__)


async def serve(
    request: web.Request, files: FileStore, key: str, headers: Mapping[str, str]
) -> web.StreamResponse:
    """The file under ``key`` with ``headers``; 404 when it is missing or the key is unsafe."""
    try:
        path = files.local_path(key)
        if path is not None:
            if not path.is_file():
                raise web.HTTPNotFound()
            return web.FileResponse(path, headers=dict(headers))
        size = await files.size(key)
        if size is None:
            raise web.HTTPNotFound()
        response = web.StreamResponse(headers=dict(headers))
        response.content_length = size
        chunks = files.stream(key)
        first = await anext(chunks, b"")  # a store failure here still becomes a clean 503
        await response.prepare(request)
        await response.write(first)
        async for chunk in chunks:
            await response.write(chunk)
        await response.write_eof()
        return response
    except (BadKey, MissingFile) as exc:
        raise web.HTTPNotFound() from exc
    except FileStoreError as exc:
        log.error("file %s could not be read from the store: %s", key, exc)
        raise web.HTTPServiceUnavailable(text="file store unavailable, try again") from exc
