"""S3FileStore against a real S3-compatible server (moto), and LocalFileStore on disk."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver

from storage.files import BadKey, LocalFileStore, MissingFile
from storage.s3 import S3Error, S3FileStore
from tests.e2e.harness import free_port
from tests.files.conftest import MotoS3


@asynccontextmanager
async def s3(moto_s3: MotoS3, bucket: str, **overrides: Any) -> AsyncIterator[S3FileStore]:
    store = S3FileStore(moto_s3.config(bucket, **overrides))
    try:
        yield store
    finally:
        await store.close()


async def test_put_get_exists_size_delete(moto_s3: MotoS3, bucket: str) -> None:
    async with s3(moto_s3, bucket) as store:
        key = "evidence/12/voice 1 (证据).webm"  # spaces, brackets, CJK: path encoding is signed
        assert not await store.exists(key)
        await store.put(key, b"OggS-data", content_type="audio/webm")
        assert await store.get(key) == b"OggS-data"
        assert await store.exists(key)
        assert await store.size(key) == 9
        assert [o.key for o in await store.list("evidence/")] == [key]
        await store.delete(key)
        assert not await store.exists(key)
        await store.delete(key)  # deleting a missing key is fine


async def test_overwrite_replaces_the_whole_object(moto_s3: MotoS3, bucket: str) -> None:
    async with s3(moto_s3, bucket) as store:
        await store.put("documents/1/a.pdf", b"%PDF-long first version")
        await store.put("documents/1/a.pdf", b"%PDF-v2")
        assert await store.get("documents/1/a.pdf") == b"%PDF-v2"
        assert await store.size("documents/1/a.pdf") == 7


async def test_missing_key(moto_s3: MotoS3, bucket: str) -> None:
    async with s3(moto_s3, bucket) as store:
        with pytest.raises(MissingFile):
            await store.get("files/web/1/nothing.png")
        assert await store.size("files/web/1/nothing.png") is None
        with pytest.raises(MissingFile):
            async for _ in store.stream("files/web/1/nothing.png"):
                pass
        assert store.retried == 0  # a 404 is an answer, not a fault


async def test_large_file_round_trip_and_stream(moto_s3: MotoS3, bucket: str) -> None:
    data = os.urandom(12 * 1024 * 1024 + 17)
    async with s3(moto_s3, bucket) as store:
        await store.put("backups/big.bin", data)
        assert await store.size("backups/big.bin") == len(data)
        assert await store.get("backups/big.bin") == data
        pieces = [p async for p in store.stream("backups/big.bin")]
        assert len(pieces) > 1 and b"".join(pieces) == data
        assert await store.read_range("backups/big.bin", 5, 9) == data[5:10]


async def test_prefix_keeps_keys_relative(moto_s3: MotoS3, bucket: str) -> None:
    async with (
        s3(moto_s3, bucket, prefix="tenant/prod") as scoped,
        s3(moto_s3, bucket) as whole,
    ):
        await scoped.put("documents/3/x.pdf", b"%PDF")
        assert [o.key for o in await scoped.list()] == ["documents/3/x.pdf"]
        assert await whole.get("tenant/prod/documents/3/x.pdf") == b"%PDF"


class _Loopback(AbstractResolver):
    """Every name resolves to 127.0.0.1 (``<bucket>.localhost`` for virtual-hosted style)."""

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> Any:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        return None


async def test_virtual_hosted_style(moto_s3: MotoS3, bucket: str) -> None:
    port = moto_s3.endpoint.rsplit(":", 1)[1]
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=_Loopback()))
    store = S3FileStore(
        moto_s3.config(bucket, endpoint_url=f"http://localhost:{port}", addressing="virtual"),
        session=http,
    )
    try:
        assert store._url("a/b.txt") == f"http://{bucket}.localhost:{port}/a/b.txt"
        await store.put("a/b.txt", b"virtual")
        assert await store.get("a/b.txt") == b"virtual"
    finally:
        await http.close()
    async with s3(moto_s3, bucket) as path_style:  # the same object, seen path-style
        assert await path_style.get("a/b.txt") == b"virtual"


async def test_wrong_secret_is_a_clear_error_and_not_retried(moto_s3: MotoS3, bucket: str) -> None:
    async with s3(moto_s3, bucket, secret_access_key="not-the-secret") as store:
        with pytest.raises(S3Error) as caught:
            await store.put("x.txt", b"x")
    assert caught.value.status == 403 and caught.value.code == "SignatureDoesNotMatch"
    assert "S3_SECRET_ACCESS_KEY" in str(caught.value)
    assert store.requests == 1


async def test_unknown_key_id_and_missing_bucket_name_the_variable(
    moto_s3: MotoS3, bucket: str
) -> None:
    async with s3(moto_s3, bucket, access_key_id="AKIANOBODY0000000000") as store:
        with pytest.raises(S3Error, match="S3_ACCESS_KEY_ID"):
            await store.get("x.txt")
    async with s3(moto_s3, "no-such-bucket-here") as store:
        with pytest.raises(S3Error, match="S3_BUCKET") as caught:
            await store.put("x.txt", b"x")
    assert caught.value.code == "NoSuchBucket"


async def test_bad_keys_never_reach_the_service(moto_s3: MotoS3, bucket: str) -> None:
    async with s3(moto_s3, bucket) as store:
        for key in ("../x", "/abs", "a//b", "a/./b", "a\\b", "a\x00b", "", "x" * 600):
            with pytest.raises(BadKey):
                await store.put(key, b"x")
        assert store.requests == 0


class FaultyProxy:
    """Forwards to moto unchanged (Host header included, so signatures still match), after
    answering the first ``fail`` requests with ``status`` or stalling ``stall`` of them."""

    def __init__(self, upstream: str, *, fail: int = 0, status: int = 503, stall: int = 0) -> None:
        self.upstream = upstream
        self.fail, self.status, self.stall = fail, status, stall
        self.seen = 0
        self.port = free_port()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen += 1
        body = await request.read()
        if self.stall > 0:
            self.stall -= 1
            await asyncio.sleep(5)
        if self.fail > 0:
            self.fail -= 1
            return web.Response(status=self.status, text="<Error><Code>SlowDown</Code></Error>")
        async with (
            aiohttp.ClientSession(auto_decompress=False) as http,
            http.request(
                request.method,
                self.upstream + request.raw_path,
                data=body,
                headers={k: v for k, v in request.headers.items() if k.lower() != "content-length"},
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            ) as resp,
        ):
            data = await resp.read()
            headers = {
                k: v
                for k, v in resp.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
            }
            return web.Response(status=resp.status, body=data, headers=headers)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        try:
            yield f"http://127.0.0.1:{self.port}"
        finally:
            await runner.cleanup()


async def test_retries_injected_5xx(moto_s3: MotoS3, bucket: str) -> None:
    proxy = FaultyProxy(moto_s3.endpoint, fail=3, status=503)
    async with proxy.running() as endpoint, s3(moto_s3, bucket, endpoint_url=endpoint) as store:
        await store.put("documents/9/signed.pdf", b"%PDF-after-faults")
        assert store.retried == 3 and proxy.seen == 4
        proxy.fail, proxy.status = 2, 500
        assert await store.get("documents/9/signed.pdf") == b"%PDF-after-faults"
        assert store.retried == 5


async def test_retries_a_timeout(moto_s3: MotoS3, bucket: str) -> None:
    proxy = FaultyProxy(moto_s3.endpoint, stall=1)
    async with (
        proxy.running() as endpoint,
        s3(moto_s3, bucket, endpoint_url=endpoint, timeout=0.5) as store,
    ):
        await store.put("t.txt", b"after a stall")
        assert store.retried == 1
        assert await store.get("t.txt") == b"after a stall"


async def test_gives_up_after_the_last_retry_with_the_status(moto_s3: MotoS3, bucket: str) -> None:
    proxy = FaultyProxy(moto_s3.endpoint, fail=100, status=502)
    async with (
        proxy.running() as endpoint,
        s3(moto_s3, bucket, endpoint_url=endpoint, retries=3) as store,
    ):
        with pytest.raises(S3Error) as caught:
            await store.put("x.txt", b"x")
    assert caught.value.status == 502 and proxy.seen == 3


async def test_unreachable_endpoint_names_the_variable(moto_s3: MotoS3, bucket: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    async with s3(moto_s3, bucket, endpoint_url=dead, retries=2) as store:
        with pytest.raises(S3Error, match="S3_ENDPOINT_URL"):
            await store.get("x.txt")
        assert store.retried == 1


# ---------------------------------------------------------------------- LocalFileStore


async def test_local_store_round_trip_atomic_and_confined(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "files")
    await store.put("documents/1/a.pdf", b"%PDF-1")
    await store.put("documents/1/a.pdf", b"%PDF-2")
    assert await store.get("documents/1/a.pdf") == b"%PDF-2"
    assert await store.size("documents/1/a.pdf") == 6
    assert b"".join([c async for c in store.stream("documents/1/a.pdf", 2)]) == b"%PDF-2"
    # No temporary file is left beside it.
    assert sorted(p.name for p in (tmp_path / "files" / "documents" / "1").iterdir()) == ["a.pdf"]
    assert [o.key for o in await store.list()] == ["documents/1/a.pdf"]
    with pytest.raises(MissingFile):
        await store.get("documents/1/b.pdf")
    for key in ("../outside", "/etc/passwd", "a/../../b"):
        with pytest.raises(BadKey):
            await store.get(key)
    (tmp_path / "secret").write_bytes(b"s")
    (tmp_path / "files" / "link").symlink_to(tmp_path / "secret")
    with pytest.raises(BadKey):
        await store.get("link")
    await store.delete("documents/1/a.pdf")
    assert not await store.exists("documents/1/a.pdf")
