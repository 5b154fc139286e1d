"""Two replicas share files through one S3 bucket (issue 10, item 7): each has its own
DATA_DIR (nothing shared on disk) and the same PostgreSQL database, keys and bucket. A file
uploaded through replica A is served by replica B."""

from __future__ import annotations

import asyncio
import re
import secrets
from pathlib import Path

import aiohttp
import pytest
from cryptography.fernet import Fernet

from core.config import Settings
from core.startup import prepare
from harness.service import reset_postgres
from standin import StandinBotAPI
from storage.db import Database
from storage.s3 import S3FileStore
from tests.conftest import PG_URL
from tests.e2e.harness import ServiceProcess, free_port, service_env
from tests.e2e.test_crash import wait_healthy
from tests.files import webflow
from tests.files.conftest import MotoS3

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PHONE = "13800006002"
CODE = re.compile(r"login code for \S+: (\d{6})")


async def code_from_log(log: Path) -> str:
    """``SMS_GATEWAY=log`` writes the code to the replica's log (development gateway)."""
    for _ in range(100):
        found = CODE.findall(log.read_text(errors="replace")) if log.exists() else []  # noqa: ASYNC240
        if found:
            return str(found[-1])
        await asyncio.sleep(0.1)
    raise AssertionError("no login code in " + log.read_text(errors="replace")[-2000:])  # noqa: ASYNC240


async def test_a_file_uploaded_through_one_replica_is_served_by_the_other(
    tmp_path: Path, moto_s3: MotoS3
) -> None:
    await reset_postgres(PG_URL)
    bucket = f"replicas-{secrets.token_hex(5)}"
    store = S3FileStore(moto_s3.config(bucket))
    await store.create_bucket()
    ports = [free_port(), free_port()]
    shared = {
        "PII_KEYS": Fernet.generate_key().decode(),
        "SECRET_KEY": secrets.token_urlsafe(32),
        **moto_s3.env(bucket),
        "S3_PREFIX": "cluster",
    }
    async with StandinBotAPI() as standin:
        envs = [
            {
                **service_env(standin, tmp_path / f"data{i}", PG_URL),
                **shared,
                "WEB_PORT": str(port),
                "PUBLIC_URL": f"http://127.0.0.1:{ports[0]}",
                "MEDIATION_WEBAPP_ALLOW_HTTP": "1",
                # The login code is read from the log: the development gateway.
                "DEV_MODE": "1",
                "SMS_GATEWAY": "log",
            }
            for i, port in enumerate(ports)
        ]
        replicas = [ServiceProcess(env, tmp_path / f"replica{i}.log") for i, env in enumerate(envs)]
        try:
            for svc in replicas:
                svc.start()
            for svc, port in zip(replicas, ports, strict=True):
                await wait_healthy(port, svc, timeout=90)
            a, b = (f"http://127.0.0.1:{port}" for port in ports)
            jar = aiohttp.CookieJar(unsafe=True)  # cookies go to both: one site, two ports
            async with aiohttp.ClientSession(cookie_jar=jar) as http:

                async def code() -> str:
                    return await code_from_log(replicas[0].log_path)

                headers = await webflow.login(http, a, PHONE, code)
                body = await webflow.upload(http, a, headers, webflow.PNG, "photo.png")
                key = str(body["ref"]).removeprefix("web:")
                # In the bucket, under the prefix; on neither replica's disk.
                assert (
                    await S3FileStore(moto_s3.config(bucket, prefix="cluster")).get(key)
                    == webflow.PNG
                )
                assert not any((tmp_path / f"data{i}" / key).exists() for i in range(2))

                settings = Settings.from_env(envs[1])
                prepare(settings)  # the same keys as the replicas (payloads are encrypted)
                db = Database(PG_URL)
                try:
                    seq = await webflow.deliver_file(db, webflow.user_of(key), key, "photo.png")
                finally:
                    await db.dispose()
                data, got = await webflow.download(http, b, seq)
                assert data == webflow.PNG
                webflow.assert_safe_headers(got, "photo.png")
                data_a, _ = await webflow.download(http, a, seq)
                assert data_a == webflow.PNG
        finally:
            for svc in replicas:
                svc.stop()
            await store.close()
