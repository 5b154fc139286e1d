"""Security headers on every response, clear error pages, and the public upload of /verify:
checked by content (a PDF by its first bytes, not its name), limited in size and rate, with a
clear page in the person's language each time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer

from tests.conftest import fresh_database
from tests.console.conftest import World, make_world
from tests.security.conftest import verifiable_agreement
from web.security import VERIFY_PER_ADDRESS, is_pdf

KEY = "the-verify-key"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    db = await fresh_database(f"sqlite+aiosqlite:///{tmp_path / 'web.db'}")
    world = await make_world(db, tmp_path)
    async with db.write() as session:
        session.add(
            verifiable_agreement(
                world.cases["wage"],
                KEY,
                content={"parties": [{"name": "张三"}]},
                pdf_sha256="1" * 64,
            )
        )
    yield world
    await db.dispose()


@pytest.fixture
async def client(world: World) -> AsyncIterator[TestClient[Any, Any]]:
    from web.app import create_app

    async with TestClient(TestServer(create_app(world.runtime))) as c:
        yield c


async def test_the_site_icon_is_served(client: TestClient[Any, Any]) -> None:
    """Without a browser (tests/webchat/test_favicon.py has one): no 404 for /favicon.ico."""
    resp = await client.get("/favicon.ico")
    assert resp.status == 200 and resp.content_type == "image/x-icon"
    assert (await resp.read())[:4] == b"\x00\x00\x01\x00"


async def test_every_response_carries_the_security_headers(client: TestClient[Any, Any]) -> None:
    for path in (
        "/",
        "/healthz",
        "/favicon.ico",
        "/staff/login",
        "/verify/doc1",
        "/nothing-here",
        "/webapp/sign",
    ):
        resp = await client.get(path)
        headers = resp.headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers.get("Referrer-Policy") in ("no-referrer", "same-origin"), path
        csp = headers["Content-Security-Policy"]
        assert "default-src" in csp, path
        if path == "/webapp/sign":  # Telegram's web client frames the Mini App
            assert "https://web.telegram.org" in csp and "X-Frame-Options" not in headers
        else:
            assert headers.get("X-Frame-Options") == "DENY", path


async def test_errors_are_clear_pages_or_json_in_the_callers_language(
    client: TestClient[Any, Any],
) -> None:
    resp = await client.get("/no/such/page")
    body = await resp.text()
    assert resp.status == 404 and 'lang="zh-CN"' in body and "页面不存在" in body
    assert "404: Not Found" not in body
    resp = await client.get("/no/such/page", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert "There is no such page" in await resp.text()
    resp = await client.get("/no/such/page", headers={"Accept": "application/json"})
    assert resp.status == 404 and (await resp.json())["error"] == "not_found"
    resp = await client.request("PATCH", "/healthz")
    assert resp.status == 405 and "不支持这种请求方式" in await resp.text()
    assert "GET" in resp.headers.get("Allow", "")
    # A broken form body is a 400 page, not an exception in the CSRF check.
    resp = await client.post(
        "/staff/login",
        data=b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nunterminated',
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert resp.status == 400 and "请求无法识别" in await resp.text()
    # NUL characters (PostgreSQL refuses them in text) are a 400 wherever they come.
    for path in ("/verify/%00", "/staff/cases?q=a%00b"):
        assert (await client.get(path)).status == 400, path
    resp = await client.post("/staff/login", data={"username": "a\x00", "password": "x"})
    assert resp.status == 400


def _pdf_form(data: bytes, name: str = "copy.pdf") -> FormData:
    form = FormData()
    form.add_field("file", data, filename=name, content_type="application/pdf")
    return form


async def test_verify_upload_is_checked_by_content_not_by_name(
    client: TestClient[Any, Any],
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    resp = await client.post(f"/verify/doc1?k={KEY}", data=_pdf_form(png, "scan.pdf"))
    body = await resp.text()
    assert resp.status == 415 and "请上传 PDF 文件" in body
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    resp = await client.post(
        f"/verify/doc1?k={KEY}", data=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}
    )
    assert resp.status == 415  # only a form upload is accepted
    assert is_pdf(b"%PDF-1.7\n...") and is_pdf(b"\n %PDF-1.4") and not is_pdf(b"PK\x03\x04")


async def test_verify_upload_size_limit_has_a_clear_page(client: TestClient[Any, Any]) -> None:
    from features.verify.web import MAX_UPLOAD

    resp = await client.post(
        f"/verify/doc1?k={KEY}", data=_pdf_form(b"%PDF-1.7\n" + b"0" * (MAX_UPLOAD + 10))
    )
    body = await resp.text()
    assert resp.status == 413 and "上传的内容太大" in body and "5 MB" in body


async def test_verify_uploads_are_rate_limited_per_address(client: TestClient[Any, Any]) -> None:
    limit = VERIFY_PER_ADDRESS[0]
    statuses = []
    for _ in range(limit + 2):
        resp = await client.post(f"/verify/doc1?k={KEY}", data=_pdf_form(b"not a pdf"))
        statuses.append(resp.status)
        last = resp
    assert statuses[:limit] == [415] * limit and statuses[limit:] == [429, 429]
    assert "操作过于频繁" in await last.text() and int(last.headers["Retry-After"]) > 0
    # Looking at a page is not limited (404: a wrong key, not 429).
    assert (await client.get("/verify/doc1?k=wrong")).status == 404


async def test_the_security_layer_wraps_every_features_routes(world: World) -> None:
    """``create_app`` mounts each registered feature's web part, then the security layer
    outermost: its error page, upload and form checks see every route first."""
    from web import security
    from web.app import create_app

    app = create_app(world.runtime)
    assert world.runtime.web_setups, "no feature registered a web part"
    assert list(app.middlewares[:3]) == [
        security.error_middleware,
        security.upload_middleware,
        security.form_middleware,
    ]
    paths = {
        r.get_info().get("path") or r.get_info().get("formatter") for r in app.router.resources()
    }
    assert {"/verify/{doc_id}", "/staff"} <= paths
