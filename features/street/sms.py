"""Invitations by SMS to the parties a grid worker or officer registered (issue 24, item 1).

Why after the commit and best-effort: the invitation exists (code, link, QR shown on the spot)
whether or not a text message goes out, and a provider's HTTP call must not hold the
database's write lock. The reporter is told, before it is sent, which numbers will get one;
a provider's refusal is logged by its code (never the phone in clear) and the code shown on
the spot still works. No SMS at all without a gateway that can send invitations
(``SMS_INVITE_TEMPLATE``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mediation.masking import mask_phone
from services.outbox import QueuedMessage

if TYPE_CHECKING:
    from features.webchat.otp import SmsGateway

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsInvite:
    phone: str
    unit: str
    code: str
    language: str = "zh-CN"


def usable(gateway: SmsGateway | None) -> SmsGateway | None:
    """The gateway, if it can send invitations at all."""
    return gateway if gateway is not None and gateway.invites else None


async def send_all(gateway: SmsGateway, invites: Sequence[SmsInvite]) -> list[bool]:
    """Send each invitation; whether each went out (a failure does not stop the others)."""
    sent = []
    for item in invites:
        try:
            await gateway.send_invitation(item.phone, item.unit, item.code, item.language)
        except Exception as exc:  # a provider's refusal, a timeout: the code on the spot works
            log.warning(
                "invitation SMS to %s not sent: %s", mask_phone(item.phone), type(exc).__name__
            )
            sent.append(False)
        else:
            sent.append(True)
    return sent


def after_commit(
    gateway: SmsGateway, invites: Sequence[SmsInvite]
) -> Callable[[], Awaitable[list[QueuedMessage]]]:
    """For ``turn.after_commit``: send them once the case is stored; nothing to deliver."""

    async def run() -> list[QueuedMessage]:
        await send_all(gateway, invites)
        return []

    return run
