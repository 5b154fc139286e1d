"""The rules that find, in what a party already told the intake, the answer a later question
asks for (mediation.earlier_answers), and the intake offering it for confirmation
(mediation.intake.earlier_answer): only when clear, never taken without 对."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mediation import intake
from mediation.earlier_answers import (
    Party,
    amount_in,
    claim_in,
    other_party_in,
    story_as_facts,
)
from mediation.intake import ActionInput, IntakeDraft, Step, TextInput
from mediation.intake_state import AmountStated

STORY = "楼上邻居王某家卫生间漏水，把我家天花板泡坏了，要求赔偿修理费四千八"


def test_the_story_of_the_brief() -> None:
    assert story_as_facts(STORY) == STORY
    assert story_as_facts("老板拖欠我三个月工资，一直不给。") is not None
    assert claim_in([STORY]) == "赔偿修理费四千八"
    found = amount_in([STORY])
    assert found is not None and (found.said, found.value, found.approximate) == (
        "四千八",
        Decimal("4800.00"),
        False,
    )
    assert other_party_in([STORY]) == Party("王某", "楼上邻居")
    assert Party("王某", "楼上邻居").answer == "王某（楼上邻居）"


@pytest.mark.parametrize(
    "text",
    [
        "装修纠纷",
        "邻里纠纷",
        "我和邻居吵架",
        "欠钱不还",
        "  楼上漏水  ",
        "",
        "我想申请邻里纠纷调解，谢谢！",
        "你好，我有一个劳动纠纷的问题想咨询一下",
    ],
)
def test_a_type_or_a_few_words_are_no_facts(text: str) -> None:
    assert story_as_facts(text) is None


@pytest.mark.parametrize(
    ("text", "claim"),
    [
        (STORY, "赔偿修理费四千八"),
        ("房东不退押金3000元，我要求他退还押金。", "退还押金"),
        ("老板拖欠工资，我希望他尽快支付工资，并赔礼道歉。", "支付工资，并赔礼道歉"),
        ("装修没做完就跑了，要求退还装修款1.2万元，他不接电话", "退还装修款1.2万元"),
        ("楼上天天半夜蹦迪，想让他们停止噪音", "停止噪音"),
        ("他要求我赔偿五千，我要求他道歉", "道歉"),
        ("欠了两万一直不还，我要求他还钱", "还钱"),
        ("我叫他赔钱他不理", "赔钱"),
        ("要求他恢复原状但他说没钱", "恢复原状"),  # what he asks of her is not her claim
    ],
)
def test_one_demand_is_found(text: str, claim: str) -> None:
    assert claim_in([text]) == claim


@pytest.mark.parametrize(
    "text",
    [
        "楼上邻居每天深夜装修，噪音很大，多次沟通无果。",
        "我不要求赔偿，也没想让他怎么样",  # negated
        "希望能和平解决这件事",  # a wish, no demand
        "要求他赔偿修理费。还要求他赔礼道歉。",  # two demands: which one is meant?
        "我的要求很简单",
        "房东让物业停止供水，我家没水用了",  # what the other side did, not a demand
        "希望还能和好，希望双方各退一步",  # 还, 退 that ask for nothing
    ],
)
def test_no_demand_or_two_is_none(text: str) -> None:
    assert claim_in([text]) is None


def test_the_same_demand_in_the_story_and_the_facts_is_one() -> None:
    assert claim_in([STORY, f"{STORY}。"]) == "赔偿修理费四千八"


@pytest.mark.parametrize(
    ("text", "value", "approximate"),
    [
        (STORY, "4800", False),
        ("押金3000元一直不退", "3000", False),
        ("一共欠了两万四，说好月底还的", "24000", False),
        ("花了医药费大概800块", "800", True),
        ("装修款1.2万元没退", "12000", False),
        ("损失五千多", "5000", True),
        ("赔偿 ４８００ 元", "4800", False),
    ],
)
def test_one_sum_of_money_is_found(text: str, value: str, approximate: bool) -> None:
    found = amount_in([text])
    assert found is not None
    assert (found.value, found.approximate) == (Decimal(value), approximate)


@pytest.mark.parametrize(
    "text",
    [
        "楼上邻居每天深夜装修，噪音很大，多次沟通无果。",
        "拖欠了三个月的工资",  # a count
        "2023年3月5日开始漏水",  # a date
        "1202室的邻居漏水，打他电话13800000000不接",  # a flat, a phone number
        "医药费800元，误工费1000元",  # two different sums
        "他欠我钱",  # money, no sum
        "住了十几年，第一次遇到",
    ],
)
def test_no_sum_or_two_is_none(text: str) -> None:
    assert amount_in([text]) is None


def test_the_same_sum_said_twice_is_one() -> None:
    found = amount_in([STORY, "赔偿修理费4800元"])
    assert found is not None and found.value == Decimal("4800")


@pytest.mark.parametrize(
    ("text", "party"),
    [
        (STORY, Party("王某", "楼上邻居")),
        ("房东刘先生不退押金", Party("刘先生", "房东")),
        ("对方叫李志强，是装修队老板", Party("李志强", "")),
        ("邻居名叫张秀英，她家漏水", Party("张秀英", "邻居")),
        ("被告李某某欠钱不还", Party("李某某", "")),
        ("找王师傅装的空调，漏水", Party("王师傅", "")),
    ],
)
def test_one_other_person_is_found(text: str, party: Party) -> None:
    assert other_party_in([text]) == party


@pytest.mark.parametrize(
    "text",
    [
        "我叫张三，楼上邻居漏水",  # the applicant's own name
        "楼上邻居每天深夜装修",  # nobody named
        "我和老板吵架了，他不给我发工资",  # 和 is no surname here
        "语文老师说孩子打架",  # 文老师 inside a word
        "中国某某公司欠款",  # no person
        "找了王师傅修，物业的张经理不管",  # two people
        "邻居叫张秀英住1202",  # where the name ends is not clear
        "楼上王家漏水",
    ],
)
def test_nobody_or_several_is_none(text: str) -> None:
    assert other_party_in([text]) is None


# ---------------------------------------------------------------------------------- the intake


def keys(result: intake.IntakeResult) -> list[str]:
    return [r.text.key for r in result.replies]


def told(story: str = STORY) -> IntakeDraft:
    """The story typed at the type question, the type confirmed: at the facts."""
    draft = IntakeDraft()
    for event in (ActionInput("i:consent"), TextInput(story), ActionInput("i:type:neighbour")):
        result = intake.handle(draft, event)
        assert result.draft is not None
        draft = result.draft
    return draft


def at(draft: IntakeDraft) -> Step:
    """The draft's step (read through a call: the draft changes under the type checker)."""
    return draft.step


def actions(result: intake.IntakeResult) -> list[str]:
    return [b.action for row in result.replies[-1].buttons for b in row]


def test_each_answer_already_told_is_offered_and_taken_only_on_a_press() -> None:
    draft = told()
    assert draft.step.value == "facts" and draft.story == STORY
    offer = intake.prompt(draft)
    assert offer.text.key == "intake.earlier" and offer.text.params["said"] == STORY
    assert [b.action for row in offer.buttons for b in row] == [
        "i:earlier_ok:facts",
        "i:earlier_no:facts",
    ]
    assert "facts" not in draft.answers  # offered, not taken
    taken = intake.handle(draft, ActionInput("i:earlier_ok:facts"))
    assert draft.answers["facts"] == STORY and at(draft) is Step.EVIDENCE
    assert keys(taken) == ["intake.ask_evidence"]
    claims = intake.handle(draft, ActionInput("i:next"))
    assert keys(claims) == ["intake.earlier"] and "claims" not in draft.answers
    amount = intake.handle(draft, ActionInput("i:earlier_ok:claims"))
    assert draft.answers["claims"] == "赔偿修理费四千八"
    assert keys(amount) == ["intake.earlier_amount"] and "amount" not in draft.answers
    assert actions(amount) == ["i:earlier_ok:amount", "i:earlier_no:amount", "i:skip"]
    intake.handle(draft, ActionInput("i:earlier_ok:amount"))
    assert (draft.answers["amount"], draft.answers["amount_approx"]) == ("4800.00", False)
    assert at(draft) is Step.PLACE
    for event in (TextInput("九龙坡区杨家坪街道"), TextInput("张 秀 英")):
        intake.handle(draft, event)
    draft.answers["phone"], draft.step = "13800000000", Step.OTHER_NAME
    other = intake.prompt(draft)
    assert other.text.params["said"] == "王某（楼上邻居）"
    intake.handle(draft, ActionInput("i:earlier_ok:other_name"))
    assert (draft.answers["other_name"], draft.answers["other_name_note"]) == ("王某", "楼上邻居")
    assert at(draft) is Step.OTHER_PHONE


def test_an_estimate_in_the_story_is_offered_and_kept_as_one() -> None:
    draft = told("楼上漏水把我家地板泡坏了，修理费大概四千八，要求他赔偿。")
    draft.answers["facts"], draft.answers["claims"], draft.step = "…", "赔偿", Step.AMOUNT
    offer = intake.prompt(draft)
    assert offer.text.key == "intake.earlier_amount_approx"
    assert offer.text.params["said"] == "大概四千八"
    intake.handle(draft, ActionInput("i:earlier_ok:amount"))
    assert draft.amount == Decimal("4800") and draft.amount_stated is AmountStated.APPROXIMATE


def test_not_right_asks_from_scratch_and_stays_so() -> None:
    draft = told()
    result = intake.handle(draft, ActionInput("i:earlier_no:facts"))
    assert keys(result) == ["intake.ask_facts"] and "facts" not in draft.answers
    assert intake.prompt(draft).text.key == "intake.ask_facts"  # asked again: still from scratch
    restored = IntakeDraft.from_json(draft.to_json())
    assert restored.story == STORY and restored.declined == ["facts"]
    assert intake.prompt(restored).text.key == "intake.ask_facts"


def test_typing_over_an_offer_is_the_answer() -> None:
    draft = told()
    intake.handle(draft, TextInput("楼上卫生间漏水，我家天花板泡坏了两块。"))
    assert draft.answers["facts"] == "楼上卫生间漏水，我家天花板泡坏了两块。"
    assert at(draft) is Step.EVIDENCE


def test_a_stale_offer_button_takes_nothing() -> None:
    draft = told()
    intake.handle(draft, ActionInput("i:earlier_ok:facts"))
    again = intake.handle(draft, ActionInput("i:earlier_ok:facts"))  # pressed twice
    assert keys(again) == ["intake.stale_button", "intake.ask_evidence"]
    wrong = intake.handle(draft, ActionInput("i:earlier_ok:claims"))  # not this step's
    assert keys(wrong)[0] == "intake.stale_button" and "claims" not in draft.answers


def test_nothing_is_offered_when_changing_an_answer_from_the_summary() -> None:
    draft = told()
    draft.step, draft.editing = Step.CLAIMS, True
    assert intake.earlier_answer(draft) is None
    assert intake.prompt(draft).text.key == "intake.ask_claims"


def test_a_type_chosen_by_button_offers_nothing() -> None:
    draft = IntakeDraft()
    for event in (ActionInput("i:consent"), ActionInput("i:type:neighbour")):
        intake.handle(draft, event)
    assert draft.step is Step.FACTS and intake.prompt(draft).text.key == "intake.ask_facts"
