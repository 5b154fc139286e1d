"""SMS providers for the browser chat's login codes: Aliyun SMS and Tencent Cloud SMS.

Each adapter speaks the provider's published HTTP API with its own request signing, over
aiohttp (no vendor SDK), and implements :class:`features.webchat.otp.SmsGateway`:

- **Aliyun** (阿里云短信, ``dysmsapi`` 2017-05-25, ``SendSms``): an RPC-style request whose
  parameters are signed with HMAC-SHA1 (signature version 1.0): the sorted parameters,
  percent-encoded per RFC 3986, form the canonical query; the string to sign is
  ``METHOD&%2F&`` + that query percent-encoded again; the key is the AccessKey secret + ``&``.
- **Tencent Cloud** (腾讯云短信, API 3.0, ``sms`` 2021-01-11, ``SendSms``): a JSON POST signed
  with TC3-HMAC-SHA256: a canonical request (method, path, query, the ``content-type`` and
  ``host`` headers, the payload's SHA-256) hashed into a string to sign, and a key derived by
  HMAC chaining ``"TC3" + secret`` → date → ``sms`` → ``tc3_request``.

Codes never reach the log; a refusal by the provider is logged by its error code only, and the
person is told to try again (:class:`SmsError`). Tested against local stand-ins that verify
both signatures (tests/webchat/sms_standins.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import aiohttp

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=10)


class SmsError(Exception):
    """The code could not be sent (provider refused, unreachable, not configured)."""


def _now() -> datetime:
    return datetime.now(UTC)


# -- Aliyun ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmsAccount:
    """The provider account a gateway sends through, as the ``SMS_*`` settings give it: the
    same fields for both providers (Tencent's ``app_id`` is its SmsSdkAppId)."""

    endpoint: str
    key_id: str
    secret: str = field(repr=False)
    sign_name: str
    #: The approved template of login codes.
    template: str
    region: str
    app_id: str = ""
    #: The approved template of invitations (the unit, the code); "" when none.
    invite_template: str = ""


class _ProviderSms:
    """What both providers' gateways share: the account, the endpoint, and invitations only
    through the provider's second approved template."""

    def __init__(self, account: SmsAccount) -> None:
        self.account = account
        self.endpoint = account.endpoint.rstrip("/") + "/"
        self.invites = bool(account.invite_template)

    def _invite_template(self) -> str:
        if not self.invites:
            raise SmsError("SMS_INVITE_TEMPLATE is not set")
        return self.account.invite_template


def aliyun_encode(value: str) -> str:
    """Percent-encoding of Aliyun's RPC signature: RFC 3986 unreserved characters kept."""
    return quote(value, safe="-_.~")


def aliyun_signature(params: Mapping[str, str], secret: str, method: str = "POST") -> str:
    canonical = "&".join(
        f"{aliyun_encode(k)}={aliyun_encode(v)}" for k, v in sorted(params.items())
    )
    to_sign = f"{method}&{aliyun_encode('/')}&{aliyun_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms(_ProviderSms):
    def params(
        self,
        phone: str,
        code: str,
        now: datetime,
        nonce: str,
        *,
        template: str | None = None,
        values: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """The signed request: the login template with ``code``, or ``template`` with
        ``values`` (an invitation)."""
        filled = values if values is not None else {"code": code}
        params = {
            "AccessKeyId": self.account.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": self.account.region,
            "SignName": self.account.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "TemplateCode": template or self.account.template,
            "TemplateParam": json.dumps(filled, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(params, self.account.secret)
        return params

    async def send(self, phone: str, code: str, language: str) -> None:
        params = self.params(phone, code, _now(), secrets.token_hex(16))
        data = await _post(self.endpoint, data=params, provider="aliyun")
        if data.get("Code") != "OK":
            log.error("Aliyun SMS refused the login code: %s", str(data.get("Code"))[:80])
            raise SmsError(str(data.get("Code")))

    async def send_invitation(self, phone: str, unit: str, code: str, language: str) -> None:
        template, values = self._invite_template(), {"unit": unit, "code": code}
        params = self.params(
            phone, code, _now(), secrets.token_hex(16), template=template, values=values
        )
        data = await _post(self.endpoint, data=params, provider="aliyun")
        if data.get("Code") != "OK":
            log.error("Aliyun SMS refused an invitation: %s", str(data.get("Code"))[:80])
            raise SmsError(str(data.get("Code")))


# -- Tencent Cloud ---------------------------------------------------------------------------

TENCENT_SERVICE = "sms"
TENCENT_VERSION = "2021-01-11"
TENCENT_CONTENT_TYPE = "application/json; charset=utf-8"


def tencent_authorization(
    secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int
) -> str:
    """The ``Authorization`` header of a TC3-HMAC-SHA256 signed POST to ``/``."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signed_headers = "content-type;host"
    canonical = "\n".join(
        (
            "POST",
            "/",
            "",
            f"content-type:{TENCENT_CONTENT_TYPE}\nhost:{host}\n",
            signed_headers,
            hashlib.sha256(payload).hexdigest(),
        )
    )
    scope = f"{date}/{TENCENT_SERVICE}/tc3_request"
    to_sign = "\n".join(
        (
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        )
    )

    def mac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(f"TC3{secret_key}".encode(), date), TENCENT_SERVICE), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )


class TencentSms(_ProviderSms):
    def __init__(self, account: SmsAccount) -> None:
        super().__init__(account)
        self.host = self.endpoint.split("://", 1)[1].rstrip("/")

    def request(
        self,
        phone: str,
        code: str,
        timestamp: int,
        *,
        template: str | None = None,
        values: list[str] | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The signed request: the login template with ``code``, or ``template`` with
        ``values`` in order (an invitation)."""
        payload = json.dumps(
            {
                "PhoneNumberSet": [f"+86{phone}"],
                "SmsSdkAppId": self.account.app_id,
                "SignName": self.account.sign_name,
                "TemplateId": template or self.account.template,
                "TemplateParamSet": values if values is not None else [code],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        headers = {
            "Authorization": tencent_authorization(
                self.account.key_id, self.account.secret, self.host, payload, timestamp
            ),
            "Content-Type": TENCENT_CONTENT_TYPE,
            "Host": self.host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": TENCENT_VERSION,
            "X-TC-Region": self.account.region,
        }
        return payload, headers

    async def send(self, phone: str, code: str, language: str) -> None:
        payload, headers = self.request(phone, code, int(_now().timestamp()))
        await self._send(payload, headers, "the login code")

    async def send_invitation(self, phone: str, unit: str, code: str, language: str) -> None:
        template, values = self._invite_template(), [unit, code]
        payload, headers = self.request(
            phone, code, int(_now().timestamp()), template=template, values=values
        )
        await self._send(payload, headers, "an invitation")

    async def _send(self, payload: bytes, headers: dict[str, str], what: str) -> None:
        data = await _post(self.endpoint, data=payload, headers=headers, provider="tencent")
        response = data.get("Response")
        response = response if isinstance(response, dict) else {}
        error = response.get("Error")
        statuses = response.get("SendStatusSet")
        first = statuses[0] if isinstance(statuses, list) and statuses else {}
        if error or not isinstance(first, dict) or first.get("Code") != "Ok":
            code = error.get("Code") if isinstance(error, dict) else first.get("Code")
            log.error("Tencent Cloud SMS refused %s: %s", what, str(code)[:80])
            raise SmsError(str(code))


async def _post(
    url: str, *, data: Any, headers: Mapping[str, str] | None = None, provider: str
) -> dict[str, Any]:
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            async with http.post(url, data=data, headers=headers) as response:
                body = await response.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.error("%s SMS unreachable: %s", provider, type(exc).__name__)
        raise SmsError("unreachable") from None
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        log.error("%s SMS answered %s without JSON", provider, response.status)
        raise SmsError(f"HTTP {response.status}")
    return parsed
