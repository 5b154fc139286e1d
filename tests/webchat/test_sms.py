"""Issue 21 #11: real SMS gateways (Aliyun SMS, Tencent Cloud SMS), each against a local
stand-in that checks the provider's request signature; a wrong secret, a tampered request or
a provider refusal is an error the person sees as "try again", never a code in the log."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.clock import FakeClock
from core.config import Settings
from features.webchat.otp import OtpService, make_gateway
from features.webchat.sms import (
    AliyunSms,
    SmsError,
    TencentSms,
    aliyun_signature,
    tencent_authorization,
)
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


def gateway_settings(
    standin: SmsStandin, tmp_path: Path, secret: str = "the-secret", **extra: str
) -> Settings:
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
        **extra,
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


async def test_an_invitation_goes_by_its_own_template(
    standin: SmsStandin, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A party registered on the street gets the unit and the invitation code through the
    provider's second approved template; without one, nothing is sent and the gateway says
    it cannot invite (the code shown on the spot is the way then)."""
    aliyun = isinstance(standin, AliyunStandin)
    template = "SMS_000002" if aliyun else "100002"
    plain = make_gateway(gateway_settings(standin, tmp_path))
    assert not plain.invites
    with pytest.raises(SmsError):
        await plain.send_invitation(PHONE, "悦来街道人民调解委员会", "J96ELXG2", "zh-CN")
    assert standin.messages == []
    gateway = make_gateway(gateway_settings(standin, tmp_path, SMS_INVITE_TEMPLATE=template))
    assert gateway.invites
    await gateway.send_invitation(PHONE, "悦来街道人民调解委员会", "J96ELXG2", "zh-CN")
    params = (
        {"unit": "悦来街道人民调解委员会", "code": "J96ELXG2"}
        if aliyun
        else ["悦来街道人民调解委员会", "J96ELXG2"]
    )
    assert standin.messages == [(PHONE, template, params)] and standin.refused == []
    assert "J96ELXG2" not in caplog.text


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


def test_signatures_match_the_providers_own_sdks() -> None:
    """Known answers computed with the providers' official libraries (alibabacloud-openapi-util
    0.2.4 ``Client.get_rpcsignature``; tencentcloud-sdk-python-common 3.1.195
    ``AbstractClient._get_tc3_signature``) for these exact inputs, so the stand-ins above are
    not the only judge of the signing."""
    params = {
        "AccessKeyId": "testid",
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": "13800138000",
        "RegionId": "cn-hangzhou",
        "SignName": "某某调解委员会",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"code":"204817"}',
        "Timestamp": "2026-12-06T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun_signature(params, "testsecret") == "ck4pZwtnZsCIEVK90Hq6BFh5bKE="
    payload = json.dumps(
        {
            "PhoneNumberSet": ["+8613800138000"],
            "SmsSdkAppId": "1400000001",
            "SignName": "某某调解委员会",
            "TemplateId": "100001",
            "TemplateParamSet": ["204817"],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    header = tencent_authorization(
        "AKIDtest", "the-secret-key", "sms.tencentcloudapi.com", payload, 1765000000
    )
    assert header == (
        "TC3-HMAC-SHA256 Credential=AKIDtest/2025-12-06/sms/tc3_request, "
        "SignedHeaders=content-type;host, "
        "Signature=f4d767e6a4b379ed821d96fcd6aff418d2437d5fa007bfb3264091cca2a3fc11"
    )
