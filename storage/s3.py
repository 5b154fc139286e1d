"""``S3FileStore``: files in a bucket of any S3-compatible service (AWS S3, MinIO, Ceph RGW…).

Why our own client: the service needs five calls (PUT, GET, HEAD, DELETE object and
ListObjectsV2), and boto3 would bring a second HTTP stack and a thread pool beside aiohttp.
Requests are signed with AWS Signature Version 4 (the payload's SHA-256 is signed too, so a
body altered on the way is refused). Both addressing styles work: path style
(``https://host/bucket/key``, what MinIO and Ceph expect by default) and virtual-hosted style
(``https://bucket.host/key``, AWS's preference).

Failures: 5xx answers, 429/503 "slow down", connection errors and timeouts are retried with
exponential backoff and jitter (``retries`` attempts in all); anything else raises at once with
the service's error code and message, and for the usual configuration mistakes (wrong secret,
unknown key id, missing bucket, clock skew) a sentence naming the variable to check.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
from yarl import URL

from storage.files import CHUNK, FileStoreError, MissingFile, StoredObject, check_key

log = logging.getLogger(__name__)

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: What to check when the service names one of these error codes.
HINTS = {
    "SignatureDoesNotMatch": "the request signature was refused: check S3_SECRET_ACCESS_KEY",
    "InvalidAccessKeyId": "the access key id is unknown to the service: check S3_ACCESS_KEY_ID",
    "AccessDenied": "access denied: the key lacks permission on the bucket (or the key is wrong)",
    "NoSuchBucket": "the bucket does not exist: check S3_BUCKET (create it first)",
    "RequestTimeTooSkewed": "this machine's clock differs too much from the service's",
    "AuthorizationHeaderMalformed": "the region in the signature is wrong: check S3_REGION",
    "PermanentRedirect": "the bucket lives at another endpoint: check S3_ENDPOINT_URL/S3_REGION",
}


class S3Error(FileStoreError):
    """An S3 request that failed for good; ``status`` and ``code`` as the service sent them."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class S3Config:
    endpoint_url: str
    bucket: str
    region: str
    access_key_id: str
    secret_access_key: str
    prefix: str = ""
    addressing: str = "path"  # or "virtual"
    timeout: float = 30.0
    retries: int = 4
    backoff: float = 0.2

    @classmethod
    def from_settings(cls, settings: Any) -> S3Config:
        return cls(
            endpoint_url=settings.s3_endpoint_url,
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            prefix=settings.s3_prefix,
            addressing=settings.s3_addressing,
        )


# ---------------------------------------------------------------------- SigV4


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def uri_encode(text: str, *, slash: bool = False) -> str:
    """RFC 3986 encoding as SigV4 wants it (unreserved characters kept; ``/`` when asked)."""
    return quote(text, safe="-_.~" + ("/" if slash else ""))


def sign(
    *,
    method: str,
    url: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    payload_sha256: str,
    access_key_id: str,
    secret_access_key: str,
    region: str,
    service: str = "s3",
    now: datetime | None = None,
) -> dict[str, str]:
    """Headers to send (``Host``, ``x-amz-date``, ``x-amz-content-sha256``, ``Authorization``).

    ``url`` is scheme://host[:port]/already-encoded-path (no query: that is ``query``).
    """
    now = now or datetime.now(UTC)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    parts = urlsplit(url)
    out = {k.lower(): v.strip() for k, v in headers.items()}
    out["host"] = parts.netloc
    out["x-amz-date"] = amz_date
    out["x-amz-content-sha256"] = payload_sha256
    names = sorted(out)
    canonical_headers = "".join(f"{n}:{out[n]}\n" for n in names)
    signed_headers = ";".join(names)
    canonical_query = "&".join(f"{uri_encode(k)}={uri_encode(v)}" for k, v in sorted(query.items()))
    canonical = "\n".join(
        [
            method,
            parts.path or "/",
            canonical_query,
            canonical_headers,
            signed_headers,
            payload_sha256,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            amz_date,
            scope,
            hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        ]
    )
    key = _hmac(("AWS4" + secret_access_key).encode("utf-8"), day)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    out["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return out


def _error_of(status: int, body: bytes) -> tuple[str, str]:
    """(code, message) from an S3 XML error body (HEAD answers have none)."""
    try:
        root = ET.fromstring(body) if body else None
    except ET.ParseError:
        root = None
    if root is None:
        return "", body[:200].decode("utf-8", "replace")
    code = root.findtext("Code") or ""
    return code, root.findtext("Message") or ""


# ---------------------------------------------------------------------- the store


class S3FileStore:
    """:class:`storage.files.FileStore` over an S3 bucket; keys go under ``prefix``."""

    kind = "s3"

    def __init__(self, config: S3Config, *, session: aiohttp.ClientSession | None = None) -> None:
        self.config = config
        self._session = session
        self._own_session = session is None
        self.prefix = config.prefix.strip("/") + "/" if config.prefix.strip("/") else ""
        endpoint = urlsplit(config.endpoint_url.rstrip("/"))
        self._scheme = endpoint.scheme
        self._host = endpoint.netloc
        self._base_path = endpoint.path.rstrip("/")
        #: Requests made, retries taken (tests and logs).
        self.requests = 0
        self.retried = 0

    def __repr__(self) -> str:
        return f"S3FileStore({self.config.endpoint_url!r}, bucket={self.config.bucket!r})"

    def local_path(self, key: str) -> Path | None:
        return None

    def describe(self) -> str:
        return f"s3://{self.config.bucket}/{self.prefix}"

    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.timeout),
                auto_decompress=False,
            )
            self._own_session = True
        return self._session

    async def close(self) -> None:
        if self._session is not None and self._own_session and not self._session.closed:
            await self._session.close()

    # ------------------------------------------------------------------ requests

    def _url(self, key: str | None) -> str:
        """Encoded URL of the bucket (``key`` None) or of an object."""
        path = "/" + uri_encode(self.prefix + key, slash=True) if key is not None else "/"
        bucket = self.config.bucket
        if self.config.addressing == "virtual":
            return f"{self._scheme}://{bucket}.{self._host}{self._base_path}{path}"
        return f"{self._scheme}://{self._host}{self._base_path}/{bucket}{path if key else ''}"

    def _signed(
        self,
        method: str,
        url: str,
        query: Mapping[str, str],
        body: bytes,
        extra: Mapping[str, str],
    ) -> dict[str, str]:
        return sign(
            method=method,
            url=url,
            query=query,
            headers=extra,
            payload_sha256=hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256,
            access_key_id=self.config.access_key_id,
            secret_access_key=self.config.secret_access_key,
            region=self.config.region,
        )

    async def _request(
        self,
        method: str,
        key: str | None,
        *,
        query: Mapping[str, str] | None = None,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One call with retries; returns (status, headers, body) for a status in ``ok``."""
        query = dict(query or {})
        url = self._url(key)
        full = url + (
            "?" + "&".join(f"{uri_encode(k)}={uri_encode(v)}" for k, v in sorted(query.items()))
            if query
            else ""
        )
        http = await self._http()
        attempts = max(1, self.config.retries)
        what = f"{method} {self._describe_target(key)}"
        for attempt in range(attempts):
            signed = self._signed(method, url, query, body, headers or {})
            self.requests += 1
            try:
                async with http.request(
                    method,
                    URL(full, encoded=True),
                    data=body if body else None,
                    headers=signed,
                    allow_redirects=False,
                ) as resp:
                    data = b"" if method == "HEAD" else await resp.read()
                    if resp.status in ok:
                        return resp.status, resp.headers, data
                    if resp.status not in RETRY_STATUSES or attempt == attempts - 1:
                        raise self._failure(what, resp.status, data, key)
                    reason = f"HTTP {resp.status}"
            except (TimeoutError, aiohttp.ClientError) as exc:
                if attempt == attempts - 1:
                    raise S3Error(
                        f"S3 {what} failed after {attempts} attempts: {exc!r} "
                        f"(is S3_ENDPOINT_URL={self.config.endpoint_url} reachable?)"
                    ) from exc
                reason = repr(exc)
            self.retried += 1
            delay = self.config.backoff * (2**attempt) * (0.5 + random.random())
            log.warning("S3 %s: %s; retrying in %.2fs", what, reason, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _describe_target(self, key: str | None) -> str:
        return f"s3://{self.config.bucket}/{self.prefix}{key or ''}"

    def _failure(self, what: str, status: int, body: bytes, key: str | None) -> FileStoreError:
        code, message = _error_of(status, body)
        if status == 404 and code in ("", "NoSuchKey") and key is not None:
            return MissingFile(key)
        if not code and status == 403:
            code = "AccessDenied"  # HEAD answers carry no body
        hint = HINTS.get(code, "")
        text = f"S3 {what} failed: HTTP {status}"
        if code:
            text += f" {code}"
        if message:
            text += f" ({message})"
        if hint:
            text += f" — {hint}"
        return S3Error(text, status=status, code=code)

    # ------------------------------------------------------------------ FileStore

    async def put(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        headers = {"content-type": content_type or "application/octet-stream"}
        await self._request("PUT", check_key(key), body=bytes(data), headers=headers)

    async def get(self, key: str) -> bytes:
        _status, _headers, body = await self._request("GET", check_key(key))
        return body

    async def read_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``start``..``end`` inclusive (an HTTP Range read)."""
        _s, _h, body = await self._request(
            "GET", check_key(key), headers={"range": f"bytes={start}-{end}"}, ok=(200, 206)
        )
        return body

    async def stream(self, key: str, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        """The object in ranged pieces: retried per piece, never all in memory."""
        total = await self.size(key)
        if total is None:
            raise MissingFile(key)
        step = max(chunk_size, 1024 * 1024)
        for start in range(0, total, step):
            yield await self.read_range(key, start, min(total, start + step) - 1)

    async def size(self, key: str) -> int | None:
        try:
            _s, headers, _b = await self._request("HEAD", check_key(key))
        except MissingFile:
            return None
        return int(headers.get("Content-Length", "0"))

    async def exists(self, key: str) -> bool:
        return await self.size(key) is not None

    async def delete(self, key: str) -> None:
        await self._request("DELETE", check_key(key), ok=(200, 204))

    async def list(self, prefix: str = "") -> list[StoredObject]:
        found: list[StoredObject] = []
        token: str | None = None
        while True:
            query = {"list-type": "2", "prefix": self.prefix + prefix}
            if token:
                query["continuation-token"] = token
            _s, _h, body = await self._request("GET", None, query=query)
            root = ET.fromstring(body)
            ns = root.tag.split("}", 1)[0] + "}" if root.tag.startswith("{") else ""
            for item in root.iter(f"{ns}Contents"):
                name = item.findtext(f"{ns}Key") or ""
                found.append(
                    StoredObject(
                        name.removeprefix(self.prefix), int(item.findtext(f"{ns}Size") or 0)
                    )
                )
            token = root.findtext(f"{ns}NextContinuationToken")
            if root.findtext(f"{ns}IsTruncated") != "true" or not token:
                return found

    async def create_bucket(self) -> None:
        """Create the bucket (tests, first set-up); an existing one of ours is fine."""
        body = b""
        if self.config.region != "us-east-1":
            body = (
                '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<LocationConstraint>{self.config.region}</LocationConstraint>"
                "</CreateBucketConfiguration>"
            ).encode()
        try:
            await self._request("PUT", None, body=body)
        except S3Error as exc:
            if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
