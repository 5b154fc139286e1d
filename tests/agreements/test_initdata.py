"""Mini App initData: Telegram's HMAC with the bot token; forged, stale and malformed refused."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from features.agreements.initdata import InitDataError, check_init_data, sign_init_data

TOKEN = "123456:TEST-token"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def signed() -> str:
    return sign_init_data(TOKEN, {"id": 42, "language_code": "en"}, auth_date=int(NOW.timestamp()))


def test_the_documented_algorithm() -> None:
    """Recomputed here from Telegram's description, independently of the module."""
    raw = signed()
    fields = dict(parse_qsl(raw))
    given = fields.pop("hash")
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    assert hmac.new(secret, check.encode(), hashlib.sha256).hexdigest() == given
    user = check_init_data(raw, TOKEN, now=NOW, max_age=HOUR)
    assert (user.telegram_id, user.language_code, user.hash) == (42, "en", given)


def test_another_bots_token_or_changed_fields_are_forgeries() -> None:
    raw = signed()
    with pytest.raises(InitDataError, match="forged"):
        check_init_data(raw, "654321:OTHER", now=NOW, max_age=HOUR)
    fields = dict(parse_qsl(raw))
    fields["user"] = fields["user"].replace("42", "43")
    with pytest.raises(InitDataError, match="forged"):
        check_init_data(urlencode(fields), TOKEN, now=NOW, max_age=HOUR)


def test_old_or_future_auth_dates_are_stale() -> None:
    raw = signed()
    check_init_data(raw, TOKEN, now=NOW + HOUR - timedelta(seconds=1), max_age=HOUR)
    with pytest.raises(InitDataError, match="stale"):
        check_init_data(raw, TOKEN, now=NOW + HOUR + timedelta(seconds=1), max_age=HOUR)
    with pytest.raises(InitDataError, match="stale"):
        check_init_data(raw, TOKEN, now=NOW - timedelta(minutes=5), max_age=HOUR)


@pytest.mark.parametrize(
    "raw", ["", "hash", "user=%7B%7D&auth_date=1", "a=1&a=2&hash=00", "x" * 5000]
)
def test_malformed(raw: str) -> None:
    with pytest.raises(InitDataError) as caught:
        check_init_data(raw, TOKEN, now=NOW, max_age=HOUR)
    assert caught.value.reason in ("malformed", "forged")
