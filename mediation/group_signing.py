"""Whether a group's written agreement binds every claimant: each by their own signature or by
a representative's who may settle for them. Pure functions.

Why a rule of its own: a group dispute (ten workers owed wages) is settled by one document, but
each worker is a party with their own claim. Before, the roster's members were not parties and
the 协议书 was recorded as an outcome without anyone signing for them. Here every member is a
party of the case (``mediation.parties`` plans a seat for each), and this module answers the
question the mediator and a court ask of the signed version: who is covered, by whom, and who
is still missing.

Legal anchors (texts read in laws.db):

- 人民调解法 第二十九条: the 调解协议书 takes effect when *every party* has signed, sealed or put a
  fingerprint on it — for a group, every claimant, not the group as a whole.
- 民事诉讼法 第五十六条: where one side is numerous, the parties may choose a representative, but
  the representative settles (进行和解) only with the consent of those represented; 第六十二条:
  settling for another needs a *special* authority (特别授权). So the representative covers a
  member only with that member's checked special authority (``Agent.may_sign``); a general
  authority lets them speak, not sign.
- 民法典 第一百七十一条: an act without authority does not bind the principal; a member nobody
  with authority signed for is not bound, and the agreement is not effective for the group.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from mediation.parties import Acting, Agent


class Cover(StrEnum):
    """Where one claimant stands on a version being signed."""

    SELF = "self"  # signed it themselves
    REPRESENTATIVE = "representative"  # a representative with special authority signed for them
    WAITING_SELF = "waiting_self"  # must sign themselves (no special authority), has not yet
    WAITING_REPRESENTATIVE = "waiting_representative"  # the representative may, has not yet
    #: The version has no seat for them, or one held by someone who may not bind them.
    NOT_COVERED = "not_covered"


COVERED = frozenset({Cover.SELF, Cover.REPRESENTATIVE})


@dataclass(frozen=True)
class ClaimantSeat:
    """One claimant of a group and the signature slot that binds them on a version."""

    party_id: int
    name: str
    amount_cents: int
    #: The version's signer id that binds them (``p12m34``), None if it has none.
    signer_id: str | None
    acting: Acting = Acting.SELF
    #: Who makes that signature: the claimant, or the representative's name.
    signatory: str = ""
    #: The representative's authority from this claimant (None: none recorded).
    agent: Agent | None = None


def cover(seat: ClaimantSeat, signed: Collection[str]) -> Cover:
    """Where ``seat`` stands given the signer ids that signed the version."""
    if seat.signer_id is None:
        return Cover.NOT_COVERED
    if seat.acting is Acting.SELF:
        return Cover.SELF if seat.signer_id in signed else Cover.WAITING_SELF
    # 民事诉讼法 第五十六条、第六十二条: only a checked special authority lets another settle.
    if seat.agent is None or not seat.agent.may_sign:
        return Cover.NOT_COVERED
    return Cover.REPRESENTATIVE if seat.signer_id in signed else Cover.WAITING_REPRESENTATIVE


def missing(seats: Sequence[ClaimantSeat], signed: Collection[str]) -> list[ClaimantSeat]:
    """The claimants not yet bound, in roster order: the names the mediator is shown."""
    return [s for s in seats if cover(s, signed) not in COVERED]


def binds_everyone(seats: Sequence[ClaimantSeat], signed: Collection[str]) -> bool:
    """人民调解法 第二十九条 for a group: every claimant is covered (an empty group binds none)."""
    return bool(seats) and not missing(seats, signed)


def signed_for(seats: Sequence[ClaimantSeat]) -> dict[str, list[str]]:
    """Each representative's name and the claimants they sign for (special authority only)."""
    out: dict[str, list[str]] = {}
    for s in seats:
        if s.acting is not Acting.SELF and s.agent is not None and s.agent.may_sign:
            out.setdefault(s.signatory, []).append(s.name)
    return out
