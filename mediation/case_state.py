"""The case lifecycle as an explicit state machine.

Every change of a case's status goes through :func:`transition`; the table below is the whole
truth, and docs/ARCHITECTURE.md's Mermaid diagram is tested to match it.

Legal anchors:
- 人民调解法 第十七条: a dispute may be mediated only if the other party does not refuse — so a
  case stays ``submitted`` until the respondent accepts, and a refusal ends it (``rejected``).
- 人民调解法 第二十三条: parties may ask to end mediation at any time (``withdrawn``).
- 人民调解法 第二十六条: when mediation fails the mediator ends it and tells the parties of
  other routes (``failed``).
- 人民调解法 第二十九条: the written agreement takes effect once every party has signed, sealed
  or fingerprinted it, the mediator has signed and the committee's seal is affixed
  (``signing`` → ``agreed``).
- 人民调解法 第二十八条、第三十条: parties who want no written agreement may agree orally; the
  mediator records it and it takes effect that day (``mediating`` → ``agreed``).
- 人民调解法 第三十一条: the committee supervises performance (``agreed`` → ``closed`` after the
  follow-up visit).
- 治安管理处罚法 第九条 (治安调解, ``mediation.police``): an agreement both parties signed before the
  police makes the case ``agreed``; no agreement, or one not performed, returns it to the police
  to be dealt with under the law (``transferred``).
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"  # 已申请，待对方同意
    ACCEPTED = "accepted"  # 已受理，待调解
    MEDIATING = "mediating"  # 调解中
    SIGNING = "signing"  # 协议签署中
    AGREED = "agreed"  # 协议生效，履行中
    CLOSED = "closed"  # 已结案
    FAILED = "failed"  # 调解不成
    REJECTED = "rejected"  # 不予受理 (对方拒绝或邀请过期)
    WITHDRAWN = "withdrawn"  # 已撤回
    TRANSFERRED = "transferred"  # 已转办


class CaseEvent(StrEnum):
    RESPONDENT_ACCEPTS = "respondent_accepts"
    RESPONDENT_DECLINES = "respondent_declines"
    INVITATION_EXPIRES = "invitation_expires"
    OPEN_SESSION = "open_session"
    DRAFT_AGREEMENT = "draft_agreement"
    REVISE_AGREEMENT = "revise_agreement"
    ALL_SIGNED = "all_signed"
    AGREE_ORALLY = "agree_orally"
    MEDIATION_FAILS = "mediation_fails"
    WITHDRAW = "withdraw"
    TRANSFER = "transfer"
    PERFORMANCE_COMPLETE = "performance_complete"
    POLICE_AGREEMENT = "police_agreement"
    RETURN_TO_POLICE = "return_to_police"


S, E = CaseStatus, CaseEvent

TRANSITIONS: dict[tuple[CaseStatus, CaseEvent], CaseStatus] = {
    (S.SUBMITTED, E.RESPONDENT_ACCEPTS): S.ACCEPTED,
    (S.SUBMITTED, E.RESPONDENT_DECLINES): S.REJECTED,  # 人民调解法 第十七条
    (S.SUBMITTED, E.INVITATION_EXPIRES): S.REJECTED,
    (S.SUBMITTED, E.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, E.TRANSFER): S.TRANSFERRED,
    (S.ACCEPTED, E.OPEN_SESSION): S.MEDIATING,
    (S.ACCEPTED, E.WITHDRAW): S.WITHDRAWN,  # 人民调解法 第二十三条
    (S.ACCEPTED, E.TRANSFER): S.TRANSFERRED,
    (S.ACCEPTED, E.MEDIATION_FAILS): S.FAILED,
    (S.MEDIATING, E.DRAFT_AGREEMENT): S.SIGNING,
    (S.MEDIATING, E.AGREE_ORALLY): S.AGREED,  # 人民调解法 第二十八条、第三十条
    (S.MEDIATING, E.MEDIATION_FAILS): S.FAILED,  # 人民调解法 第二十六条
    (S.MEDIATING, E.WITHDRAW): S.WITHDRAWN,
    (S.MEDIATING, E.TRANSFER): S.TRANSFERRED,
    (S.SIGNING, E.REVISE_AGREEMENT): S.MEDIATING,
    (S.SIGNING, E.ALL_SIGNED): S.AGREED,  # 人民调解法 第二十九条
    (S.SIGNING, E.MEDIATION_FAILS): S.FAILED,
    (S.SIGNING, E.WITHDRAW): S.WITHDRAWN,
    (S.AGREED, E.PERFORMANCE_COMPLETE): S.CLOSED,  # 人民调解法 第三十一条
    (S.MEDIATING, E.POLICE_AGREEMENT): S.AGREED,  # 治安管理处罚法 第九条
    (S.MEDIATING, E.RETURN_TO_POLICE): S.TRANSFERRED,  # 第九条: 未达成协议
    (S.AGREED, E.RETURN_TO_POLICE): S.TRANSFERRED,  # 第九条: 达成协议后不履行
}

#: States from which nothing more happens to the case.
TERMINAL: frozenset[CaseStatus] = frozenset(
    {S.CLOSED, S.FAILED, S.REJECTED, S.WITHDRAWN, S.TRANSFERRED}
)

#: After the agreement took effect: performance and the follow-up visit (人民调解法 第三十一条).
#: A party's words then go to the case's mediator, not to a new intake.
AFTER_AGREEMENT: frozenset[CaseStatus] = frozenset({S.AGREED, S.CLOSED})

#: States in which parties are still talking (the room is open).
ACTIVE: frozenset[CaseStatus] = frozenset({S.SUBMITTED, S.ACCEPTED, S.MEDIATING, S.SIGNING})


class InvalidTransition(Exception):
    def __init__(self, status: CaseStatus, event: CaseEvent) -> None:
        super().__init__(f"{event.value} is not allowed in state {status.value}")
        self.status = status
        self.event = event


def transition(status: CaseStatus, event: CaseEvent) -> CaseStatus:
    """The next status, or :class:`InvalidTransition` if the event is not allowed now."""
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise InvalidTransition(status, event) from None


def allowed_events(status: CaseStatus) -> list[CaseEvent]:
    return [e for (s, e) in TRANSITIONS if s == status]
