"""The intake dialogue (纠纷登记) as a pure state machine.

``handle(draft, input)`` returns the new draft and the replies; nothing here does I/O, so the
service can run it inside the same database transaction that stores the draft, and a restart
resumes at exactly the same step. The order of questions follows the 人民调解申请书: the dispute,
what the applicant asks for, then the parties' details (see shared legal notes, document 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from mediation import earlier_answers
from mediation.disputes import DisputeType, type_from_text
from mediation.intake_state import (
    EDITABLE,
    MAX_EVIDENCE,
    OPTIONAL,
    ORDER,
    TEXT_LIMITS,
    ActionInput,
    ContactInput,
    FileInput,
    Input,
    IntakeDraft,
    IntakeResult,
    OtherInput,
    Step,
    TextInput,
)
from mediation.masking import mask_id_number
from mediation.replies import Button, Msg, Reply, button, reply
from mediation.validation import (
    InvalidInput,
    clean_party_name,
    clean_place,
    clean_text,
    normalise_phone,
    read_amount,
    unknown_detail,
    validate_id_number,
)

__all__ = [
    "EDITABLE",
    "MAX_EVIDENCE",
    "OPTIONAL",
    "ORDER",
    "PHONE_SAVED",
    "TEXT_LIMITS",
    "ActionInput",
    "ContactInput",
    "FileInput",
    "Input",
    "IntakeDraft",
    "IntakeResult",
    "Offer",
    "OtherInput",
    "Step",
    "TextInput",
    "answer_spoken",
    "earlier_answer",
    "handle",
    "keep_voice",
    "prompt",
    "request_cancel",
    "start",
    "summary",
    "takes_dictation",
]

#: Confirms the phone number and takes the "share contact" keyboard away again.
PHONE_SAVED = Reply(Msg("intake.phone_saved"), remove_keyboard=True)


# ---------------------------------------------------------------------------------- prompts


def _type_buttons() -> tuple[tuple[Button, ...], ...]:
    types = list(DisputeType)
    return tuple(
        tuple(button(f"dispute.{t.value}", f"i:type:{t.value}") for t in types[i : i + 2])
        for i in range(0, len(types), 2)
    )


def prompt(draft: IntakeDraft) -> Reply:
    """The question for the draft's current step; with the answer the party already gave in
    an earlier one, offered for confirmation, when there is one (:func:`earlier_answer`)."""
    question = _question(draft)
    offer = earlier_answer(draft)
    if offer is None:
        return question
    step = draft.step.value
    own = (
        (button("intake.btn_earlier_ok", f"i:earlier_ok:{step}"),),
        (button("intake.btn_earlier_no", f"i:earlier_no:{step}"),),
    )
    params: dict[str, object] = {"question": question.text, "said": offer.said}
    key = "intake.earlier"
    if offer.sum is not None:
        params["amount"] = f"{offer.sum.value:,.2f}"
        key = "intake.earlier_amount_approx" if offer.sum.approximate else "intake.earlier_amount"
    return Reply(Msg(key, params), buttons=(*own, *question.buttons))


def _question(draft: IntakeDraft) -> Reply:
    """The current step's question as asked from scratch."""
    step = draft.step
    if step is Step.CONSENT:
        return Reply(
            Msg("intake.consent"),
            buttons=(
                (button("intake.btn_agree", "i:consent"),),
                (button("intake.btn_disagree", "i:decline"),),
            ),
        )
    if step is Step.DISPUTE_TYPE:
        return Reply(Msg("intake.ask_type"), buttons=_type_buttons())
    if step is Step.EVIDENCE:
        return Reply(
            Msg("intake.ask_evidence", {"count": len(draft.evidence), "max": MAX_EVIDENCE}),
            buttons=((button("intake.btn_next", "i:next"),),),
        )
    if step is Step.PHONE:
        return Reply(Msg("intake.ask_phone"), ask_contact=True)
    if step is Step.CONFIRM:
        return summary(draft)
    if step is Step.OTHER_NAME:
        return Reply(
            Msg("intake.ask_other_name"),
            buttons=((button("intake.btn_unknown_name", "i:unknown"),),),
        )
    key = f"intake.ask_{step.value}"
    params: dict[str, object] = {}
    if step in TEXT_LIMITS:
        params["max"] = TEXT_LIMITS[step][1]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if step in OPTIONAL:
        buttons = ((button("intake.btn_skip", "i:skip"),),)
    return Reply(Msg(key, params), buttons=buttons)


def _amount_shown(draft: IntakeDraft) -> Msg | None:
    amount = draft.amount
    if amount is None:
        return None
    key = (
        "intake.amount_approx_value"
        if draft.answers.get("amount_approx")
        else "intake.amount_value"
    )
    return Msg(key, {"amount": f"{amount:,.2f}"})


def _party_shown(draft: IntakeDraft, prefix: str) -> Msg | str:
    """A party's name as the summary shows it: the name, its note in brackets, or "not known"
    with what the applicant said about them."""
    name, note = draft.answers.get(prefix, ""), draft.answers.get(f"{prefix}_note", "")
    if not name:
        return Msg(
            "intake.name_unknown_with_note" if note else "intake.name_unknown", {"note": note}
        )
    return Msg("intake.name_with_note", {"name": name, "note": note}) if note else name


def _not_given(draft: IntakeDraft, step: Step) -> Msg:
    """An optional detail left empty: 不详 when the party said they do not know it, 未填写 when
    they skipped it."""
    return Msg("intake.not_known" if draft.said_unknown(step) else "intake.not_given")


def summary(draft: IntakeDraft) -> Reply:
    a = draft.answers
    params: dict[str, object] = {
        "type": Msg(f"dispute.{a.get('dispute_type', 'other')}"),
        "facts": a.get("facts", ""),
        "evidence": len(draft.evidence),
        "claims": a.get("claims", ""),
        "amount": _amount_shown(draft) or _not_given(draft, Step.AMOUNT),
        "place": a.get("place", ""),
        "name": _party_shown(draft, "name"),
        "phone": a.get("phone", ""),
        "id_number": mask_id_number(a.get("id_number")) or _not_given(draft, Step.ID_NUMBER),
        "other_name": _party_shown(draft, "other_name"),
        "other_phone": a.get("other_phone") or Msg("intake.not_known"),
    }
    edit_buttons = [button(f"intake.field_{s.value}", f"i:edit:{s.value}") for s in EDITABLE]
    rows: list[tuple[Button, ...]] = [(button("intake.btn_submit", "i:submit"),)]
    rows += [tuple(edit_buttons[i : i + 3]) for i in range(0, len(edit_buttons), 3)]
    rows.append((button("intake.btn_cancel", "i:cancel"),))
    return Reply(Msg("intake.summary", params), buttons=tuple(rows))


# ---------------------------------------------------------------------------------- earlier answers


@dataclass(frozen=True)
class Offer:
    """An answer to the current step found in what the party said before: ``said`` is shown
    ("您前面说的是…"), ``answer`` is taken as if typed once they press 对; ``sum`` for the
    amount (taken as read, not asked again)."""

    said: str
    answer: str
    sum: earlier_answers.Sum | None = None


def earlier_answer(draft: IntakeDraft) -> Offer | None:
    """What the party already told the intake that answers the current question: the story
    typed at the dispute type (the facts); the demand, the sum and the other side named in the
    story or the facts (the amount also in the claims). Only when the rules find it clearly
    (``mediation.earlier_answers``), it passes the step's own checks, and the party has not
    said it is wrong; never while changing an answer from the summary."""
    if draft.editing or draft.confirming_cancel or draft.step.value in draft.declined:
        return None
    a, step = draft.answers, draft.step
    told = [draft.story, a.get("facts")]
    try:
        if step is Step.FACTS:
            story = earlier_answers.story_as_facts(draft.story)
            if story is None:
                return None
            low, high = TEXT_LIMITS[step]
            return Offer(story, clean_text(story, min_len=low, max_len=high))
        if step is Step.CLAIMS:
            claim = earlier_answers.claim_in(told)
            if claim is None:
                return None
            low, high = TEXT_LIMITS[step]
            return Offer(claim, clean_text(claim, min_len=low, max_len=high))
        if step is Step.AMOUNT:
            found = earlier_answers.amount_in([*told, a.get("claims")])
            return Offer(found.said, found.said, found) if found is not None else None
        if step is Step.OTHER_NAME:
            party = earlier_answers.other_party_in(told)
            if party is None:
                return None
            clean_party_name(party.answer)
            return Offer(party.answer, party.answer)
    except InvalidInput:
        return None
    return None


def _earlier_pressed(draft: IntakeDraft, action: str) -> IntakeResult | None:
    """对 (``i:earlier_ok:<step>``): the offered answer taken as the step's answer, as if
    typed; 不对，重新填 (``i:earlier_no:<step>``): the question asked from scratch. None for a
    press on an offer no longer shown (a stale button)."""
    verb, _, target = action.removeprefix("i:earlier_").partition(":")
    offer = earlier_answer(draft)
    if offer is None or target != draft.step.value or verb not in ("ok", "no"):
        return None
    if verb == "no":
        draft.declined.append(draft.step.value)
        return IntakeResult(draft, [prompt(draft)])
    if offer.sum is not None:
        draft.answers.pop("amount_pending", None)
        draft.answers["amount"] = str(offer.sum.value)
        draft.answers["amount_approx"] = offer.sum.approximate
        draft.mark_unknown(Step.AMOUNT, False)
        return IntakeResult(_advance(draft), [prompt(draft)])
    return _handle_input(draft, TextInput(offer.answer))


# ---------------------------------------------------------------------------------- handling


def start() -> IntakeResult:
    draft = IntakeDraft()
    return IntakeResult(draft, [prompt(draft)])


def _advance(draft: IntakeDraft) -> IntakeDraft:
    if draft.editing:
        draft.step = Step.CONFIRM
        draft.editing = False
    else:
        draft.step = ORDER[ORDER.index(draft.step) + 1]
    return draft


def request_cancel(draft: IntakeDraft) -> IntakeResult:
    """Cancelling loses what was typed, so ask first (undo where it matters)."""
    draft.confirming_cancel = True
    return IntakeResult(
        draft,
        [
            Reply(
                Msg("intake.confirm_cancel"),
                buttons=(
                    (button("intake.btn_cancel_yes", "i:cancel_yes"),),
                    (button("intake.btn_cancel_no", "i:cancel_no"),),
                ),
            )
        ],
    )


def handle(draft: IntakeDraft, event: Input) -> IntakeResult:
    """Apply one input to the draft. Invalid input leaves the answers untouched."""
    if isinstance(event, ActionInput):
        return _handle_action(draft, event.action)
    if draft.confirming_cancel:
        return IntakeResult(draft, [reply("intake.press_a_button"), *request_cancel(draft).replies])
    if isinstance(event, TextInput) and earlier_answer(draft) is not None:
        # Typing an answer where one was offered: theirs counts; asked again, from scratch.
        draft.declined.append(draft.step.value)
    try:
        return _handle_input(draft, event)
    except InvalidInput as exc:
        return IntakeResult(draft, [reply(exc.key, **exc.params), prompt(draft)])


def _handle_action(draft: IntakeDraft, action: str) -> IntakeResult:
    step = draft.step
    if action == "i:cancel":
        return request_cancel(draft)
    if action == "i:cancel_yes":
        return IntakeResult(None, [reply("intake.cancelled")])
    if action == "i:cancel_no":
        draft.confirming_cancel = False
        return IntakeResult(draft, [prompt(draft)])
    if draft.confirming_cancel:
        return request_cancel(draft)
    if step is Step.CONSENT and action == "i:consent":
        draft.answers["consent"] = True
        return IntakeResult(_advance(draft), [prompt(draft)])
    if step is Step.CONSENT and action == "i:decline":
        return IntakeResult(None, [reply("intake.declined")])
    if step is Step.AMOUNT and action == "i:amount_ok" and "amount_pending" in draft.answers:
        draft.answers["amount"] = draft.answers.pop("amount_pending")
        return IntakeResult(_advance(draft), [prompt(draft)])
    if step is Step.AMOUNT and action == "i:amount_redo":
        draft.answers.pop("amount_pending", None)
        return IntakeResult(draft, [prompt(draft)])
    if step is Step.OTHER_NAME and action == "i:unknown":
        return _other_unknown(draft, "")
    if step is Step.DISPUTE_TYPE and action.startswith("i:type:"):
        code = action.removeprefix("i:type:")
        if code in DisputeType._value2member_map_:
            draft.answers["dispute_type"] = code
            return IntakeResult(_advance(draft), [prompt(draft)])
    if step is Step.EVIDENCE and action == "i:next":
        return IntakeResult(_advance(draft), [prompt(draft)])
    if step in OPTIONAL and action == "i:skip":
        draft.answers[step.value] = None
        draft.answers.pop("amount_pending", None)
        draft.mark_unknown(step, False)
        return IntakeResult(_advance(draft), [prompt(draft)])
    if step is Step.CONFIRM and action.startswith("i:edit:"):
        target = action.removeprefix("i:edit:")
        if target in Step._value2member_map_ and Step(target) in EDITABLE:
            draft.step, draft.editing = Step(target), True
            return IntakeResult(draft, [prompt(draft)])
    if step is Step.CONFIRM and action == "i:submit":
        return IntakeResult(draft, [], submitted=True)
    if action.startswith("i:earlier_"):
        taken = _earlier_pressed(draft, action)
        if taken is not None:
            return taken
    # A button from an earlier question: say so and ask the current question again.
    return IntakeResult(draft, [reply("intake.stale_button"), prompt(draft)])


def _handle_input(draft: IntakeDraft, event: Input) -> IntakeResult:
    step = draft.step
    if isinstance(event, FileInput) and (event.kind != "voice" or step is Step.EVIDENCE):
        return _take_evidence(draft, event)
    if isinstance(event, FileInput):  # voice where text is wanted: keep it, ask for text
        kept = _take_evidence(draft, event) if len(draft.evidence) < MAX_EVIDENCE else None
        key = "intake.voice_kept" if kept else "intake.voice_not_supported"
        return IntakeResult(draft, [reply(key), prompt(draft)])
    if isinstance(event, OtherInput):
        return IntakeResult(draft, [reply("intake.unsupported_input"), prompt(draft)])
    if isinstance(event, ContactInput):
        return _take_contact(draft, event)
    assert isinstance(event, TextInput)
    text = event.text
    if step is Step.DISPUTE_TYPE:
        return _type_from_text(draft, text)
    if step in (Step.CONSENT, Step.CONFIRM):
        return IntakeResult(draft, [reply("intake.press_a_button"), prompt(draft)])
    if step is Step.EVIDENCE:
        return IntakeResult(draft, [reply("intake.evidence_expected"), prompt(draft)])
    unknown = unknown_detail(text) if step in _MAY_BE_UNKNOWN else None
    if unknown is not None:
        return _skip_typed(draft, unknown)
    if step is Step.AMOUNT:
        return _take_amount(draft, text)
    if step is Step.PLACE:
        low, high = TEXT_LIMITS[step]
        draft.answers["place"] = clean_place(text, min_len=low, max_len=high)
    elif step in TEXT_LIMITS:
        low, high = TEXT_LIMITS[step]
        draft.answers[step.value] = clean_text(text, min_len=low, max_len=high)
    elif step in (Step.NAME, Step.OTHER_NAME):
        party = clean_party_name(text)
        draft.answers[step.value] = party.name
        draft.answers[f"{step.value}_note"] = party.note
        draft.answers[f"{step.value}_kind"] = party.kind
    elif step is Step.PHONE:
        draft.answers["phone"] = normalise_phone(text)
    elif step is Step.OTHER_PHONE:
        draft.answers["other_phone"] = _other_phone(draft, normalise_phone(text))
    elif step is Step.ID_NUMBER:
        draft.answers["id_number"] = validate_id_number(text)
    draft.mark_unknown(step, False)
    replies = [PHONE_SAVED] if step is Step.PHONE else []
    _advance(draft)
    return IntakeResult(draft, [*replies, prompt(draft)])


#: Steps where "不知道", "不清楚", "跳过" typed is an answer: the optional ones and every
#: detail of the other side (the mediator completes it later).
_MAY_BE_UNKNOWN = frozenset({*OPTIONAL, Step.OTHER_NAME})


def _skip_typed(draft: IntakeDraft, said: str) -> IntakeResult:
    """The detail is not known: left empty (with what else was said, for the other side's
    name), as if 跳过 was pressed."""
    if draft.step is Step.OTHER_NAME:
        return _other_unknown(draft, said)
    draft.answers[draft.step.value] = None
    draft.answers.pop("amount_pending", None)
    draft.mark_unknown(draft.step, True)  # 不详, where a skip is 未填写
    note = reply("intake.detail_unknown") if draft.step is Step.OTHER_PHONE else None
    _advance(draft)
    return IntakeResult(draft, [*([note] if note else []), prompt(draft)])


def _other_unknown(draft: IntakeDraft, said: str) -> IntakeResult:
    draft.answers["other_name"] = ""
    draft.answers["other_name_note"] = said
    draft.answers["other_name_kind"] = "person"
    _advance(draft)
    # "您说的…已记下" only when something else was said (不知道 alone: nothing to keep).
    told = reply("intake.other_name_unknown_noted", note=said) if said else None
    return IntakeResult(draft, [told or reply("intake.other_name_unknown"), prompt(draft)])


def _take_amount(draft: IntakeDraft, text: str) -> IntakeResult:
    """Digits are taken as typed; anything read (大概四千八, 1.2万, 四千八百元整) is shown back
    as a figure and taken only once the person confirms it."""
    reading = read_amount(text)
    draft.answers["amount_approx"] = reading.approximate
    draft.mark_unknown(Step.AMOUNT, False)
    if reading.plain:
        draft.answers.pop("amount_pending", None)
        draft.answers["amount"] = str(reading.value)
        return IntakeResult(_advance(draft), [prompt(draft)])
    draft.answers["amount_pending"] = str(reading.value)
    key = "intake.amount_check_approx" if reading.approximate else "intake.amount_check"
    check = Reply(
        Msg(key, {"amount": f"{reading.value:,.2f}", "typed": text.strip()}),
        buttons=(
            (button("intake.btn_amount_ok", "i:amount_ok"),),
            (button("intake.btn_amount_redo", "i:amount_redo"),),
        ),
    )
    return IntakeResult(draft, [check])


def _type_from_text(draft: IntakeDraft, text: str) -> IntakeResult:
    """A type typed in words ("装修纠纷"): proposed with a button to confirm it, above the list
    (a guess is never taken without a press)."""
    if earlier_answers.story_as_facts(text) is not None:
        draft.story = text.strip()  # offered back at the facts and later questions
    kind = type_from_text(text)
    if kind is None:
        return IntakeResult(draft, [reply("intake.type_not_understood"), prompt(draft)])
    label = Msg(f"dispute.{kind.value}")
    confirm = (button("intake.btn_type_yes", f"i:type:{kind.value}", type=label),)
    return IntakeResult(
        draft,
        [Reply(Msg("intake.type_guess", {"type": label}), buttons=(confirm, *_type_buttons()))],
    )


# ---------------------------------------------------------------------------------- dictation


def takes_dictation(draft: IntakeDraft) -> bool:
    """Whether the question now asked is answered in free text, so a spoken answer can be
    transcribed and, once the speaker confirms it, stand as the typed answer."""
    return draft.step in TEXT_LIMITS and not draft.confirming_cancel


def _evidence(event: FileInput) -> dict[str, object]:
    """A file as the draft lists it among the evidence (the file itself stays in the store)."""
    return {
        "kind": event.kind,
        "ref": event.ref,
        "name": event.name,
        "mime_type": event.mime_type,
        "size": event.size,
    }


def keep_voice(draft: IntakeDraft, event: FileInput) -> bool:
    """Keep a spoken answer among the evidence (the audio stays part of the file whatever
    the transcript says); False when the evidence list is full."""
    if len(draft.evidence) >= MAX_EVIDENCE:
        return False
    draft.evidence.append(_evidence(event))
    return True


def answer_spoken(draft: IntakeDraft, step: Step, text: str) -> IntakeResult:
    """The speaker's confirmed (or corrected) transcript as the answer to ``step``.

    The transcript may come back after the party moved on (they typed the answer meanwhile):
    then it answers nothing and they are told so. ``accepted`` is set when the text passed the
    step's checks and the dialogue moved on.
    """
    if draft.step is not step or not takes_dictation(draft):
        return IntakeResult(draft, [reply("intake.voice_step_passed"), prompt(draft)])
    result = handle(draft, TextInput(text))
    result.accepted = result.draft is not None and result.draft.step is not step
    return result


def _other_phone(draft: IntakeDraft, phone: str) -> str:
    if phone == draft.answers.get("phone"):
        raise InvalidInput("intake.same_phone")
    return phone


def _take_contact(draft: IntakeDraft, event: ContactInput) -> IntakeResult:
    if draft.step is Step.PHONE:
        if not event.is_own:
            raise InvalidInput("intake.contact_not_own")
        draft.answers["phone"] = normalise_phone(event.phone)
        _advance(draft)
        return IntakeResult(draft, [PHONE_SAVED, prompt(draft)])
    if draft.step is Step.OTHER_PHONE:
        draft.answers["other_phone"] = _other_phone(draft, normalise_phone(event.phone))
        _advance(draft)
        return IntakeResult(draft, [prompt(draft)])
    return IntakeResult(draft, [reply("intake.contact_not_expected"), prompt(draft)])


def _take_evidence(draft: IntakeDraft, event: FileInput) -> IntakeResult:
    if len(draft.evidence) >= MAX_EVIDENCE:
        return IntakeResult(draft, [reply("intake.evidence_full", max=MAX_EVIDENCE), prompt(draft)])
    draft.evidence.append(_evidence(event))
    note = reply("intake.evidence_received", count=len(draft.evidence))
    if draft.step is Step.EVIDENCE:
        return IntakeResult(draft, [note])
    return IntakeResult(draft, [note, prompt(draft)])
