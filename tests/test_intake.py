"""The intake dialogue as a pure state machine: every step, every kind of bad input."""

from __future__ import annotations

import pytest

from mediation import intake
from mediation.intake import (
    ActionInput,
    ContactInput,
    FileInput,
    IntakeDraft,
    OtherInput,
    Step,
    TextInput,
)
from mediation.validation import id_check_digit

ID = "11010519491231002" + id_check_digit("11010519491231002")


def keys(result: intake.IntakeResult) -> list[str]:
    return [r.text.key for r in result.replies]


def run(draft: IntakeDraft, *inputs: intake.Input) -> intake.IntakeResult:
    result = intake.IntakeResult(draft, [])
    for event in inputs:
        assert result.draft is not None
        result = intake.handle(result.draft, event)
    return result


HAPPY: list[intake.Input] = [
    ActionInput("i:consent"),
    ActionInput("i:type:labour_wages"),
    TextInput("老板拖欠我三个月工资，一共一万二千元，多次催要没有结果。"),
    FileInput("photo", "photo-1"),
    ActionInput("i:next"),
    TextInput("支付拖欠的工资"),
    TextInput("1.2万"),
    TextInput("九龙坡区杨家坪街道"),
    TextInput("张三"),
    ContactInput("+86 138 1234 5678", is_own=True),
    TextInput(ID),
    TextInput("李四"),
    TextInput("13987654321"),
]


def test_happy_path_reaches_summary_and_submits() -> None:
    result = run(intake.start().draft or IntakeDraft(), *HAPPY)
    draft = result.draft
    assert draft is not None and draft.step is Step.CONFIRM
    assert keys(result) == ["intake.summary"]
    assert draft.answers["amount"] == "12000.00"
    assert draft.answers["phone"] == "13812345678"
    assert draft.answers["id_number"] == ID
    assert len(draft.evidence) == 1
    params = result.replies[0].text.params
    assert params["id_number"] != ID  # masked even on the party's own summary
    final = intake.handle(draft, ActionInput("i:submit"))
    assert final.submitted and final.draft is draft


def test_state_survives_json_round_trip_at_every_step() -> None:
    draft = IntakeDraft()
    for event in HAPPY:
        draft = IntakeDraft.from_json(draft.to_json())
        result = intake.handle(draft, event)
        assert result.draft is not None
        draft = result.draft
    assert draft.step is Step.CONFIRM


@pytest.mark.parametrize(
    ("step_inputs", "bad", "error_key"),
    [
        (2, TextInput("太短"), "error.too_short"),
        (2, TextInput("长" * 2001), "error.too_long"),
        (6, TextInput("很多钱"), "error.bad_amount"),
        (8, TextInput("张3"), "error.bad_name"),
        (9, TextInput("12345"), "error.bad_phone"),
        (9, ContactInput("13812345678", is_own=False), "intake.contact_not_own"),
        (10, TextInput("110105194912310021"), "error.bad_id_checksum"),
        (12, TextInput("13812345678"), "intake.same_phone"),
        (2, OtherInput("sticker"), "intake.unsupported_input"),
        (1, TextInput("劳动争议"), "intake.press_a_button"),
        (0, TextInput("好的"), "intake.press_a_button"),
        (4, TextInput("没有证据"), "intake.evidence_expected"),
    ],
)
def test_bad_input_is_explained_and_the_step_asked_again(
    step_inputs: int, bad: intake.Input, error_key: str
) -> None:
    before = run(IntakeDraft(), *HAPPY[:step_inputs]).draft
    assert before is not None
    snapshot = before.to_json()
    result = intake.handle(before, bad)
    assert result.draft is not None
    assert keys(result)[0] == error_key
    # The same question is asked again and nothing typed so far is lost.
    assert result.draft.step.value == snapshot["step"]
    assert result.draft.answers == snapshot["answers"]
    assert keys(result)[-1] == intake.prompt(result.draft).text.key


def test_voice_where_text_is_wanted_is_kept_as_evidence() -> None:
    draft = run(IntakeDraft(), *HAPPY[:2]).draft
    assert draft is not None
    result = intake.handle(draft, FileInput("voice", "voice-1"))
    assert keys(result)[0] == "intake.voice_kept"
    assert draft.step is Step.FACTS and draft.evidence[0]["kind"] == "voice"


def test_photo_during_facts_is_evidence_and_facts_still_asked() -> None:
    draft = run(IntakeDraft(), *HAPPY[:2]).draft
    assert draft is not None
    result = intake.handle(draft, FileInput("photo", "p"))
    assert keys(result) == ["intake.evidence_received", "intake.ask_facts"]


def test_optional_steps_can_be_skipped() -> None:
    inputs = [*HAPPY[:6], ActionInput("i:skip"), *HAPPY[7:10]]
    inputs += [ActionInput("i:skip"), TextInput("李四"), ActionInput("i:skip")]
    draft = run(IntakeDraft(), *inputs).draft
    assert draft is not None and draft.step is Step.CONFIRM
    assert draft.answers["amount"] is None and draft.answers["other_phone"] is None


def test_skip_is_refused_on_a_required_step() -> None:
    draft = run(IntakeDraft(), *HAPPY[:5]).draft
    assert draft is not None and draft.step is Step.CLAIMS
    result = intake.handle(draft, ActionInput("i:skip"))
    assert keys(result) == ["intake.stale_button", "intake.ask_claims"]


def test_edit_from_summary_returns_to_summary() -> None:
    draft = run(IntakeDraft(), *HAPPY).draft
    assert draft is not None
    result = intake.handle(draft, ActionInput("i:edit:place"))
    assert keys(result) == ["intake.ask_place"]
    result = intake.handle(draft, TextInput("渝中区解放碑街道"))
    assert keys(result) == ["intake.summary"]
    assert draft.answers["place"] == "渝中区解放碑街道"
    assert draft.answers["name"] == "张三"


def test_cancel_asks_first_and_can_be_undone() -> None:
    draft = run(IntakeDraft(), *HAPPY[:4]).draft
    assert draft is not None
    asked = intake.request_cancel(draft)
    assert keys(asked) == ["intake.confirm_cancel"]
    kept = intake.handle(draft, ActionInput("i:cancel_no"))
    assert kept.draft is not None and kept.draft.answers["facts"].startswith("老板")
    intake.request_cancel(draft)
    gone = intake.handle(draft, ActionInput("i:cancel_yes"))
    assert gone.draft is None and keys(gone) == ["intake.cancelled"]


def test_declining_consent_keeps_nothing() -> None:
    result = intake.handle(IntakeDraft(), ActionInput("i:decline"))
    assert result.draft is None and keys(result) == ["intake.declined"]


def test_stale_button_from_an_earlier_step() -> None:
    draft = run(IntakeDraft(), *HAPPY[:3]).draft
    assert draft is not None
    result = intake.handle(draft, ActionInput("i:type:neighbour"))
    assert keys(result) == ["intake.stale_button", "intake.ask_evidence"]
    assert draft.answers["dispute_type"] == "labour_wages"


def test_evidence_limit() -> None:
    draft = run(IntakeDraft(), *HAPPY[:3]).draft
    assert draft is not None
    for i in range(intake.MAX_EVIDENCE):
        intake.handle(draft, FileInput("document", f"d{i}"))
    result = intake.handle(draft, FileInput("document", "one-too-many"))
    assert keys(result)[0] == "intake.evidence_full"
    assert len(draft.evidence) == intake.MAX_EVIDENCE


def test_every_button_action_fits_telegram() -> None:
    draft = run(IntakeDraft(), *HAPPY).draft
    assert draft is not None
    for step in Step:
        draft.step = step
        for row in intake.prompt(draft).buttons:
            for b in row:
                assert len(b.action.encode()) <= 64
