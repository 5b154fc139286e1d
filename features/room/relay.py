"""The mediation room's talk: relaying messages by role label, keeping the record, reading it.

What a recipient gets is rebuilt by the bot — a header naming the case and the sender's role,
then the text, or a copy of the file without any "forwarded from" link — so no Telegram name,
username or phone number ever crosses between parties. The room itself (members, addresses,
labels, events) is the core's ``services.room``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from i18n import translate
from mediation.masking import mask_personal_numbers, scrub_digits
from mediation.replies import Msg, Reply, button
from mediation.room import Relay, RelayRefusal, Role, may_read, route_message
from services.delivery import Outgoing
from services.outbox import render
from services.outgoing import OutgoingMessage, RelayedFile, TextMessage
from services.room import MEDIA_KINDS, Content, Room, label_of
from storage.models import CaseMember, CaseMessage

#: The button that sends a masked message again in full (features.room.share).
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


def record_message(
    session: AsyncSession,
    room: Room,
    author: CaseMember,
    content: Content,
    *,
    data: dict[str, object],
    audience: tuple[int, ...],
    channel: str,
    now: datetime,
) -> CaseMessage:
    """A member's message as the case record keeps it: as typed (the record is encrypted, never
    masked), with the members it was meant for (flush before a copy names its id)."""
    record = CaseMessage(
        case_id=room.case.id,
        author_member_id=author.id,
        kind=content.kind,
        text=content.text,
        file_ref=content.file_ref,
        data=data,
        audience=list(audience),
        channel=channel,
        created_at=now,
    )
    session.add(record)
    return record


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
    record = record_message(
        session,
        room,
        sender,
        content,
        data=data,
        audience=decision.recipients,
        channel=out.sender.channel,
        now=now,
    )
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
