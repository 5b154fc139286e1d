"""Spoken answers in the intake dialogue (纠纷登记): "what happened", the claims, the place.

Why: the questions that want free text are the ones people find hardest to type. A voice
message there is kept (listed among the evidence, so the filed case keeps the audio) and
transcribed; the transcript comes back to the speaker with 确认/修改, and only what they
confirm — or the corrected text they send — becomes the step's answer, through the same pure
``mediation.intake`` rules as a typed answer (length limits, moving on, editing from the
summary). Without a model the audio is still kept and the party is asked to type.

Registered as a ``services.features.intake_hook``; the buttons are intake actions
(``i:v:ok:<id>``, ``i:v:edit:<id>``) so a press after the intake ended is a stale button.
"""

from __future__ import annotations

from features.voice import dictation
from features.voice.replies import INTAKE
from mediation import intake
from mediation.replies import reply
from services import features
from services.chat_state import id_slot
from services.turn import Turn

#: Transcript id whose correction the next text message is (set by 修改).
EDIT_STATE = "voice_intake_edit"
#: The transcript whose correction the next text is.
EDITING = id_slot(EDIT_STATE)
PREFIX = "i:v:"


@features.intake_hook
async def on_intake(
    turn: Turn, draft: intake.IntakeDraft, payload: intake.Input
) -> intake.IntakeResult | None:
    if isinstance(payload, intake.ActionInput) and payload.action.startswith(PREFIX):
        return await _button(turn, draft, payload.action.removeprefix(PREFIX))
    if isinstance(payload, intake.TextInput) and turn.get(EDITING) is not None:
        return await _correction(turn, draft, payload.text)
    if (
        isinstance(payload, intake.FileInput)
        and payload.kind == "voice"
        and intake.takes_dictation(draft)
    ):
        return await _spoken(turn, draft, payload)
    return None


async def _spoken(
    turn: Turn, draft: intake.IntakeDraft, payload: intake.FileInput
) -> intake.IntakeResult | None:
    if not intake.keep_voice(draft, payload):
        return None  # evidence list full: the domain says so and asks for text
    turn.put(EDITING, None)
    t = await dictation.accept(turn, INTAKE, draft.step.value, payload)
    if t.status == "pending":
        return intake.IntakeResult(draft, [])  # the transcript follows
    return intake.IntakeResult(draft, [intake.prompt(draft)])  # asked to type instead


async def _button(turn: Turn, draft: intake.IntakeDraft, data: str) -> intake.IntakeResult | None:
    verb, _, raw_id = data.partition(":")
    if verb not in ("ok", "edit") or not raw_id.isdigit():
        return None  # the domain calls it a stale button
    t = await dictation.own(turn, INTAKE, int(raw_id))
    if t is None:
        return intake.IntakeResult(draft, [reply("voice.not_yours"), intake.prompt(draft)])
    if t.status == "confirmed":
        return intake.IntakeResult(draft, [reply("voice.already_confirmed"), intake.prompt(draft)])
    if t.status != "ready":
        return intake.IntakeResult(draft, [reply("voice.gone"), intake.prompt(draft)])
    if draft.step.value != t.step:
        return intake.answer_spoken(draft, intake.Step(str(t.step)), "")  # step passed: says so
    if verb == "edit":
        turn.put(EDITING, t.id)
        return intake.IntakeResult(draft, [reply("voice.intake_edit_prompt", text=t.text or "")])
    result = intake.answer_spoken(draft, intake.Step(str(t.step)), t.text or "")
    if result.accepted:
        dictation.confirm(turn, t)
        result.replies.insert(0, reply("voice.intake_confirmed"))
    return result


async def _correction(
    turn: Turn, draft: intake.IntakeDraft, text: str
) -> intake.IntakeResult | None:
    """The corrected transcript, typed after 修改: the step's answer, kept as a new version."""
    transcript_id = turn.get(EDITING)
    turn.put(EDITING, None)
    if transcript_id is None:
        return None
    t = await dictation.own(turn, INTAKE, transcript_id)
    if t is None or t.status != "ready" or not intake.takes_dictation(draft):
        return None  # an ordinary typed answer
    if draft.step.value != t.step:
        return None
    result = intake.answer_spoken(draft, intake.Step(str(t.step)), text)
    if not result.accepted:
        turn.put(EDITING, transcript_id)  # still correcting: the domain said why
        return result
    corrected = str(draft.answers.get(t.step) or text)  # as the domain cleaned it
    dictation.correct(turn, t, corrected)
    result.replies.insert(0, reply("voice.intake_confirmed"))
    return result
