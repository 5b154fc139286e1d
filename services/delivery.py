"""Addressing messages to people, each in their own language and on their own channel.

One inbound event may produce messages for several people (a relayed message, a notice to the
other party, a reminder to the mediator). Handlers collect them in an :class:`Outgoing`; it is
written to the outbox in the same transaction as the state change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.replies import Reply
from services.outbox import QueuedMessage, enqueue, render
from services.outgoing import OutgoingMessage
from storage.models import CaseMember, StaffAccount, User


@dataclass(frozen=True)
class Address:
    channel: str
    chat_id: str
    language: str


@dataclass
class Outgoing:
    """Messages produced while handling one event; ``sender`` is who caused it."""

    sender: Address
    items: list[tuple[Address, OutgoingMessage]] = field(default_factory=list)

    def reply(self, *replies: Reply) -> None:
        for r in replies:
            self.items.append((self.sender, render(r, self.sender.language, self.sender.channel)))

    def send(self, to: Address, *replies: Reply) -> None:
        for r in replies:
            self.items.append((to, render(r, to.language, to.channel)))

    def send_message(self, to: Address, message: OutgoingMessage) -> None:
        """A message that is not a rendered reply: a file, a QR code, a copy, a button's answer."""
        self.items.append((to, message))

    async def flush(self, session: AsyncSession) -> list[QueuedMessage]:
        """Queue everything, keeping the order within each recipient."""
        queued: list[QueuedMessage] = []
        groups: dict[Address, list[OutgoingMessage]] = {}
        for address, message in self.items:
            groups.setdefault(address, []).append(message)
        for address, messages in groups.items():
            queued += await enqueue(session, address.channel, address.chat_id, messages)
        self.items.clear()
        return queued


def user_address(user: User) -> Address:
    if user.telegram_id is not None:
        return Address("telegram", str(user.telegram_id), user.language)
    return web_address(user.id, user.language)


def web_address(user_id: int, language: str) -> Address:
    """The browser chat's mailbox of one person (``features.webchat.channel`` delivers it)."""
    return Address("web", f"user:{user_id}", language)


def staff_address(staff: StaffAccount) -> Address | None:
    """The staff member's linked Telegram chat (see :func:`staff_addresses` for the browser)."""
    if staff.telegram_id is None:
        return None  # not linked: reaches them in the console only
    return Address("telegram", str(staff.telegram_id), staff.language)


async def staff_addresses(
    session: AsyncSession, staff: Iterable[StaffAccount]
) -> dict[int, Address]:
    """Where the chat reaches each active staff member, by account id: the Telegram chat they
    linked, else the browser chat they logged in to with the phone number on their account.

    Why the browser counts: that login is the staff member (``services.dispatch`` gives it
    their staff menu; the number was verified by the one-time code, and the login's user is
    the one ``features.webchat.otp`` finds for the number: no Telegram, the oldest). Why
    Telegram first: one person with both channels is told once, where they linked, as
    :func:`user_address` does for a party. Only for texts the browser has words for (the
    street's, the new-case alerts, a lawyer's offers and panel, risk alerts, the room:
    tests/webchat/test_web_wording.py, test_lawyer_offer.py); absent: reached in the console
    only. One query whatever the count.
    """
    people = [s for s in staff if s.active]
    out = {s.id: a for s in people if (a := staff_address(s)) is not None}
    wanted = {s.phone_hash: s for s in people if s.id not in out and s.phone_hash}
    if not wanted:
        return out
    rows = await session.execute(
        select(User.id, User.phone_hash, User.language)
        .where(User.phone_hash.in_(sorted(wanted)), User.telegram_id.is_(None))
        .order_by(User.id)
    )
    for user_id, phone_hash, language in rows:
        member = wanted.pop(phone_hash or "", None)
        if member is not None:
            out[member.id] = web_address(user_id, language)
    return out


async def member_addresses(session: AsyncSession, members: list[CaseMember]) -> dict[int, Address]:
    """Addresses of room members, at most three queries whatever the room size. A staff
    member (mediator, volunteer lawyer) is reached where they linked Telegram, else in the
    browser chat of their account's phone (:func:`staff_addresses`): without it a lawyer or
    mediator who uses only the browser joined the room but never read a word of it."""
    user_ids = {m.user_id for m in members if m.user_id is not None}
    staff_ids = {m.staff_id for m in members if m.staff_id is not None}
    users: dict[int, User] = {}
    staff: dict[int, StaffAccount] = {}
    if user_ids:
        rows = await session.execute(select(User).where(User.id.in_(user_ids)))
        users = {u.id: u for u in rows.scalars()}
    if staff_ids:
        rows2 = await session.execute(select(StaffAccount).where(StaffAccount.id.in_(staff_ids)))
        staff = {s.id: s for s in rows2.scalars()}
    unlinked = [s for s in staff.values() if s.telegram_id is None]
    browser = await staff_addresses(session, unlinked) if unlinked else {}
    out: dict[int, Address] = {}
    for m in members:
        if m.user_id is not None and m.user_id in users:
            out[m.id] = user_address(users[m.user_id])
        elif m.staff_id is not None and m.staff_id in staff:
            address = staff_address(staff[m.staff_id]) or browser.get(m.staff_id)
            if address is not None:
                out[m.id] = address
    return out
