"""Telegram Mini App ``initData``: who opened the page, vouched for by Telegram.

Telegram hands the page a query string (``query_id``, ``user`` as JSON, ``auth_date``, ``hash``…)
signed with a key derived from the bot token: ``secret = HMAC_SHA256(key="WebAppData",
msg=bot_token)`` and ``hash = hex(HMAC_SHA256(secret, data_check_string))``, where the
data-check-string is every other field as ``key=value``, sorted by key, joined by ``\\n``
(Telegram's "Validating data received via the Mini App"). Only someone holding the bot token
can produce a valid hash, so a valid one proves the Telegram user id.

A valid ``initData`` stays valid, so two more checks: ``auth_date`` must be recent (a leaked
string stops working), and the caller must refuse a ``hash`` it has accepted before (a replayed
request; the service keeps used hashes in the ``webapp_logins`` table).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode

MAX_INIT_DATA = 4096
#: Clock skew tolerated for an ``auth_date`` slightly in the future.
SKEW = timedelta(seconds=60)


class InitDataError(Exception):
    """``reason``: malformed | forged | stale."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebAppUser:
    telegram_id: int
    language_code: str
    hash: str
    auth_date: datetime


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields))


def check_init_data(raw: str, bot_token: str, *, now: datetime, max_age: timedelta) -> WebAppUser:
    """The user ``raw`` vouches for, or :class:`InitDataError`."""
    if not raw or len(raw) > MAX_INIT_DATA:
        raise InitDataError("malformed")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs) or "hash" not in fields:
        raise InitDataError("malformed")
    given = fields.pop("hash")
    expected = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), given.lower()):
        raise InitDataError("forged")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), tz=now.tzinfo)
        user = json.loads(fields["user"])
        telegram_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InitDataError("malformed") from None
    if now - auth_date > max_age or auth_date - now > SKEW:
        raise InitDataError("stale")
    return WebAppUser(telegram_id, str(user.get("language_code") or ""), given.lower(), auth_date)


def sign_init_data(
    bot_token: str,
    user: dict[str, object],
    *,
    auth_date: int | None = None,
    query_id: str = "AAHdF6IQAAAAAN0XohDhrOrc",
) -> str:
    """What Telegram would give a Mini App opened by ``user`` (the demo, tests).

    Produces the same HMAC Telegram does; only the bot token's holder can, which is why the
    service may trust it.
    """
    fields = {
        "auth_date": str(auth_date if auth_date is not None else int(time.time())),
        "query_id": query_id,
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
    }
    digest = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256)
    return urlencode({**fields, "hash": digest.hexdigest()})
