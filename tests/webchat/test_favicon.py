"""The site has an icon: ``/favicon.ico`` (which browsers ask for on their own) and the SVG the
pages name, both shipped under ``web/static`` (nothing from a CDN). Before, ``/favicon.ico``
was a 404 on every page a person opened."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.webchat.harness import TALL_PHONE, standin_chat

LOAD_ICON = """href => new Promise(done => {
  const img = new Image();
  img.onload = () => done(img.naturalWidth);
  img.onerror = () => done(0);
  img.src = href;
})"""


@pytest.mark.browser
async def test_the_pages_have_an_icon_and_favicon_ico_is_served(
    tmp_path: Path, browser: Any
) -> None:
    async with standin_chat(tmp_path / "var") as (_standin, _runtime, base, _gateway):
        context = await browser.new_context(viewport=TALL_PHONE, locale="zh-CN")
        page = await context.new_page()

        ico = await page.goto(base + "/favicon.ico")
        assert ico is not None and ico.status == 200
        assert ico.headers["content-type"] == "image/x-icon"
        assert "max-age" in ico.headers["cache-control"]
        assert ico.headers["x-content-type-options"] == "nosniff"  # the security layer's too
        body = await ico.body()
        assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
        with Image.open(io.BytesIO(body)) as image:
            assert {(16, 16), (32, 32)} <= set(image.info["sizes"])

        for path in ("/chat", "/"):
            await page.goto(base + path)
            href = await page.get_attribute('link[rel="icon"]', "href")
            assert href == "/favicon.svg", path
            # The page's own policy lets it load (img-src 'self'), and it is a picture.
            assert await page.evaluate(LOAD_ICON, href) > 0, path
        svg = await page.request.get(base + "/favicon.svg")
        assert svg.status == 200 and svg.headers["content-type"] == "image/svg+xml"
        assert (await svg.text()).startswith("<svg")
        await context.close()
