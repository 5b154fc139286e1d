"""Voice notes in a room, and the speaker's 确认/修改 of the transcript.

A party's voice or audio message is kept as evidence and queued for transcription, and the
speaker is told "正在转写…"; it is not relayed yet. The transcript comes back to the speaker
alone with its confidence (speech.screen) and three buttons: 确认 relays it as text under the
room's rules and keeps it in the record as their statement marked （语音转写）; 确认并发送语音
does the same and first copies the recording to the room; 修改 asks for the corrected text,
shown again for confirmation and, once confirmed, marked as the speaker's own text
(（本人输入）), not as a machine transcript. A recording that gets no transcript (no model, not
heard, refused) can still be sent with 发送语音. The other side never hears a recording its
speaker did not agree to send (issue 23).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select

from features.room.relay import relay
from features.voice.audio_in import AUDIO_KINDS, MAX_TEXT, AudioIn, accept_audio, notice_message
from features.voice.dictation import record_text
from features.voice.models import VoiceTranscript, VoiceTranscriptVersion
from features.voice.pipeline import VoiceService
from features.voice.replies import NO_TEXT, transcript_reply
from mediation import intake
from mediation.permissions import Action, can
from mediation.replies import Reply, reply
from mediation.room import Relay, RelayRefusal
from mediation.validation import InvalidInput, clean_text
from services import case_watch, features, staff_alerts
from services.case_watch import scene_of
from services.chat_state import id_slot
from services.features import Who
from services.party_flow import JOINING
from services.room import Content, Room, facts, load_room, party_actor
from services.timers import cancel_timers
from services.turn import Turn, active_room
from storage.models import CaseMember, CaseMessage, Evidence

EDIT_STATE = "voice_edit"
#: The transcript whose correction the next text is.
EDITING = id_slot(EDIT_STATE)
features.awaits(EDIT_STATE, __name__)


def service_of(turn: Turn) -> VoiceService | None:
    return turn.shared.voice


@features.message_hook
async def on_message(turn: Turn, who: Who) -> list[Reply] | None:
    payload = turn.event.payload
    if who.staff is not None:
        return None  # staff voice notes are relayed as before, not transcribed
    if isinstance(payload, intake.TextInput) and turn.get(EDITING) is not None:
        corrected = await _correction(turn, who, payload.text)
        if corrected is not None:
            return corrected
    if not isinstance(payload, intake.FileInput) or payload.kind not in AUDIO_KINDS:
        return None
    if turn.get(JOINING):
        return None  # answering an invitation: the core explains what it waits for
    found = await active_room(turn, user_id=who.user_id)
    if found is None:
        return None
    room, member = found
    if not can(party_actor(member), Action.SPEAK, facts(room)):
        return None  # the core says why (muted, closed) and assesses the caption
    caption = turn.event.caption
    if caption:  # a party's words, assessed when they arrive like any caption
        await case_watch.party_words(scene_of(turn), room, member, caption, "caption")
    service = service_of(turn)
    # Not relayed: the speaker sees the transcript first and decides whether the recording
    # goes with it (issue 23).
    transcript, notice = await accept_audio(
        turn.session,
        service,
        room,
        member,
        replace(  # where it was sent: copied to the room later, if the speaker agrees
            AudioIn.of_answer(turn.event.channel, payload),
            chat_id=turn.event.chat_id,
            message_id=turn.event.message_id,
            caption=caption,
        ),
        audio_message_id=None,
        language=turn.conv.language,
        now=turn.now,
    )
    if service is not None:
        turn.after_commit.append(service.after_commit(transcript.id))
    turn.out.send_message(turn.out.sender, notice_message(notice, turn.conv.language, payload.ref))
    return []


async def _speakers(turn: Turn, who: Who, transcript_id: int) -> VoiceTranscript | Reply:
    """The room transcript ``transcript_id`` when ``who`` spoke it, else why not."""
    t = await turn.session.get(VoiceTranscript, transcript_id, with_for_update=True)
    if t is None or t.member_id is None:  # an intake answer has its own buttons
        return reply("voice.gone")
    member = await turn.session.get(CaseMember, t.member_id)
    if member is None or member.user_id != who.user_id:
        return reply("voice.not_yours")
    return t


async def _own_transcript(turn: Turn, who: Who, transcript_id: int) -> VoiceTranscript | Reply:
    """The speaker's transcript while it can still be confirmed or edited."""
    t = await _speakers(turn, who, transcript_id)
    if isinstance(t, Reply):
        return t
    if t.status == "confirmed":
        return reply("voice.already_confirmed")
    if t.status != "ready":
        return reply("voice.gone")
    return t


@features.action("v:")
async def on_button(turn: Turn, who: Who, data: str) -> list[Reply] | None:
    verb, _, raw_id = data[2:].partition(":")
    if verb not in ("ok", "oka", "edit", "audio") or not raw_id.isdigit():
        return None
    if verb == "audio":
        return await _send_audio_only(turn, who, int(raw_id))
    found = await _own_transcript(turn, who, int(raw_id))
    if isinstance(found, Reply):
        return [found]
    if verb == "edit":
        turn.put(EDITING, found.id)
        return [reply("voice.edit_prompt", text=found.text or "")]
    return await _confirm(turn, found, with_audio=verb == "oka")


async def _speaking_room(turn: Turn, t: VoiceTranscript) -> tuple[Room, CaseMember] | Reply:
    room = await load_room(turn.session, t.case_id) if t.case_id is not None else None
    member = room.by_id(t.member_id) if room is not None and t.member_id is not None else None
    if room is None or member is None:
        return reply("voice.gone")
    if not can(party_actor(member), Action.SPEAK, facts(room)):
        return reply("room.refused_muted" if member.status == "muted" else "room.refused_closed")
    return room, member


async def _relay_audio(
    turn: Turn, room: Room, member: CaseMember, t: VoiceTranscript
) -> Relay | RelayRefusal:
    """The recording copied to the room now that its speaker agreed (once)."""
    ev = await turn.session.get(Evidence, t.evidence_id) if t.evidence_id else None
    kind = ev.kind if ev is not None else "voice"
    file_ref = ev.file_ref if ev is not None else t.file_ref
    content = Content(kind, t.caption, file_ref, t.chat_id, t.message_id)
    decision = await relay(turn.session, room, member, content, turn.out, turn.now)
    if isinstance(decision, Relay):
        message = await _last_message(turn, room, member)
        message.data = {**message.data, "voice_transcript_id": t.id}
        t.audio_message_id = message.id
    return decision


async def _last_message(turn: Turn, room: Room, member: CaseMember) -> CaseMessage:
    await turn.session.flush()
    return (
        await turn.session.execute(
            select(CaseMessage)
            .where(CaseMessage.case_id == room.case.id, CaseMessage.author_member_id == member.id)
            .order_by(CaseMessage.id.desc())
            .limit(1)
        )
    ).scalar_one()


async def _send_audio_only(turn: Turn, who: Who, transcript_id: int) -> list[Reply]:
    """发送语音 on a recording that has no transcript to confirm (no model, failed, not heard)."""
    t = await _speakers(turn, who, transcript_id)
    if isinstance(t, Reply):
        return [t]
    if t.audio_message_id is not None:
        return [reply("voice.audio_already_sent")]
    if t.status not in NO_TEXT:
        return [reply("voice.gone")]
    found = await _speaking_room(turn, t)
    if isinstance(found, Reply):
        return [found]
    room, member = found
    decision = await _relay_audio(turn, room, member, t)
    if isinstance(decision, RelayRefusal):
        return [reply(f"room.refused_{decision.value}")]
    await _spoke(turn, room, member)
    return [reply("voice.audio_sent")]


async def _spoke(turn: Turn, room: Room, member: CaseMember) -> None:
    """The party's words reached the room (now, not when the recording arrived): the reminder
    to answer is off, and the mediator's "away" alert armed, as for a typed message."""
    await cancel_timers(turn.session, [f"reply:{room.case.id}:{member.id}"])
    await staff_alerts.note_party_message(turn.session, turn.settings, room, turn.now)


async def _confirm(turn: Turn, t: VoiceTranscript, *, with_audio: bool) -> list[Reply]:
    found = await _speaking_room(turn, t)
    if isinstance(found, Reply):
        return [found]
    room, member = found
    if with_audio and t.audio_message_id is None:
        sent = await _relay_audio(turn, room, member, t)
        if isinstance(sent, RelayRefusal):
            return [reply(f"room.refused_{sent.value}")]
    typed = t.version > 1  # the speaker's own words, typed after 修改
    marked = record_text(t)
    decision = await relay(
        turn.session, room, member, Content("text", text=marked), turn.out, turn.now
    )
    if typed:  # the speaker's correction; the recognised text was assessed when ready
        await case_watch.party_words(scene_of(turn), room, member, t.text, "voice")
    if isinstance(decision, RelayRefusal):
        return [reply(f"room.refused_{decision.value}")]
    await _spoke(turn, room, member)
    message = await _last_message(turn, room, member)
    message.data = {**message.data, "voice_transcript_id": t.id}
    t.status, t.confirmed_at, t.updated_at = "confirmed", turn.now, turn.now
    if turn.get(EDITING) == t.id:
        turn.put(EDITING, None)
    t.text_message_id = message.id
    replies = [reply("voice.confirmed_audio" if with_audio else "voice.confirmed")]
    if decision.held_for_staff:
        replies.append(
            reply(f"room.held_{decision.note or 'separate'}", header=room.header(member))
        )
    return replies


async def _correction(turn: Turn, who: Who, text: str) -> list[Reply] | None:
    """The corrected text; None when the transcript was meanwhile confirmed (then the text
    is an ordinary room message and the core relays it)."""
    transcript_id = turn.get(EDITING)
    turn.put(EDITING, None)
    if transcript_id is None:
        return None
    found = await _own_transcript(turn, who, transcript_id)
    if isinstance(found, Reply):
        return None
    try:
        cleaned = clean_text(text, max_len=MAX_TEXT)
    except InvalidInput as exc:
        turn.put(EDITING, transcript_id)
        return [reply(exc.key, **exc.params)]
    return [correct(turn.session, found, cleaned, turn.now)]


def correct(session: Any, t: VoiceTranscript, text: str, now: datetime) -> Reply:
    """A new version by the speaker; shown again with 确认/修改."""
    t.version += 1
    t.text, t.updated_at = text, now
    session.add(
        VoiceTranscriptVersion(
            transcript_id=t.id, version=t.version, source="speaker", text=text, created_at=now
        )
    )
    return transcript_reply(t)
