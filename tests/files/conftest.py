"""A real S3-compatible server for the file-store tests: moto's server in a child process.

Moto checks SigV4 signatures (with botocore's code, not ours) once its "no auth" allowance is
used up: the fixture spends that allowance on three IAM calls that create a user, its access key
and a policy allowing S3, so every later request must be signed with that key, and a wrong
secret is refused as it would be by AWS, MinIO or Ceph.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from storage.s3 import EMPTY_SHA256, S3Config, S3FileStore, sign
from tests.e2e.harness import free_port

REGION = "us-east-1"
POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'


@dataclass(frozen=True)
class MotoS3:
    endpoint: str
    access_key_id: str
    secret_access_key: str

    def config(self, bucket: str, **overrides: object) -> S3Config:
        values: dict[str, object] = {
            "endpoint_url": self.endpoint,
            "bucket": bucket,
            "region": REGION,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "backoff": 0.01,
        }
        values.update(overrides)
        return S3Config(**values)  # type: ignore[arg-type]

    def env(self, bucket: str) -> dict[str, str]:
        """The service's variables for ``FILE_STORE=s3`` on this server."""
        return {
            "FILE_STORE": "s3",
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_BUCKET": bucket,
            "S3_REGION": REGION,
            "S3_ACCESS_KEY_ID": self.access_key_id,
            "S3_SECRET_ACCESS_KEY": self.secret_access_key,
        }


async def _iam(endpoint: str, params: dict[str, str]) -> ET.Element:
    body = urlencode({**params, "Version": "2010-05-08"}).encode()
    import hashlib

    headers = sign(
        method="POST",
        url=endpoint + "/",
        query={},
        headers={"content-type": "application/x-www-form-urlencoded"},
        payload_sha256=hashlib.sha256(body).hexdigest(),
        access_key_id="bootstrap",
        secret_access_key="bootstrap",
        region=REGION,
        service="iam",
    )
    async with (
        aiohttp.ClientSession() as http,
        http.post(endpoint + "/", data=body, headers=headers) as resp,
    ):
        text = await resp.read()
        assert resp.status == 200, text
    return ET.fromstring(text)


async def _bootstrap(endpoint: str) -> tuple[str, str]:
    await _iam(endpoint, {"Action": "CreateUser", "UserName": "mediation"})
    root = await _iam(endpoint, {"Action": "CreateAccessKey", "UserName": "mediation"})
    ns = root.tag.split("}", 1)[0] + "}"
    key_id = root.findtext(f".//{ns}AccessKeyId")
    secret = root.findtext(f".//{ns}SecretAccessKey")
    assert key_id and secret
    await _iam(
        endpoint,
        {
            "Action": "PutUserPolicy",
            "UserName": "mediation",
            "PolicyName": "s3",
            "PolicyDocument": POLICY,
        },
    )
    return key_id, secret


def _wait(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited: {log.read_text()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("moto_server did not start within 30 s")


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3", "MOTO_ALLOW_NONEXISTENT_REGION": "1"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait(port, proc, log)
        endpoint = f"http://127.0.0.1:{port}"
        # In a thread: this fixture may be set up from inside a running event loop.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            key_id, secret = pool.submit(asyncio.run, _bootstrap(endpoint)).result()
        yield MotoS3(endpoint, key_id, secret)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
async def bucket(moto_s3: MotoS3) -> AsyncIterator[str]:
    """A fresh bucket per test (so tests never see each other's objects)."""
    name = f"test-{secrets.token_hex(6)}"
    store = S3FileStore(moto_s3.config(name))
    try:
        await store.create_bucket()
    finally:
        await store.close()
    yield name


__all__ = ["EMPTY_SHA256", "MotoS3"]
