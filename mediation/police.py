"""治安调解: the police mediate a minor public-order case that arose from a civil dispute.

Its own procedure, not people's mediation: the police unit hosts it and issues the 治安调解协议书
(not a 人民调解委员会), and what happens after the agreement is about punishment, not 司法确认.
Pure rules; the use cases are ``features.agreements.police``.

Read in laws.db (治安管理处罚法, revised 2025-06-27, in force 2026-01-01):
- 第九条: 因民间纠纷引起的打架斗殴或者损毁他人财物等违反治安管理行为，情节较轻的，公安机关可以调解
  处理 … 经公安机关调解，当事人达成协议的，不予处罚。经调解未达成协议或者达成协议后不履行的，公安机关
  应当依照本法的规定对违反治安管理行为作出处理，并告知当事人可以就民事争议依法向人民法院提起民事诉讼。
- 第一百零八条: in a 执法办案场所 a mediation may be held by one officer (人民警察), 应当全程同步录音录像;
  without the recording the evidence cannot ground a punishment.

Read in ../shared/legal-corpus/部门规章/公安部/公安机关办理行政案件程序规定(2019-04-27).md (its
mediation chapter, 第十章 治安调解; it predates the 2025 revision and cites the old law):
- 第一百七十八条: the acts a mediation may cover (殴打他人、故意伤害、侮辱、诽谤、诬告陷害、故意损毁财物、
  干扰他人正常生活、侵犯隐私、非法侵入住宅), 情节较轻, arising from a 民间纠纷.
- 第一百七十九条: when it is not allowed (雇凶伤害, 结伙斗殴或寻衅滋事, 多次实施, a party refuses,
  a party offends again during the mediation, the suspect flees).
- 第一百八十一条: a minor's parents or guardian are called; 违法嫌疑人不得委托他人参加调解.
- 第一百八十三条: 调解一般为一次; when one fails and the police find it necessary or a party applies,
  it may be held once more, and that second mediation 应当在第一次调解后的七个工作日内完成.
- 第一百八十四条: the 调解协议书 names the police unit, the host, both parties and others present,
  the facts (时间、地点、人员、起因、经过、情节、结果), the terms and the manner and time of
  performance; both parties sign it.
- 第一百八十五条: agreed and performed → 不再处罚; not agreed or not performed → 依法予以处罚, the
  case's time limit runs from that day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

LAW = "中华人民共和国治安管理处罚法"
RULES = "公安机关办理行政案件程序规定"


class Violation(StrEnum):
    """The acts a 治安调解 may cover (公安机关办理行政案件程序规定 第一百七十八条; 治安管理处罚法 第九条 names
    打架斗殴 and 损毁他人财物 among them)."""

    ASSAULT = "assault"  # 殴打他人 / 打架斗殴
    INJURY = "injury"  # 故意伤害
    INSULT = "insult"  # 侮辱
    DEFAMATION = "defamation"  # 诽谤
    FALSE_ACCUSATION = "false_accusation"  # 诬告陷害
    PROPERTY_DAMAGE = "property_damage"  # 故意损毁财物
    DISTURBANCE = "disturbance"  # 干扰他人正常生活
    PRIVACY = "privacy"  # 侵犯隐私
    TRESPASS = "trespass"  # 非法侵入住宅


VIOLATION_LABEL: dict[Violation, str] = {
    Violation.ASSAULT: "殴打他人",
    Violation.INJURY: "故意伤害",
    Violation.INSULT: "侮辱",
    Violation.DEFAMATION: "诽谤",
    Violation.FALSE_ACCUSATION: "诬告陷害",
    Violation.PROPERTY_DAMAGE: "故意损毁财物",
    Violation.DISTURBANCE: "干扰他人正常生活",
    Violation.PRIVACY: "侵犯隐私",
    Violation.TRESPASS: "非法侵入住宅",
}


class Exclusion(StrEnum):
    """公安机关办理行政案件程序规定 第一百七十九条: any of these rules the mediation out."""

    HIRED = "hired"  # （一）雇凶伤害他人
    GANG = "gang"  # （二）结伙斗殴或者其他寻衅滋事
    REPEATED = "repeated"  # （三）多次实施违反治安管理行为
    REFUSES = "refuses"  # （四）当事人明确表示不愿意调解处理
    REOFFENDED = "reoffended"  # （五）调解过程中又针对对方实施违反治安管理行为
    FLED = "fled"  # （六）调解过程中，违法嫌疑人逃跑


class PoliceStatus(StrEnum):
    MEDIATING = "mediating"  # 治安调解中
    FAILED_ONCE = "failed_once"  # 第一次调解未达成协议：可在七个工作日内再次调解（第一百八十三条）
    AGAIN = "again"  # 再次调解中
    AGREED = "agreed"  # 已达成协议（双方已签名），待履行
    PERFORMED = "performed"  # 已履行：不予处罚
    RETURNED = "returned"  # 未达成协议或不履行：交回公安机关依法处理


class PoliceEvent(StrEnum):
    AGREEMENT_SIGNED = "agreement_signed"
    PERFORMED = "performed"
    BROKEN = "broken"  # 达成协议后不履行
    FAILED = "failed"  # 调解未达成协议
    EXCLUDED = "excluded"  # 调解中出现第一百七十九条的情形（又实施违法行为、违法嫌疑人逃跑…）
    AGAIN = "again"  # 第一次不成，公安机关认为有必要或者当事人申请：再次调解（第一百八十三条）
    GIVE_UP = "give_up"  # 第一次不成，不再调解


P, PE = PoliceStatus, PoliceEvent

#: 治安管理处罚法 第九条; 公安机关办理行政案件程序规定 第一百八十三条至第一百八十五条: a first
#: mediation that fails may be followed by one more; a second that fails, or a 第一百七十九条
#: situation arising in either, returns the case to the police.
TRANSITIONS: dict[tuple[PoliceStatus, PoliceEvent], PoliceStatus] = {
    (P.MEDIATING, PE.AGREEMENT_SIGNED): P.AGREED,
    (P.MEDIATING, PE.FAILED): P.FAILED_ONCE,
    (P.MEDIATING, PE.EXCLUDED): P.RETURNED,
    (P.FAILED_ONCE, PE.AGAIN): P.AGAIN,
    (P.FAILED_ONCE, PE.GIVE_UP): P.RETURNED,
    (P.AGAIN, PE.AGREEMENT_SIGNED): P.AGREED,
    (P.AGAIN, PE.FAILED): P.RETURNED,
    (P.AGAIN, PE.EXCLUDED): P.RETURNED,
    (P.AGREED, PE.PERFORMED): P.PERFORMED,
    (P.AGREED, PE.BROKEN): P.RETURNED,
}

#: What each end means for the person who broke the public order (第九条第三款).
PUNISHMENT: dict[PoliceStatus, str] = {
    P.PERFORMED: "不予处罚",
    P.RETURNED: "依法作出处理",
}


class PoliceTransitionError(Exception):
    def __init__(self, status: PoliceStatus, event: PoliceEvent) -> None:
        super().__init__(f"{event.value} is not allowed in police mediation state {status.value}")
        self.status, self.event = status, event


def transition(status: PoliceStatus, event: PoliceEvent) -> PoliceStatus:
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise PoliceTransitionError(status, event) from None


#: The states in which the officer is mediating (a 协议书 may be drafted and signed).
MEDIATING_STATES = frozenset({P.MEDIATING, P.AGAIN})

#: 公安机关办理行政案件程序规定 第一百八十三条: 再次调解 … 应当在第一次调解后的七个工作日内完成.
AGAIN_WORKING_DAYS = 7


class AgainGround(StrEnum):
    """Why a second mediation is held (第一百八十三条): one of the two the rule allows."""

    NECESSARY = "necessary"  # 公安机关认为有必要
    REQUESTED = "requested"  # 当事人申请


def again_deadline(first: date) -> date:
    """The last day a second mediation may be completed: the seventh working day after the
    first mediation's day (that day itself not counted). Working days are counted Monday to
    Friday: the holiday calendar (法定节假日, 调休) is not known here, so the console says the
    date is counted that way and the officer checks it against the year's calendar."""
    day, left = first, AGAIN_WORKING_DAYS
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def again_open(deadline: date | None, today: date) -> bool:
    """A second mediation may still be started or completed today."""
    return deadline is not None and today <= deadline


def returned_to_police(status: PoliceStatus) -> bool:
    """The case goes back to the police to be dealt with under the law (第九条第三款)."""
    return status is P.RETURNED


@dataclass(frozen=True)
class Intake:
    """What the officer states when opening a 治安调解."""

    violation: Violation | None
    from_civil_dispute: bool  # 因民间纠纷引起
    minor_circumstances: bool  # 情节较轻
    exclusions: frozenset[Exclusion]
    officers: int  # how many 人民警察 host it
    recording_ref: str  # the 全程同步录音录像's reference (required with one officer)
    offender_party_id: int | None  # 违法嫌疑人
    injured_party_id: int | None  # 被侵害人
    offender_has_agent: bool = False
    minors_without_guardian: int = 0


def problems(intake: Intake) -> list[str]:
    """Why this case may not be mediated by the police (empty: it may). Each is a short code
    the catalogue explains with the article."""
    out: list[str] = []
    if intake.violation is None:
        out.append("violation")  # 第九条; 公安机关办理行政案件程序规定 第一百七十八条
    if not intake.from_civil_dispute:
        out.append("not_civil")  # 第九条: 因民间纠纷引起
    if not intake.minor_circumstances:
        out.append("not_minor")  # 第九条: 情节较轻
    if intake.exclusions:
        out.append("excluded")  # 公安机关办理行政案件程序规定 第一百七十九条
    if intake.officers < 1:
        out.append("officers")
    elif intake.officers == 1 and not intake.recording_ref.strip():
        out.append("recording")  # 第一百零八条: one officer → 全程同步录音录像
    sides = {intake.offender_party_id, intake.injured_party_id}
    if None in sides or len(sides) != 2:
        out.append("sides")  # 违法嫌疑人 and 被侵害人 are two different parties
    if intake.offender_has_agent:
        out.append("offender_agent")  # 公安机关办理行政案件程序规定 第一百八十一条第二款
    if intake.minors_without_guardian:
        out.append("guardian")  # 公安机关办理行政案件程序规定 第一百八十一条第一款
    return out


def parse_exclusions(values: Iterable[str]) -> frozenset[Exclusion]:
    out: set[Exclusion] = set()
    for v in values:
        try:
            out.add(Exclusion(v))
        except ValueError:
            continue
    return frozenset(out)
