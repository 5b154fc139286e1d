"""What the speaker reads about their recording: the transcript with its confidence, and the
buttons that decide what the other side gets.

Why the confidence is shown: a speaker who sees "⚠️ 识别可能不准确" reads the text instead of
confirming it blindly (issue 23: "反共不对我两千块亚金…" entered a record). Why the audio has its
own button: the other side gets the confirmed text; the recording reaches them only when the
speaker says so (确认并发送语音, or 发送语音 when there is no text to confirm).
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Dictation:
    """A dialogue without a case whose questions take spoken answers (the intake, a staff
    member's ``/report``): what its speaker reads about a recording and which buttons answer.

    Why declared rather than coded here: the pipeline tells the speaker about a transcript
    after the commit, long after the dialogue's turn; the transcript's ``step`` names the
    dialogue (``"<name>:<question>"``; the intake's own steps have no colon), and this says
    which catalogue keys (``<messages>transcribing``, ``…transcript``, ``…empty``…) and which
    button prefix (``<buttons>ok:<id>``, ``<buttons>edit:<id>``) are that dialogue's."""

    name: str
    buttons: str
    messages: str

    def step(self, question: str) -> str:
        return f"{self.name}:{question}" if self.name else question


INTAKE = Dictation("", "i:v:", "voice.intake_")
_DICTATIONS: dict[str, Dictation] = {}


def declare(dictation: Dictation) -> Dictation:
    """A feature's dialogue that takes spoken answers (at import, like its routes)."""
    _DICTATIONS[dictation.name] = dictation
    return dictation


def dictation_of(step: str | None) -> Dictation:
    """The dialogue a transcript without a case was spoken in (the intake unless declared)."""
    name, colon, _ = (step or "").partition(":")
    return _DICTATIONS.get(name, INTAKE) if colon else INTAKE


def intake_transcript_reply(t: VoiceTranscript) -> Reply:
    """A transcript spoken in a dialogue (the intake, ``/report``): confirming it answers the
    question it was spoken to, as that dialogue says (its own wording and buttons)."""
    d = dictation_of(t.step)
    return Reply(
        Msg(
            f"{d.messages}transcript",
            {"text": t.text or "", "confidence": confidence_line(t.confidence)},
        ),
        buttons=(
            (
                button("voice.confirm", f"{d.buttons}ok:{t.id}"),
                button("voice.edit", f"{d.buttons}edit:{t.id}"),
            ),
        ),
    )


def no_text_reply(key: str, t: VoiceTranscript) -> Reply:
    """A room recording that will have no transcript (``key`` says why): kept as evidence,
    and sent to the other side only if the speaker presses 发送语音."""
    return Reply(Msg(key), buttons=((button("voice.send_audio", f"v:audio:{t.id}"),),))
