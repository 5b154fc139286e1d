"""The intake dialogue as a pure state machine: every step, every kind of bad input."""

from __future__ import annotations

import pytest

from mediation import intake, intake_state
from mediation.intake import (
    ActionInput,
    ContactInput,
    FileInput,
    IntakeDraft,
    OtherInput,
    Step,
    TextInput,
)
from mediation.replies import Msg
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
    TextInput("12000"),
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
        (1, TextInput("好的"), "intake.type_not_understood"),
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


# ---------------------------------------------------------------- input as people type it (issue 19)


def _at(step: Step) -> IntakeDraft:
    """A draft walked along the happy path up to ``step``."""
    draft = IntakeDraft()
    for event in HAPPY:
        if draft.step is step:
            return draft
        result = intake.handle(draft, event)
        assert result.draft is not None
        draft = result.draft
    raise AssertionError(step)


@pytest.mark.parametrize(
    ("typed", "figure", "approximate"),
    [
        ("大概四千八", "4800.00", True),
        ("4.8千", "4800.00", False),
        ("四千八百元整", "4800.00", False),
        ("一万二", "12000.00", False),
        ("1.2万", "12000.00", False),
        ("5000左右", "5000.00", True),
        ("差不多三千块", "3000.00", True),
    ],
)
def test_an_amount_in_words_is_shown_back_and_taken_once_confirmed(
    typed: str, figure: str, approximate: bool
) -> None:
    draft = _at(Step.AMOUNT)
    shown = intake.handle(draft, TextInput(typed))
    assert draft.step is Step.AMOUNT and "amount" not in draft.answers
    (check,) = shown.replies
    assert check.text.params["amount"] == f"{float(figure):,.2f}"
    assert check.text.key.endswith("_approx") is approximate
    assert [b.action for row in check.buttons for b in row] == ["i:amount_ok", "i:amount_redo"]
    taken = intake.handle(draft, ActionInput("i:amount_ok"))
    assert keys(taken) == ["intake.ask_place"]
    assert draft.answers["amount"] == figure and draft.answers["amount_approx"] is approximate


def test_an_amount_read_wrongly_is_typed_again() -> None:
    draft = _at(Step.AMOUNT)
    intake.handle(draft, TextInput("四千八"))
    again = intake.handle(draft, ActionInput("i:amount_redo"))
    assert keys(again) == ["intake.ask_amount"] and "amount" not in draft.answers
    plain = intake.handle(draft, TextInput("¥4,800"))  # digits: nothing to read, taken at once
    assert keys(plain) == ["intake.ask_place"] and draft.answers["amount"] == "4800.00"


def test_an_amount_is_not_a_place() -> None:
    draft = _at(Step.PLACE)
    refused = intake.handle(draft, TextInput("8,600"))
    assert keys(refused) == ["error.place_not_a_place", "intake.ask_place"]
    assert "place" not in draft.answers


def test_names_with_spaces_and_a_role_in_brackets() -> None:
    draft = _at(Step.NAME)
    intake.handle(draft, TextInput("张 秀 英"))
    assert draft.answers["name"] == "张秀英"
    draft = _at(Step.OTHER_NAME)
    intake.handle(draft, TextInput("李志强（装修队老板）"))
    assert draft.answers["other_name"] == "李志强"
    assert draft.answers["other_name_note"] == "装修队老板"
    draft = _at(Step.OTHER_NAME)
    intake.handle(draft, TextInput("重庆某某装饰工程有限公司"))
    assert draft.answers["other_name_kind"] == "organisation"


def test_the_other_side_unknown_keeps_what_was_said() -> None:
    draft = _at(Step.OTHER_NAME)
    result = intake.handle(draft, TextInput("不知道叫什么 就是1202的"))
    assert keys(result) == ["intake.other_name_unknown_noted", "intake.ask_other_phone"]
    assert result.replies[0].text.params == {"note": "就是1202的"}
    assert draft.answers["other_name"] == "" and draft.answers["other_name_note"] == "就是1202的"
    result = intake.handle(draft, TextInput("不清楚"))
    assert keys(result) == ["intake.detail_unknown", "intake.summary"]
    assert draft.answers["other_phone"] is None
    assert result.replies[-1].text.params["other_name"] == Msg(
        "intake.name_unknown_with_note", {"note": "就是1202的"}
    )


def test_the_other_sides_name_has_a_dont_know_button() -> None:
    draft = _at(Step.OTHER_NAME)
    (asked,) = intake.handle(_at(Step.ID_NUMBER), TextInput(ID)).replies
    assert [b.action for row in asked.buttons for b in row] == ["i:unknown"]
    result = intake.handle(draft, ActionInput("i:unknown"))
    assert draft.step is Step.OTHER_PHONE and draft.answers["other_name"] == ""
    assert keys(result)[0] == "intake.other_name_unknown"
    typed = _at(Step.OTHER_NAME)
    assert keys(intake.handle(typed, TextInput("不知道")))[0] == "intake.other_name_unknown"


def test_a_type_typed_in_words_is_proposed_with_a_button() -> None:
    draft = _at(Step.DISPUTE_TYPE)
    (guess,) = intake.handle(draft, TextInput("装修纠纷")).replies
    assert guess.text.key == "intake.type_guess"
    assert guess.buttons[0][0].action == "i:type:renovation"
    assert draft.step is Step.DISPUTE_TYPE  # nothing taken without a press
    taken = intake.handle(draft, ActionInput(guess.buttons[0][0].action))
    assert draft.answers["dispute_type"] == "renovation"
    assert keys(taken) == ["intake.ask_facts"]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("装修纠纷", "renovation"),
        ("物业费", "property_management"),
        ("房东不退押金", "property_lease"),
        ("老板欠我工钱", "labour_wages"),
        ("借钱不还", "private_lending"),
        ("楼上噪音", "neighbour"),
        ("网购退货", "consumer"),
        ("合伙做生意散伙", "contract"),
        ("其他", "other"),
    ],
)
def test_a_type_in_everyday_words(typed: str, code: str) -> None:
    from mediation.disputes import type_from_text

    found = type_from_text(typed)
    assert found is not None and found.value == code


def test_an_amount_said_approximately_or_not_known_is_kept_so() -> None:
    """大概四千八 is taken as approximate (约), 不知道 as not known (不详), and 跳过 as not given
    (未填写): the summary says each, and the case keeps which (``amount_stated``)."""
    approx = run(IntakeDraft(step=Step.AMOUNT), TextInput("大概四千八"))
    draft = intake.handle(approx.draft or IntakeDraft(), ActionInput("i:amount_ok")).draft
    assert draft is not None and draft.amount_stated is intake_state.AmountStated.APPROXIMATE
    unknown = run(IntakeDraft(step=Step.AMOUNT), TextInput("不知道"))
    assert unknown.draft is not None and unknown.draft.answers["amount"] is None
    assert unknown.draft.amount_stated is intake_state.AmountStated.UNKNOWN
    skipped = run(IntakeDraft(step=Step.AMOUNT), ActionInput("i:skip"))
    assert skipped.draft is not None and skipped.draft.amount_stated is None
    # A figure typed after all replaces the 不知道.
    draft = unknown.draft
    draft.step, draft.editing = Step.AMOUNT, True
    typed = intake.handle(draft, TextInput("3000")).draft
    assert typed is not None and typed.amount_stated is None and not typed.said_unknown(Step.AMOUNT)


def test_the_summary_says_not_known_where_the_party_said_so() -> None:
    answers = run(intake.start().draft or IntakeDraft(), *HAPPY[:6]).draft
    assert answers is not None
    draft = run(
        answers,
        TextInput("不知道"),  # the amount
        TextInput("九龙坡区杨家坪街道"),
        TextInput("张三"),
        ContactInput("+86 138 1234 5678", is_own=True),
        ActionInput("i:skip"),  # the ID number
        TextInput("李四"),
        TextInput("13987654321"),
    )
    summary = draft.replies[-1].text
    assert summary.key == "intake.summary"
    assert summary.params["amount"] == Msg("intake.not_known")
    assert summary.params["id_number"] == Msg("intake.not_given")
