"""Local stand-ins of Aliyun SMS and Tencent Cloud SMS that check request signatures.

Written from the providers' published signing descriptions, independently of the adapters
(features.webchat.sms): they recompute the signature from what arrived on the wire (the form
body as parsed, the raw JSON bytes, the ``Host`` header) and answer as the provider does —
``{"Code": "OK"}`` / ``SignatureDoesNotMatch`` for Aliyun, ``SendStatusSet`` /
``AuthFailure.SignatureFailure`` for Tencent. Accepted messages are kept in ``sent``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web

from tests.e2e.harness import free_port


@dataclass
class SmsStandin:
    key_id: str
    secret: str
    sent: list[tuple[str, str]] = field(default_factory=list)
    #: Every accepted message as (phone, template, its parameters in the provider's form).
    messages: list[tuple[str, str, object]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(
        self, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> SmsStandin:
        app = web.Application()
        app.router.add_post("/", handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def _pct(value: str) -> str:
    # RFC 3986: everything but A-Z a-z 0-9 - _ . ~ is %XX (space → %20, * → %2A, ~ kept).
    out = []
    for byte in value.encode("utf-8"):
        ch = chr(byte)
        if ch.isascii() and (ch.isalnum() or ch in "-_.~"):
            out.append(ch)
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


class AliyunStandin(SmsStandin):
    async def handle(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        params = {k: str(v) for k, v in form.items()}
        given = params.pop("Signature", "")
        query = "&".join(f"{_pct(k)}={_pct(params[k])}" for k in sorted(params))
        to_sign = "POST&%2F&" + _pct(query)
        mac = hmac.new((self.secret + "&").encode(), to_sign.encode(), hashlib.sha1)
        expected = base64.b64encode(mac.digest()).decode()
        stamp = datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ")
        fresh = abs(time.time() - stamp.replace(tzinfo=UTC).timestamp()) < 900
        if (
            params.get("AccessKeyId") != self.key_id
            or not hmac.compare_digest(given, expected)
            or not fresh
            or params.get("SignatureMethod") != "HMAC-SHA1"
            or params.get("Action") != "SendSms"
        ):
            self.refused.append("SignatureDoesNotMatch")
            return web.json_response(
                {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"},
                status=400,
            )
        filled = json.loads(params["TemplateParam"])
        self.sent.append((params["PhoneNumbers"], filled["code"]))
        self.messages.append((params["PhoneNumbers"], params["TemplateCode"], filled))
        return web.json_response({"Code": "OK", "Message": "OK", "BizId": "1", "RequestId": "r"})


class TencentStandin(SmsStandin):
    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        auth = request.headers.get("Authorization", "")
        stamp = int(request.headers.get("X-TC-Timestamp", "0"))
        date = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")
        fields = dict(
            part.strip().split("=", 1) for part in auth.removeprefix("TC3-HMAC-SHA256 ").split(",")
        )
        signed = fields.get("SignedHeaders", "")
        # Header names and values lower-cased and trimmed, each line ending in a newline.
        headers = "".join(
            f"{name}:{request.headers.get(name, '').strip().lower()}\n"
            for name in signed.split(";")
        )
        canonical = f"POST\n/\n\n{headers}\n{signed}\n" + hashlib.sha256(body).hexdigest()
        scope = f"{date}/sms/tc3_request"
        to_sign = (
            f"TC3-HMAC-SHA256\n{stamp}\n{scope}\n" + hashlib.sha256(canonical.encode()).hexdigest()
        )
        k = hmac.new(("TC3" + self.secret).encode(), date.encode(), hashlib.sha256).digest()
        k = hmac.new(k, b"sms", hashlib.sha256).digest()
        k = hmac.new(k, b"tc3_request", hashlib.sha256).digest()
        expected = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        if (
            fields.get("Credential") != f"{self.key_id}/{scope}"
            or "host" not in signed.split(";")
            or not hmac.compare_digest(fields.get("Signature", ""), expected)
            or abs(time.time() - stamp) > 300
            or request.headers.get("X-TC-Action") != "SendSms"
        ):
            self.refused.append("AuthFailure.SignatureFailure")
            return web.json_response(
                {
                    "Response": {
                        "Error": {"Code": "AuthFailure.SignatureFailure", "Message": "x"},
                        "RequestId": "r",
                    }
                }
            )
        data = json.loads(body)
        phone = data["PhoneNumberSet"][0].removeprefix("+86")
        self.sent.append((phone, data["TemplateParamSet"][0]))
        self.messages.append((phone, data["TemplateId"], data["TemplateParamSet"]))
        return web.json_response(
            {"Response": {"SendStatusSet": [{"Code": "Ok", "Message": "send success"}]}}
        )
