"""Files of the browser chat: uploads (evidence and voice recordings) and downloads.

- ``POST /chat/upload``: a photo, PDF or voice recording, recognised by its first bytes (never
  by name or header), at most 10 MB, kept in the file store (storage.files) per person; the page then sends a
  ``file`` message naming it (features.webchat.channel checks it is this person's). A WebM or
  OGG recording becomes a voice message, which features.voice keeps and transcribes.
- ``GET /chat/file/<seq>``: a file from this person's own mailbox: a generated document, or
  the recording a message carries (``audio_ref``: the speaker's notice "正在转写…", or a
  room member's voice message) — so only the speaker and the room members it was relayed to
  can play it. Audio is served inline with its own type, ``nosniff`` and a sandboxing CSP.
- :func:`fetcher`: how the voice pipeline reads a recording by its ``web:`` reference.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from features.webchat.uploads import (
    log_document_download,
    mailbox_payload,
    over_quota,
    record_upload,
)
from features.webchat.web import HEADERS, ChatApp, _chat, _client_ip, _problem
from mediation import evidence
from services.outgoing import (
    MalformedMessage,
    StoredDocument,
    TextDocument,
    TextMessage,
    from_payload,
)
from storage.files import BadKey, FileStore, FileStoreError, check_key
from web.files import serve

log = logging.getLogger(__name__)

#: Where the page's uploads live under DATA_DIR; their reference is ``web:`` + this path.
UPLOAD_ROOT = "files/web"
REF_PREFIX = "web:"
AUDIO_TYPES = {".webm": "audio/webm", ".ogg": "audio/ogg"}


def upload_key(ref: str) -> str | None:
    """The store key an upload reference names, or None if it names anything else."""
    if not ref.startswith(REF_PREFIX + UPLOAD_ROOT + "/"):
        return None
    try:
        return check_key(ref.removeprefix(REF_PREFIX))
    except BadKey:
        return None


def fetcher(files: FileStore) -> Callable[[str], Awaitable[bytes]]:
    """For ``VoiceService.register_fetcher("web", …)``: the recording's bytes by reference."""

    async def fetch(ref: str) -> bytes:
        key = upload_key(ref)
        if key is None:
            raise LookupError(f"not a browser upload: {ref[:40]}")
        return await files.get(key)

    return fetch


async def download(request: web.Request) -> web.StreamResponse:
    chat = _chat(request)
    user_id = await chat.sessions.user_id(request)
    if user_id is None:
        raise web.HTTPUnauthorized(text="log in first")
    seq = request.match_info["seq"]
    # ASCII digits that fit a 64-bit column: ``int("9" * 20)`` overflowed the driver (a 500).
    if not (seq.isascii() and seq.isdigit() and len(seq) <= 18):
        raise web.HTTPNotFound()
    payload = await mailbox_payload(chat.runtime.db, user_id, int(seq))
    try:
        message = from_payload(payload) if payload is not None else None
    except MalformedMessage:
        message = None
    if isinstance(message, TextMessage) and message.audio_ref is not None:
        return await _audio(request, chat, message.audio_ref)
    if not isinstance(message, TextDocument | StoredDocument):
        raise web.HTTPNotFound()
    name = message.filename or "file"
    headers = {
        **HEADERS,
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "private, no-store",
    }
    if isinstance(message, TextDocument):
        data = message.text.encode("utf-8")
        return web.Response(
            body=data, headers={**headers, "Content-Type": "text/plain; charset=utf-8"}
        )
    key = message.path
    if not await _present(chat.runtime.files, key):
        raise web.HTTPNotFound()
    await _log_download(chat, user_id, key, _client_ip(request))
    content_type = "application/pdf" if key.endswith(".pdf") else "application/octet-stream"
    return await serve(request, chat.runtime.files, key, {**headers, "Content-Type": content_type})


async def _present(files: FileStore, key: str) -> bool:
    try:
        return await files.exists(key)
    except BadKey:
        return False
    except FileStoreError as exc:
        log.error("file store unavailable: %s", exc)
        raise web.HTTPServiceUnavailable(text="file store unavailable, try again") from exc


async def _audio(request: web.Request, chat: ChatApp, ref: str) -> web.StreamResponse:
    """A recording to play in the page (the mailbox row was this person's: checked above)."""
    key = upload_key(ref)
    suffix = PurePosixPath(key).suffix if key else ""
    if key is None or suffix not in AUDIO_TYPES or not await _present(chat.runtime.files, key):
        raise web.HTTPNotFound()
    headers = {
        **HEADERS,
        "Content-Type": AUDIO_TYPES[suffix],
        "Content-Disposition": f"inline; filename=voice{suffix}",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    }
    return await serve(request, chat.runtime.files, key, headers)


async def _log_download(chat: ChatApp, user_id: int, relative: str, ip: str) -> None:
    await log_document_download(
        chat.runtime.db, relative, actor=f"user:{user_id}", at=chat.runtime.clock.now(), ip=ip
    )
    log.info("user %s downloaded %s", user_id, Path(relative).name)


MAX_UPLOAD = 10 * 1024 * 1024


async def upload(request: web.Request) -> web.Response:
    """A photo or PDF for the evidence step (or the room): stored under DATA_DIR, per person;
    the page then sends a ``file`` message naming it (features.webchat.channel checks that the
    file is this person's)."""
    chat = _chat(request)
    user_id = await chat.sessions.user_id(request)
    language = await chat.language_of(user_id, request)
    if user_id is None:
        return _problem(chat, language, "err_login", 401)
    if not chat.sessions.check_csrf(request):
        return _problem(chat, language, "err_csrf", 403)
    if not request.content_type.startswith("multipart/"):
        return _problem(chat, language, "err_file", 415)
    data = bytearray()
    try:
        reader = await request.multipart()
        part = await reader.next()
        if part is None or not isinstance(part, BodyPartReader) or part.name != "file":
            return _problem(chat, language, "err_file", 400)
        while chunk := await part.read_chunk(65536):
            data += chunk
            if len(data) > MAX_UPLOAD:
                return _problem(chat, language, "err_file", 413)
    except (ValueError, AssertionError, LookupError, HttpProcessingError):
        return _problem(chat, language, "err_file", 400)
    sniffed = evidence.sniff(bytes(data[:16]), also=(evidence.webp,))
    if sniffed is None or not data:
        return _problem(chat, language, "err_file", 415)
    ext, mime, kind = sniffed
    now = chat.runtime.clock.now()
    if await over_quota(chat.runtime.db, user_id, len(data), now):
        return _problem(chat, language, "err_quota", 429)
    relative = f"{UPLOAD_ROOT}/{user_id}/{secrets.token_urlsafe(16)}.{ext}"
    try:
        await chat.runtime.files.put(relative, bytes(data), content_type=mime)
    except FileStoreError:
        log.exception("upload of user %s not stored", user_id)
        return _problem(chat, language, "err_store", 503)
    await record_upload(chat.runtime.db, user_id, relative, len(data), now)
    name = Path(part.filename or f"file.{ext}").name[:120]
    return web.json_response(
        {
            "ok": True,
            "ref": f"{REF_PREFIX}{relative}",
            "kind": kind,
            "mime": mime,
            "size": len(data),
            "name": name,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        headers=HEADERS,
    )
