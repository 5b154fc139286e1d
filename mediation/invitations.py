"""Invitations to join a case: unguessable, single-use, expiring.

A link token (for ``t.me/<bot>?start=<token>``) and a short code (to type into the bot) are
made for each invitation; only their SHA-256 digests are stored, so a database leak does not
let anyone join a mediation. Deep-link payloads allow at most 64 characters of
``A-Za-z0-9_-`` (Telegram Bot API), hence the ``inv_`` + 32 url-safe characters form.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

TOKEN_PREFIX = "inv_"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone
CODE_LENGTH = 8
DEFAULT_TTL = timedelta(days=7)
_CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class NewInvitation:
    token: str  # goes into the deep link
    code: str  # typed by people without the link, shown as XXXX-XXXX
    token_digest: str
    code_digest: str
    expires_at: datetime


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_invitation(now: datetime, ttl: timedelta = DEFAULT_TTL) -> NewInvitation:
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)  # 32 characters, 192 bits
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return NewInvitation(token, code, digest(token), digest(code), now + ttl)


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalise_code(typed: str) -> str | None:
    """``k7m4-q2xp`` / ``K7M4 Q2XP`` → ``K7M4Q2XP``; None if it cannot be a code."""
    code = re.sub(r"[\s\-]", "", typed.strip().upper())
    return code if _CODE_RE.match(code) else None


def is_token(payload: str) -> bool:
    return payload.startswith(TOKEN_PREFIX) and 8 < len(payload) <= 64


#: A link token anywhere in a pasted message (``t.me/<bot>?start=inv_…``, ``…/chat/join/inv_…``).
_TOKEN_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9_-]){TOKEN_PREFIX}[A-Za-z0-9_-]{{5,60}}")
#: What people put around a code they were told to send: a label, quotes, a full stop.
_CODE_LABEL = re.compile(r"^(?:邀请码|邀请|code|invitation code|invite code)\s*[:：]?\s*", re.I)
_CODE_TRIM = "\"'“”‘’「」『』《》()（）[]【】.。,，!！?？;；"
#: Dashes a phone keyboard or an input method may give for the one in ``XXXX-XXXX``.
_DASHES = re.compile(r"[\s\-_‐‑‒–—―－﹣−·.]")


def secret_in(typed: str) -> str | None:
    """The invitation secret in what a person typed or pasted, or None.

    Told "直接发送邀请码", people send the code as they read it: ``J96E-LXG2``, ``j96e lxg2``,
    in full-width letters from a Chinese input method, with a long dash, after "邀请码：", or
    paste the whole invitation link. A token is returned as is, a code normalised."""
    text = unicodedata.normalize("NFKC", typed).strip()
    if len(text) > 300:
        return None
    token = _TOKEN_IN_TEXT.search(text)
    if token is not None and is_token(token.group(0)):
        return token.group(0)
    bare = _CODE_LABEL.sub("", text).strip(_CODE_TRIM + " ")
    candidate = _DASHES.sub("", bare).upper()
    return candidate if _CODE_RE.match(candidate) else None


def usable(status: InvitationStatus, expires_at: datetime, now: datetime) -> bool:
    return status is InvitationStatus.PENDING and now < expires_at
