"""The group signing rule (mediation.group_signing): every claimant is covered by their own
signature or by a representative's with a checked special authority, and nobody else's."""

from __future__ import annotations

from mediation.group_signing import (
    COVERED,
    ClaimantSeat,
    Cover,
    binds_everyone,
    cover,
    missing,
    signed_for,
)
from mediation.parties import Acting, Agent, AgentKind, Authority


def rep(authority: Authority | None, checked: bool = True) -> Agent:
    return Agent(AgentKind.ENTRUSTED, "张秀英", 1, authority, checked)


def seat(
    pid: int, name: str, acting: Acting = Acting.SELF, agent: Agent | None = None
) -> ClaimantSeat:
    signatory = "张秀英" if acting is not Acting.SELF else name
    return ClaimantSeat(pid, name, 800000, f"p{pid}m{100 + pid}", acting, signatory, agent)


def test_each_claimant_signs_or_is_signed_for_with_special_authority() -> None:
    seats = [
        seat(1, "张秀英"),
        seat(2, "李强", Acting.ENTRUSTED, rep(Authority.SPECIAL)),
        seat(3, "王伟"),
    ]
    assert [cover(s, set()) for s in seats] == [
        Cover.WAITING_SELF,
        Cover.WAITING_REPRESENTATIVE,
        Cover.WAITING_SELF,
    ]
    signed = {"p1m101", "p2m102"}
    assert [m.name for m in missing(seats, signed)] == ["王伟"]
    assert not binds_everyone(seats, signed)
    assert binds_everyone(seats, signed | {"p3m103"})
    assert {cover(s, signed | {"p3m103"}) for s in seats} <= COVERED
    assert signed_for(seats) == {"张秀英": ["李强"]}


def test_a_representative_without_checked_special_authority_covers_nobody() -> None:
    for agent in (rep(Authority.GENERAL), rep(Authority.SPECIAL, checked=False), rep(None), None):
        s = seat(2, "李强", Acting.ENTRUSTED, agent)
        assert cover(s, {"p2m102"}) is Cover.NOT_COVERED
        assert not binds_everyone([s], {"p2m102"})
        assert signed_for([s]) == {}


def test_no_seat_no_cover_and_an_empty_group_binds_nobody() -> None:
    lost = ClaimantSeat(4, "刘洋", 1, None)
    assert cover(lost, {"p4m104"}) is Cover.NOT_COVERED
    assert missing([lost], set()) == [lost]
    assert not binds_everyone([], set())
