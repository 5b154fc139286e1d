"""A seeded generator of hostile HTTP requests for every route of the aiohttp app.

Why seeded ``random`` rather than hypothesis here: each example is a real HTTP round trip
against a running app with a database behind it; a fixed seed makes a failure reproducible
(``FUZZ_SEED``) and the number of requests per route exact (``FUZZ_PER_ROUTE``).
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
NASTY = (
    "",
    " ",
    "\x00",
    "../../etc/passwd",
    "%2e%2e%2f",
    "'; DROP TABLE cases; --",
    "<script>alert(1)</script>",
    "\u202e\u05d0\u05d1\u05d2",  # right-to-left override + Hebrew
    "𝕏" * 50,
    "👨‍👩‍👧‍👦" * 20,
    "\ud800",  # a lone surrogate (not encodable as UTF-8)
    "9" * 400,
    "-1",
    "0",
    "1e309",
    "NaN",
    "null",
    "[]",
    "{}",
    "true",
    "调解" * 300,
    "\r\nX-Injected: 1",
    "a" * 70_000,
)
CONTENT_TYPES = (
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "text/plain",
    "application/octet-stream",
    "image/png",
    "application/pdf",
    "",
    "garbage/;;;==",
)


@dataclass
class Route:
    method: str
    template: str  # e.g. /verify/{doc_id}
    names: list[str] = field(default_factory=list)


def all_routes(app: web.Application) -> list[Route]:
    """Every route of the app and its sub-apps (new routes are covered automatically)."""
    out: list[Route] = []
    for resource in app.router.resources():
        info = resource.get_info()
        if "app" in info:
            out += all_routes(info["app"])
            continue
        template = resource.canonical
        if "directory" in info:  # static files
            template = template.rstrip("/") + "/{filename}"
        names = [p.split("}")[0].split(":")[0] for p in template.split("{")[1:]]
        methods = {r.method for r in resource if r.method != "HEAD"} or {"GET"}
        out += [Route(m, template, names) for m in sorted(methods)]
    return out


class Generator:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def text(self, max_size: int = 60) -> str:
        r = self.r
        if r.random() < 0.3:
            return r.choice(NASTY)
        alphabet = r.choice(
            [
                string.printable,
                "调解协议书申请人被申请人身份证",
                "".join(chr(c) for c in range(0x20, 0x3000, 37)),
                string.digits,
            ]
        )
        return "".join(r.choice(alphabet) for _ in range(r.randint(0, max_size)))

    def safe(self, value: str) -> str:
        return value.encode("utf-8", "replace").decode("utf-8")

    def path(self, route: Route) -> str:
        path = route.template
        for name in route.names:
            value = self.text(40) if self.r.random() < 0.7 else str(self.r.randint(-5, 10**12))
            path = path.replace("{" + name + "}", quote(self.safe(value), safe="") or "x", 1)
            path = path.replace("{" + name + ":.*}", quote(self.safe(value), safe="") or "x", 1)
        return path

    def query(self) -> str:
        pairs = []
        for _ in range(self.r.randint(0, 5)):
            key = self.r.choice(["k", "d", "v", "lang", "q", "page", "next", "id", "status"])
            if self.r.random() < 0.3:
                key = self.text(10)
            pairs.append(f"{quote(self.safe(key))}={quote(self.safe(self.text(80)))}")
        if self.r.random() < 0.1:
            pairs.append("%%%zz=%ff%fe")
        return "&".join(pairs)

    def json_value(self, depth: int = 0) -> Any:
        r = self.r
        kind = r.randint(0, 7 if depth < 3 else 4)
        if kind == 0:
            return None
        if kind == 1:
            return r.choice([True, False, 0, -1, 2**63, 1.5, -1e308])
        if kind in (2, 3, 4):
            return self.safe(self.text())
        if kind == 5:
            return [self.json_value(depth + 1) for _ in range(r.randint(0, 4))]
        keys = ["png", "doc", "sha", "typed_name", "init_data", "text", "phone", "code", "_csrf"]
        return {
            (r.choice(keys) if r.random() < 0.7 else self.safe(self.text(8))): self.json_value(
                depth + 1
            )
            for _ in range(r.randint(0, 5))
        }

    def body(self, csrf: str | None) -> tuple[bytes, str]:
        r = self.r
        content_type = r.choice(CONTENT_TYPES)
        choice = r.randint(0, 5)
        if choice == 0:
            return r.randbytes(r.randint(0, 3000)), content_type
        if choice == 1:
            return json.dumps(self.json_value()).encode(), "application/json"
        if choice in (2, 3):
            fields = {
                r.choice(
                    ["username", "password", "next", "status", "note", "unit", "role", "q", "name"]
                ): self.safe(self.text())
                for _ in range(r.randint(0, 6))
            }
            if csrf and r.random() < 0.8:
                fields["_csrf"] = csrf
            data = "&".join(f"{quote(k)}={quote(v)}" for k, v in fields.items())
            return data.encode(), "application/x-www-form-urlencoded"
        if choice == 4:
            boundary = "b0undary"
            parts = []
            for name in r.sample(["file", "_csrf", "note", "x"], r.randint(0, 3)):
                payload = (
                    (csrf or "").encode()
                    if name == "_csrf"
                    else r.choice(
                        [b"%PDF-1.7\n" + r.randbytes(500), r.randbytes(200), b"", b"\x89PNG\r\n"]
                    )
                )
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                    f'filename="{quote(self.safe(self.text(10)))}.pdf"\r\n'
                    f"Content-Type: application/pdf\r\n\r\n".encode()
                    + payload
                    + b"\r\n"
                )
            body = b"".join(parts) + (f"--{boundary}--\r\n".encode() if r.random() < 0.8 else b"")
            return body, f"multipart/form-data; boundary={boundary}"
        return b"", content_type

    def headers(self) -> dict[str, str]:
        r = self.r
        headers: dict[str, str] = {}
        if r.random() < 0.5:
            headers["Accept"] = r.choice(
                ["application/json", "text/html", "*/*", "garbage", "application/json, text/html"]
            )
        if r.random() < 0.5:
            headers["Accept-Language"] = r.choice(["en", "zh-CN", "xx", ",,,", "en;q=abc", ""])
        if r.random() < 0.3:
            headers["X-Telegram-Init-Data"] = quote(self.safe(self.text(200)), safe="=&")
        if r.random() < 0.2:
            headers["X-Telegram-Bot-Api-Secret-Token"] = quote(self.safe(self.text(30)))
        if r.random() < 0.2:
            headers["Range"] = r.choice(["bytes=0-10", "bytes=-5", "bytes=a-b", "bytes=999999-"])
        if r.random() < 0.2:
            headers["If-Modified-Since"] = r.choice(["yesterday", "Mon, 01 Jan 1990 00:00:00 GMT"])
        if r.random() < 0.1:
            headers["Upgrade"] = "websocket"
            headers["Connection"] = "Upgrade"
        return headers

    def cookies(self) -> dict[str, str]:
        r = self.r
        if r.random() < 0.7:
            return {}
        return {
            r.choice(["AIOHTTP_SESSION", "mediation_session", "chat", self.text(5) or "c"]): quote(
                self.safe(self.text(120))
            )
        }
