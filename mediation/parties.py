"""Who binds each party to a written agreement, and who signs it for them. Pure functions.

Why a module of its own: before, the signers of a 协议书 were whoever sat in the room, and a
mediator could make one person the "代表" who signed alone for a whole side. That bound people
who never agreed and silently dropped those who never joined. Here the signers come from *every
party of the case*, each bound only by themselves or by someone with the authority to bind them;
a party nobody can sign for stops the draft, unless the mediator records why the party is not
part of this agreement (then it binds them in nothing and says so).

Legal anchors (texts read in laws.db):

- 人民调解法 第二十九条: the 调解协议书 takes effect when *every party* has signed, sealed or put a
  fingerprint on it (and the mediator has signed, and the committee has sealed it).
- 民法典 第一百六十一条 (acting through an agent), 第一百六十五条 (a written authority names the
  agent, the matters, the powers and the term, and is signed or sealed by the principal),
  第一百七十一条 (an act without authority does not bind the principal unless ratified).
  民事诉讼法 第六十二条: settling (和解) on another's behalf needs a *special* authority
  (特别授权) in the 授权委托书; we ask the same before an agent signs an agreement for a party.
- 民法典 第十八条–第二十三条: adults have full capacity; a minor from eight, or an adult who cannot
  fully understand their acts, has limited capacity; under eight, or an adult who cannot
  understand their acts at all, none; the guardian is the 法定代理人 (第二十三条), who acts for
  them. (第十八条's sixteen-year-old living on their own labour income is treated as having full
  capacity; the mediator records that as full capacity.)
- 民法典 第六十一条: the 法定代表人 acts for a legal person; 第一百七十条: staff acting within their
  duties bind the organisation. Anyone else signs for an organisation only with its written
  authority; the organisation's seal goes with the signature (民法典 第四百九十条: a contract is
  formed when the parties sign, seal or fingerprint it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

#: 民法典 第十七条: eighteen is the age of majority.
ADULT_AGE = 18


class PartyKind(StrEnum):
    PERSON = "person"  # 自然人
    ORGANISATION = "organisation"  # 法人或者非法人组织


class Capacity(StrEnum):
    """民事行为能力 (民法典 第十八条–第二十二条)."""

    FULL = "full"
    LIMITED = "limited"
    NONE = "none"


class AgentKind(StrEnum):
    ENTRUSTED = "entrusted"  # 委托代理人
    LEGAL = "legal"  # 法定代理人 (a guardian, 民法典 第二十三条)
    SIGNATORY = "signatory"  # the person signing for an organisation


class Authority(StrEnum):
    """What authorises an agent to sign."""

    SPECIAL = "special"  # a checked 授权委托书 with 特别授权 (to settle, 和解)
    GENERAL = "general"  # a 授权委托书 without it: may speak, may not sign
    LEGAL_REP = "legal_rep"  # the organisation's 法定代表人/负责人 in person
    GUARDIAN = "guardian"  # by law (民法典 第二十三条)


class Acting(StrEnum):
    """How the person signing stands to the party, printed beside the signature."""

    SELF = "self"
    ENTRUSTED = "entrusted"
    LEGAL = "legal"
    SIGNATORY = "signatory"


class Problem(StrEnum):
    """Why a party cannot be bound yet; each has a message telling the mediator what to do."""

    NOT_PRESENT = "not_present"  # not in the room, no agent, no recorded absence
    AGENT_NO_AUTHORITY = "agent_no_authority"  # an agent without a checked special authority
    AGENT_NOT_PRESENT = "agent_not_present"  # the agent is not in the room
    NEEDS_GUARDIAN = "needs_guardian"  # a minor or a person without full capacity
    ORG_DETAILS = "org_details"  # no 统一社会信用代码 or 法定代表人/负责人
    ORG_SIGNATORY = "org_signatory"  # nobody with authority to sign for it
    ORG_SEAL = "org_seal"  # no image of the organisation's seal
    SIDE_ABSENT = "side_absent"  # every party of a side is absent: no agreement to make


@dataclass(frozen=True)
class Agent:
    """Someone who acts for a party: who, in which room seat, with what authority."""

    kind: AgentKind
    name: str
    member_id: int | None
    authority: Authority | None = None
    #: The written authority was uploaded and the mediator checked it (or it was signed here).
    checked: bool = False

    @property
    def may_sign(self) -> bool:
        if self.kind is AgentKind.LEGAL:
            return True
        if self.authority is Authority.LEGAL_REP:
            return self.kind is AgentKind.SIGNATORY
        return self.authority is Authority.SPECIAL and self.checked


@dataclass(frozen=True)
class PartyFacts:
    """What the rules need to know about one party of the case."""

    party_id: int
    side: str
    name: str
    kind: PartyKind = PartyKind.PERSON
    #: The party's own seat in the room, if they joined and are still there.
    member_id: int | None = None
    birth_date: date | None = None
    stated_age: int | None = None
    capacity: Capacity = Capacity.FULL
    absent_reason: str = ""
    agents: tuple[Agent, ...] = ()
    credit_code: str = ""
    legal_rep: str = ""
    has_seal: bool = False

    def agent(self, kind: AgentKind) -> Agent | None:
        return next((a for a in self.agents if a.kind is kind), None)


@dataclass(frozen=True)
class Seat:
    """One party's signature: which room member makes it, and in what capacity."""

    party_id: int
    member_id: int
    acting: Acting
    agent_name: str = ""

    @property
    def signer_id(self) -> str:
        return party_signer_id(self.party_id, self.member_id)


@dataclass(frozen=True)
class SigningPlan:
    seats: tuple[Seat, ...]
    absent: tuple[tuple[int, str], ...]
    problems: tuple[tuple[int, Problem], ...]

    @property
    def ready(self) -> bool:
        return not self.problems and bool(self.seats)

    @property
    def signer_ids(self) -> tuple[str, ...]:
        return tuple(s.signer_id for s in self.seats)

    def seat_of(self, party_id: int) -> Seat | None:
        return next((s for s in self.seats if s.party_id == party_id), None)


def party_signer_id(party_id: int, member_id: int) -> str:
    """A party's signature slot on a version: the party bound, and the room member signing.
    Both in the id, so a version names who may sign for whom and a new agent needs a new
    version."""
    return f"p{party_id}m{member_id}"


def member_confirmation_id(member_id: int) -> str:
    """A party member's own confirmation on a record (an oral agreement, the 笔录's check): it
    binds nobody else, so it names the member only (``m34``, read by :func:`parse_signer_id`)."""
    return f"m{member_id}"


def parse_signer_id(signer_id: str) -> tuple[int | None, int | None]:
    """``(party_id, member_id)`` of a signer id: ``p12m34``; versions made before parties were
    bound one by one used ``m34`` (no party)."""
    if signer_id.startswith("p") and "m" in signer_id:
        party, _, member = signer_id[1:].partition("m")
        if party.isdigit() and member.isdigit():
            return int(party), int(member)
    if signer_id.startswith("m") and signer_id[1:].isdigit():
        return None, int(signer_id[1:])
    return None, None


def age_on(birth_date: date, today: date) -> int:
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def is_minor(p: PartyFacts, today: date) -> bool:
    """Under eighteen by the birth date (from the ID number) or, without one, the stated age."""
    if p.birth_date is not None:
        return age_on(p.birth_date, today) < ADULT_AGE
    return p.stated_age is not None and p.stated_age < ADULT_AGE


def needs_guardian(p: PartyFacts, today: date) -> bool:
    """民法典 第十九条–第二十三条: minors and people without full capacity act through their
    法定代理人."""
    if p.kind is not PartyKind.PERSON:
        return False
    return p.capacity is not Capacity.FULL or is_minor(p, today)


def _through(agent: Agent | None, acting: Acting, p: PartyFacts) -> Seat | Problem:
    if agent is None:
        return Problem.NOT_PRESENT
    if not agent.may_sign:
        return Problem.AGENT_NO_AUTHORITY
    if agent.member_id is None:
        return Problem.AGENT_NOT_PRESENT
    return Seat(p.party_id, agent.member_id, acting, agent.name)


def seat_for(p: PartyFacts, today: date) -> Seat | Problem:
    """Who signs for ``p``, or why nobody can."""
    if p.kind is PartyKind.ORGANISATION:
        if not p.credit_code or not p.legal_rep:
            return Problem.ORG_DETAILS
        signatory = p.agent(AgentKind.SIGNATORY)
        if signatory is None or not signatory.may_sign:
            return Problem.ORG_SIGNATORY
        if signatory.member_id is None:
            return Problem.AGENT_NOT_PRESENT
        if not p.has_seal:
            return Problem.ORG_SEAL
        return Seat(p.party_id, signatory.member_id, Acting.SIGNATORY, signatory.name)
    if needs_guardian(p, today):
        guardian = p.agent(AgentKind.LEGAL)
        if guardian is None:
            return Problem.NEEDS_GUARDIAN
        return _through(guardian, Acting.LEGAL, p)
    if p.member_id is not None:
        return Seat(p.party_id, p.member_id, Acting.SELF)
    return _through(p.agent(AgentKind.ENTRUSTED), Acting.ENTRUSTED, p)


def plan_signing(parties: Sequence[PartyFacts], today: date) -> SigningPlan:
    """Every party of the case signs (in person or through an agent who may bind them) or is
    recorded as absent with the reason; each side keeps at least one party bound."""
    seats: list[Seat] = []
    absent: list[tuple[int, str]] = []
    problems: list[tuple[int, Problem]] = []
    for p in parties:
        if p.absent_reason.strip():
            absent.append((p.party_id, p.absent_reason.strip()))
            continue
        found = seat_for(p, today)
        if isinstance(found, Seat):
            seats.append(found)
        else:
            problems.append((p.party_id, found))
    for side in ("applicant", "respondent"):
        mine = [p for p in parties if p.side == side]
        if mine and all(p.absent_reason.strip() for p in mine):
            problems.append((mine[0].party_id, Problem.SIDE_ABSENT))
    return SigningPlan(tuple(seats), tuple(absent), tuple(problems))
