"""``/verify/<id>?k=<key>``: is this document one we issued, is it in force, and is a copy intact?

The QR code printed on every sealed agreement leads here. The page shows the document's status
(effective or void), its number and version, the SHA-256 of the file as issued and the seal's
certificate fingerprint, with parties' names masked: anyone holding a paper copy may check it,
but the page must not become a directory of who settled with whom. Uploading a copy re-checks
it: the committee's PAdES seal must validate against our certificate and cover the whole file
(documents.verify), and the file's SHA-256 must equal the issued one, so any changed byte shows.

The key in the URL is compared with a stored digest in constant time; a wrong key and an
unknown id get the same "not found" answer.
"""

from __future__ import annotations

import hmac
import html
from typing import TYPE_CHECKING

from aiohttp import web

from documents.verify_pool import VerifyBusy, VerifyPool
from features.agreements.common import services_of
from features.agreements.store import KIND_TITLES
from features.verify.lookup import find_document
from i18n import normalise_language, translate
from mediation.masking import mask_name
from mediation.replies import Msg
from storage.document_models import Document
from web.security import LIMITS, error_response, is_pdf

if TYPE_CHECKING:
    from app.runtime import Runtime

#: A sealed agreement is a few hundred KB; 5 MB leaves room (it was 20 MB: issue 21).
MAX_UPLOAD = 5 * 1024 * 1024
POOL: web.AppKey[VerifyPool] = web.AppKey("verify_pool", VerifyPool)
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>body{{font-family:"Noto Sans CJK SC",system-ui,sans-serif;max-width:44rem;margin:2rem auto;
padding:0 1rem;line-height:1.6}}dl{{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem}}
dt{{font-weight:600}}dd{{margin:0;word-break:break-all}}.ok{{background:#d1e7dd}}
.bad{{background:#f8d7da}}.result{{padding:.8rem;border-radius:.5rem}}code{{font-size:.85rem}}
</style></head><body><h1>{title}</h1>{body}</body></html>"""


def _runtime(request: web.Request) -> Runtime:
    from web.app import RUNTIME

    return request.app[RUNTIME]


def _language(request: web.Request) -> str:
    chosen = request.query.get("lang") or request.headers.get("Accept-Language") or ""
    return normalise_language(chosen.split(",")[0].strip() or None)


def _t(language: str, key: str, **params: object) -> str:
    return html.escape(translate(language, Msg(f"agreements.verify.{key}", params)))


async def _find(request: web.Request) -> Document | None:
    return await find_document(
        _runtime(request).db, request.match_info["doc_id"], request.query.get("k", "")
    )


def _render(language: str, body: str, status: int = 200) -> web.Response:
    text = PAGE.format(lang=html.escape(language), title=_t(language, "title"), body=body)
    return web.Response(text=text, content_type="text/html", status=status, headers=HEADERS)


def _details(language: str, runtime: Runtime, doc: Document) -> str:
    content = doc.content
    names = "、".join(mask_name(str(p.get("name", ""))) for p in content.get("parties", []))
    sealed = (
        doc.sealed_at.astimezone(runtime.settings.tz).strftime("%Y-%m-%d %H:%M")
        if doc.sealed_at
        else ""
    )
    status = "effective" if doc.status == "effective" else "void"
    rows = [
        ("document", KIND_TITLES.get(doc.kind, doc.kind)),
        ("number", f"{content.get('case_no', '')} · v{doc.version}"),
        ("committee", str(content.get("committee", {}).get("name", ""))),
        ("parties", names),
        ("sealed_at", sealed),
        ("file_sha", doc.pdf_sha256 or ""),
        ("certificate", services_of(runtime.shared).sealer.fingerprint),
    ]
    items = "".join(
        f"<dt>{_t(language, 'field_' + k)}</dt><dd><code>{html.escape(v)}</code></dd>"
        if k in ("file_sha", "certificate")
        else f"<dt>{_t(language, 'field_' + k)}</dt><dd>{html.escape(v)}</dd>"
        for k, v in rows
    )
    css = "ok" if status == "effective" else "bad"
    return (
        f'<p class="result {css}">{_t(language, "status_" + status)}</p><dl>{items}</dl>'
        f"<p>{_t(language, 'self_signed_note')}</p>"
    )


def _form(language: str, request: web.Request) -> str:
    action = html.escape(f"{request.path}?k={request.query.get('k', '')}", quote=True)
    return (
        f"<h2>{_t(language, 'upload_title')}</h2><p>{_t(language, 'upload_hint')}</p>"
        f'<form method="post" enctype="multipart/form-data" action="{action}">'
        f'<input type="file" name="file" accept="application/pdf" required> '
        f'<button type="submit">{_t(language, "upload_button")}</button></form>'
    )


async def show(request: web.Request) -> web.Response:
    language = _language(request)
    doc = await _find(request)
    if doc is None:
        return _not_found(language)
    details = _details(language, _runtime(request), doc)
    return _render(language, details + _form(language, request))


def _not_found(language: str) -> web.Response:
    return _render(language, f"<p>{_t(language, 'not_found')}</p>", 404)


async def _upload(request: web.Request) -> bytes | None:
    reader = await request.multipart()
    async for part in reader:
        if getattr(part, "name", None) != "file":
            continue
        data = bytearray()
        while chunk := await part.read_chunk(65536):  # type: ignore[union-attr]
            data += chunk
            if len(data) > MAX_UPLOAD:
                raise web.HTTPRequestEntityTooLarge(MAX_UPLOAD, len(data))
        return bytes(data)
    return None


async def check(request: web.Request) -> web.Response:
    """Re-check an uploaded copy against the seal and the issued file's SHA-256."""
    language = _language(request)
    runtime = _runtime(request)
    doc = await _find(request)
    if doc is None:
        # Counted against nothing: junk POSTs to made-up ids used up the limit everyone
        # shared, and a genuine upload got 429 (issue 21).
        return _not_found(language)
    wait = await _limited(request, doc)
    if wait > 0:
        response = error_response(request, 429, "too_many", minutes=max(1, round(wait / 60)))
        response.headers["Retry-After"] = str(max(1, int(wait)))
        return response
    try:
        pdf = await _upload(request)
    except (ValueError, AssertionError):
        pdf = None
    if not pdf:
        return _render(
            language, f"<p>{_t(language, 'no_file')}</p>" + _form(language, request), 400
        )
    if not is_pdf(pdf):  # by content, not by the file's name
        message = html.escape(translate(language, "security.unsupported_type"))
        return _render(language, f"<p>{message}</p>" + _form(language, request), 415)
    sealer = services_of(runtime.shared).sealer
    try:
        # In a worker process, within a time and object budget (documents.verify_pool): a
        # hostile PDF froze the whole service for 15 s on the event loop (issue 21).
        result = await request.app[POOL].verify(pdf, trusted=[sealer.certificate_pem])
    except VerifyBusy:
        response = error_response(request, 503, "unavailable")
        response.headers["Retry-After"] = "5"
        return response
    same = hmac.compare_digest(result.sha256, doc.pdf_sha256 or "")
    if result.ok and same:
        verdict = f'<p class="result ok">{_t(language, "match")}</p>'
    else:
        why = result.status.value if not result.ok else "different"
        reason = Msg(f"agreements.verify.reason_{why}")
        verdict = f'<p class="result bad">{_t(language, "mismatch", reason=reason)}</p>'
    uploaded = f"<p>{_t(language, 'uploaded_sha')} <code>{html.escape(result.sha256)}</code></p>"
    return _render(
        language, verdict + uploaded + _details(language, runtime, doc) + _form(language, request)
    )


async def _limited(request: web.Request, doc: Document) -> float:
    """Seconds to wait before this upload may be checked (0: counted, go ahead): per client
    address, and per document (so one link's holder cannot block the others')."""
    from web.security import client_address

    per_address, per_document = request.app[LIMITS]
    wait = await per_address.retry_after(client_address(request))
    if wait > 0:
        return wait
    return await per_document.retry_after(doc.public_id)


def setup(app: web.Application, runtime: Runtime) -> None:
    """The feature's web part, registered once in its package's ``register``."""
    pool = VerifyPool()
    app[POOL] = pool

    async def close(_: web.Application) -> None:
        await pool.close()

    app.on_cleanup.append(close)
    app.router.add_get("/verify/{doc_id}", show)
    app.router.add_post("/verify/{doc_id}", check)
