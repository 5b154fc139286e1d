"""Issue 21 #11: real SMS gateways (Aliyun SMS, Tencent Cloud SMS), each against a local
stand-in that checks the provider's request signature; a wrong secret, a tampered request or
a provider refusal is an error the person sees as "try again", never a code in the log."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.clock import FakeClock
from core.config import Settings
from services.webchat.otp import OtpService, make_gateway
from services.webchat.sms import AliyunSms, SmsError, TencentSms
from storage.db import Database
from tests.conftest import make_settings
from tests.webchat.sms_standins import AliyunStandin, SmsStandin, TencentStandin

PHONE = "13800138000"


@pytest.fixture(params=["aliyun", "tencent"])
async def standin(request: pytest.FixtureRequest) -> AsyncIterator[SmsStandin]:
    kind = AliyunStandin if request.param == "aliyun" else TencentStandin
    server = kind("LTAI-test-key-id", "the-secret")
    await server.start(server.handle)
    yield server
    await server.stop()


def gateway_settings(standin: SmsStandin, tmp_path: Path, secret: str = "the-secret") -> Settings:
    provider = "aliyun" if isinstance(standin, AliyunStandin) else "tencent"
    return make_settings(
        tmp_path,
        SMS_GATEWAY=provider,
        SMS_ENDPOINT_URL=standin.url,
        SMS_ACCESS_KEY_ID=standin.key_id,
        SMS_ACCESS_KEY_SECRET=secret,
        SMS_SIGN_NAME="某某调解委员会",
        SMS_TEMPLATE="SMS_000001" if provider == "aliyun" else "100001",
        SMS_APP_ID="1400000001",
    )


async def test_the_gateway_signs_requests_the_provider_accepts(
    standin: SmsStandin, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = gateway_settings(standin, tmp_path)
    gateway = make_gateway(settings)
    assert isinstance(gateway, AliyunSms | TencentSms)
    caplog.set_level(logging.DEBUG)
    await gateway.send(PHONE, "204817", "zh-CN")
    await gateway.send("13900139000", "000042", "en")
    assert standin.sent == [(PHONE, "204817"), ("13900139000", "000042")]
    assert standin.refused == []
    assert "204817" not in caplog.text and "000042" not in caplog.text


async def test_a_wrong_secret_is_refused_by_the_provider(
    standin: SmsStandin, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = make_gateway(gateway_settings(standin, tmp_path, secret="not-the-secret"))
    with pytest.raises(SmsError):
        await gateway.send(PHONE, "204817", "zh-CN")
    assert standin.sent == [] and len(standin.refused) == 1
    assert "204817" not in caplog.text


async def test_a_login_through_the_provider(standin: SmsStandin, tmp_path: Path) -> None:
    """The whole login: the code reaches the stand-in (signature checked), never the log,
    and logs the person in; an unreachable provider is "try again" (err_sms)."""
    from tests.conftest import fresh_database

    db: Database = await fresh_database(f"sqlite+aiosqlite:///{tmp_path / 'sms.db'}")
    try:
        clock = FakeClock()
        gateway = make_gateway(gateway_settings(standin, tmp_path))
        otp = OtpService(db, gateway, "secret-for-the-test")
        assert (await otp.request(PHONE, "10.0.0.1", clock.now(), "zh-CN")).error is None
        ((phone, code),) = standin.sent
        assert phone == PHONE
        result = await otp.verify(PHONE, code, clock.now(), "zh-CN")
        assert result.error is None and result.user_id is not None
        await standin.stop()
        clock.advance(minutes=2)
        assert (await otp.request(PHONE, "10.0.0.1", clock.now(), "zh-CN")).error == "err_sms"
    finally:
        await db.dispose()
