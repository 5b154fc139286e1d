"""What the speaker reads about their recording: the transcript with its confidence, and the
buttons that decide what the other side gets.

Why the confidence is shown: a speaker who sees "⚠️ 识别可能不准确" reads the text instead of
confirming it blindly (issue 23: "反共不对我两千块亚金…" entered a record). Why the audio has its
own button: the other side gets the confirmed text; the recording reaches them only when the
speaker says so (确认并发送语音, or 发送语音 when there is no text to confirm).
"""

from __future__ import annotations

from features.voice.models import VoiceTranscript
from mediation.replies import Msg, Reply, button
from speech.screen import LOW_CONFIDENCE

#: Statuses after which no transcript will come: the speaker may still send the recording.
NO_TEXT = frozenset({"unavailable", "failed", "empty", "discarded"})


def confidence_line(confidence: float | None) -> Msg:
    """The decoder's certainty as the speaker reads it; low confidence says to check or type."""
    if confidence is None:
        return Msg("voice.confidence_unknown")
    percent = round(confidence * 100)
    if confidence < LOW_CONFIDENCE:
        return Msg("voice.confidence_low", {"percent": percent})
    return Msg("voice.confidence_high", {"percent": percent})


def transcript_reply(t: VoiceTranscript) -> Reply:
    """A room transcript: the machine's text (or the speaker's correction) with 确认 (text
    only), 确认并发送语音 and 修改. A correction is the speaker's own text: no confidence."""
    machine = t.version <= 1
    return Reply(
        Msg(
            "voice.transcript" if machine else "voice.corrected",
            {"text": t.text or "", "confidence": confidence_line(t.confidence)},
        ),
        buttons=(
            (
                button("voice.confirm", f"v:ok:{t.id}"),
                button("voice.confirm_audio", f"v:oka:{t.id}"),
            ),
            (button("voice.edit", f"v:edit:{t.id}"),),
        ),
    )


def intake_transcript_reply(t: VoiceTranscript) -> Reply:
    """An intake answer's transcript: confirming it answers the question it was spoken to."""
    return Reply(
        Msg(
            "voice.intake_transcript",
            {"text": t.text or "", "confidence": confidence_line(t.confidence)},
        ),
        buttons=(
            (
                button("voice.confirm", f"i:v:ok:{t.id}"),
                button("voice.edit", f"i:v:edit:{t.id}"),
            ),
        ),
    )


def no_text_reply(key: str, t: VoiceTranscript) -> Reply:
    """A room recording that will have no transcript (``key`` says why): kept as evidence,
    and sent to the other side only if the speaker presses 发送语音."""
    return Reply(Msg(key), buttons=((button("voice.send_audio", f"v:audio:{t.id}"),),))
