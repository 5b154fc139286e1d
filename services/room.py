"""The mediation room: relaying messages by role label, keeping the record, room events.

What a recipient gets is rebuilt by the bot — a header naming the case and the sender's role,
then the text, or a copy of the file without any "forwarded from" link — so no Telegram name,
username or phone number ever crosses between parties.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from i18n import translate
from mediation.case_state import CaseStatus
from mediation.masking import mask_personal_numbers, scrub_digits
from mediation.permissions import CaseFacts
from mediation.replies import Msg, Reply, button
from mediation.room import (
    Member,
    MemberStatus,
    Mode,
    Relay,
    RelayRefusal,
    Role,
    RoomState,
    may_read,
    route_message,
)
from services.delivery import Address, Outgoing, member_addresses
from services.outbox import render
from services.outgoing import OutgoingMessage, RelayedFile, TextMessage
from storage.models import Case, CaseMember, CaseMessage

MEDIA_KINDS = frozenset({"photo", "document", "video", "audio", "voice"})


@dataclass(frozen=True)
class Content:
    """What a member sent: text, or a file/location to copy from its original chat."""

    kind: str
    text: str | None = None
    file_ref: str | None = None
    from_chat_id: str | None = None
    message_id: int | None = None


@dataclass
class Room:
    case: Case
    members: list[CaseMember]
    addresses: dict[int, Address]

    @property
    def state(self) -> RoomState:
        return RoomState(
            mode=Mode(self.case.room_mode),
            session_open=self.case.session_open,
            members=tuple(domain_member(m) for m in self.members),
        )

    def by_id(self, member_id: int) -> CaseMember | None:
        return next((m for m in self.members if m.id == member_id), None)

    def of_user(self, user_id: int) -> CaseMember | None:
        return next(
            (m for m in self.members if m.user_id == user_id and m.status != "removed"), None
        )

    def of_staff(self, staff_id: int) -> CaseMember | None:
        return next(
            (m for m in self.members if m.staff_id == staff_id and m.status != "removed"), None
        )

    def present(self) -> list[CaseMember]:
        return [m for m in self.members if m.status != MemberStatus.REMOVED.value]

    def header(self, member: CaseMember | None) -> Msg:
        label = label_of(member) if member is not None else Msg("room.system")
        return Msg("room.header", {"number": self.case.number, "label": label})


def domain_member(m: CaseMember) -> Member:
    return Member(
        id=m.id,
        role=Role(m.role),
        ordinal=m.ordinal,
        status=MemberStatus(m.status),
        is_representative=m.is_representative,
    )


def label_of(m: CaseMember) -> Msg:
    d = domain_member(m)
    return Msg(d.label_key, d.label_params)


def facts(room: Room) -> CaseFacts:
    """What the permission rules need to know of the room's case."""
    return CaseFacts(CaseStatus(room.case.status), room.case.mediator_id is not None)


async def load_room(session: AsyncSession, case_id: int, *, lock: bool = False) -> Room | None:
    stmt = select(Case).where(Case.id == case_id)
    if lock:
        stmt = stmt.with_for_update()
    case = (await session.execute(stmt)).scalar_one_or_none()
    if case is None:
        return None
    members = list(
        (
            await session.execute(
                select(CaseMember).where(CaseMember.case_id == case_id).order_by(CaseMember.id)
            )
        ).scalars()
    )
    return Room(case, members, await member_addresses(session, members))


#: The button that sends a masked message again in full (services.room_share).
SHARE_FULL = "pii:"


def shown_text(row: CaseMessage, reader_id: int | None) -> str:
    """A record entry's text as ``reader_id`` may see it: the author reads what they typed,
    anyone else reads mobile, ID and bank card numbers masked (mediation.masking) unless the
    author chose to send that message in full (issue 19)."""
    text = row.text or ""
    if reader_id is not None and reader_id == row.author_member_id:
        return text
    if (row.data or {}).get("shared_full_of"):
        return text
    return mask_personal_numbers(text)


def _relay_messages(
    room: Room, sender: CaseMember, content: Content, language: str, record_id: int
) -> list[OutgoingMessage]:
    header = translate(language, room.header(sender))
    if content.kind == "text":
        return [TextMessage(f"{header}\n{content.text or ''}", case_message=record_id)]
    source = (str(content.from_chat_id), int(content.message_id or 0))
    if content.kind in MEDIA_KINDS:
        caption = header + (f"\n{content.text}" if content.text else "")
        return [RelayedFile(*source, caption=caption[:1024], case_message=record_id)]
    # Locations and the like take no caption: say who sent it first.
    return [
        TextMessage(header, case_message=record_id),
        RelayedFile(*source, case_message=record_id),
    ]


def _scrubbed(message: OutgoingMessage) -> OutgoingMessage:
    if isinstance(message, TextMessage):
        return replace(message, text=scrub_digits(message.text))
    if isinstance(message, RelayedFile) and message.caption is not None:
        return replace(message, caption=scrub_digits(message.caption))
    return message


async def relay(
    session: AsyncSession,
    room: Room,
    sender: CaseMember,
    content: Content,
    out: Outgoing,
    now: datetime,
    target_ids: tuple[int, ...] | None = None,
    *,
    full_of: int | None = None,
    within: tuple[int, ...] | None = None,
) -> Relay | RelayRefusal:
    """Store the message in the record and queue a copy for each recipient.

    The record keeps the text as typed (encrypted); recipients get mobile, ID and bank card
    numbers masked, and the sender is told so, with a button to send it in full
    (``full_of``: the record id of the masked message being sent in full now, unmasked, to
    no one beyond ``within``, the members the masked copy went to)."""
    decision = route_message(room.state, sender.id, target_ids)
    if isinstance(decision, RelayRefusal):
        return decision
    if within is not None:
        decision = replace(
            decision, recipients=tuple(r for r in decision.recipients if r in within)
        )
    data: dict[str, object] = {"note": decision.note} if decision.note else {}
    shown = content
    if full_of is not None:
        data["shared_full_of"] = full_of
    elif content.text and (masked := mask_personal_numbers(content.text)) != content.text:
        data["masked"] = True
        shown = replace(content, text=masked)
    record = CaseMessage(
        case_id=room.case.id,
        author_member_id=sender.id,
        kind=content.kind,
        text=content.text,
        file_ref=content.file_ref,
        data=data,
        audience=list(decision.recipients),
        channel=out.sender.channel,
        created_at=now,
    )
    session.add(record)
    # Each copy names the record it carries (``cm``): services.invariants proves from the
    # database alone that every recipient got it once. Channels ignore the key.
    await session.flush()
    for member_id in decision.recipients:
        address = room.addresses.get(member_id)
        if address is None:
            continue
        cross_channel = address.channel != "telegram" or out.sender.channel != "telegram"
        if cross_channel and content.kind != "text":
            # Files cannot be copied across channels; the record keeps them.
            notice = Msg(
                "room.file_in_record",
                {"header": room.header(sender), "kind": Msg(f"room.kind_{content.kind}")},
            )
            playable = content.kind in ("voice", "audio") and content.file_ref
            notice_message = replace(
                render(Reply(notice), address.language),
                case_message=record.id,
                # a channel that can play the recording does
                audio_ref=content.file_ref if playable else None,
            )
            out.send_message(address, notice_message)
            continue
        recipient = room.by_id(member_id)
        for message in _relay_messages(room, sender, shown, address.language, record.id):
            if recipient is not None and recipient.role == Role.LAWYER.value:
                # Volunteer lawyers advise without the parties' contact data (issue 21: a
                # phone typed in the room reached them whole).
                message = _scrubbed(message)
            out.send_message(address, message)
    if shown is not content and decision.recipients:
        share = button("room.btn_share_full", f"{SHARE_FULL}{record.id}")
        out.reply(Reply(Msg("room.pii_masked", {"text": shown.text}), buttons=((share,),)))
    return decision


async def announce(
    session: AsyncSession,
    room: Room,
    message: Msg,
    out: Outgoing,
    now: datetime,
    *,
    audience: Iterable[CaseMember] | None = None,
    kind: str = "event",
    author: CaseMember | None = None,
) -> None:
    """A room event (joined, mode changed, muted, outcome…): recorded, then told to people."""
    if audience is not None:
        targets = list(audience)
    else:  # everyone present except whoever caused it (they get their own reply)
        targets = [m for m in room.present() if author is None or m.id != author.id]
    session.add(
        CaseMessage(
            case_id=room.case.id,
            author_member_id=author.id if author else None,
            kind=kind,
            text=message.key,
            data={"params": _plain(message.params)},
            audience=[m.id for m in targets],
            created_at=now,
        )
    )
    for m in targets:
        address = room.addresses.get(m.id)
        if address is not None:
            out.send(
                address, Reply(Msg("room.event", {"header": room.header(None), "text": message}))
            )


def _plain(params: object) -> object:
    if isinstance(params, Msg):
        return {"key": params.key, "params": _plain(params.params)}
    if isinstance(params, dict):
        return {k: _plain(v) for k, v in params.items()}
    if isinstance(params, list | tuple):
        return [_plain(v) for v in params]
    return params


def _unplain(value: object) -> object:
    if isinstance(value, dict) and set(value) == {"key", "params"}:
        return Msg(str(value["key"]), {k: _unplain(v) for k, v in dict(value["params"]).items()})
    return value


async def record_lines(
    session: AsyncSession, room: Room, reader: CaseMember, language: str, tz: object
) -> list[str]:
    """The reader's view of the record, one line per entry, oldest first."""
    rows = (
        await session.execute(
            select(CaseMessage).where(CaseMessage.case_id == room.case.id).order_by(CaseMessage.id)
        )
    ).scalars()
    state = room.state
    lines: list[str] = []
    for row in rows:
        if not may_read(state, reader.id, tuple(row.audience), row.author_member_id):
            continue
        if row.kind == "note" and reader.role not in (Role.MEDIATOR.value, Role.LAWYER.value):
            continue
        # An event (someone joined, the session opened, a reminder) is the service's line, not
        # what its actor said: labelled 系统 even when a mediator's action caused it (issue 19).
        author = room.by_id(row.author_member_id) if row.author_member_id else None
        if author is None or row.kind == "event":
            who = translate(language, "room.system")
        else:
            who = translate(language, label_of(author))
        when = row.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]
        if row.kind == "event":
            params = {k: _unplain(v) for k, v in dict(row.data.get("params", {})).items()}
            body = translate(language, Msg(row.text or "", params))
        elif row.kind == "text":
            body = shown_text(row, reader.id)
        elif row.kind == "note":
            body = translate(language, Msg("room.note_prefix", {"text": row.text or ""}))
        else:
            body = translate(
                language,
                Msg(
                    "room.file_entry",
                    {"kind": Msg(f"room.kind_{row.kind}"), "text": shown_text(row, reader.id)},
                ),
            )
        lines.append(f"[{when}] {who}：{body}")
    return lines


def staff_note(
    session: AsyncSession,
    room: Room,
    author: CaseMember,
    text: str,
    now: datetime,
    data: dict[str, object] | None = None,
) -> list[CaseMember]:
    """An internal note (``/note``, a lawyer's comment on the draft): recorded for the staff
    present — mediators and lawyers — and never relayed to the parties; returns who may read
    it."""
    readers = [m for m in room.present() if m.role in (Role.MEDIATOR.value, Role.LAWYER.value)]
    session.add(
        CaseMessage(
            case_id=room.case.id,
            author_member_id=author.id,
            kind="note",
            text=text[:2000],
            data=data or {},
            audience=[m.id for m in readers],
            created_at=now,
        )
    )
    return readers
