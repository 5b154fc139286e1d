"""Watchers of what the core stores: a case filed, a party's words in the room, a case's risk
level raised.

Why a hook and not a call: the core files cases and relays words, while what is done with them
(risk assessment and alerts, the ledger's search tokens, the audit of a number shared on
purpose) belongs to the staff console
(``features.console.safety``, ``search_index`` and ``audit``); a raised risk level matters
to whoever held a routine notice of the case (``features.street.held``). The core announces; a feature that registered listens, inside the
same transaction, so a watcher's rows are written with the message or the case or not at all.
Like the routing table's handlers, watchers are declared when their package is imported
(``app.features`` imports every feature), in the order of import.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from mediation.risk import RANK, RiskLevel, parse_level
from mediation.units import UnitDirectory
from services.delivery import Outgoing
from services.room import Room
from services.turn import Turn
from storage.models import Case, CaseMember


@dataclass(frozen=True)
class Scene:
    """Where words are watched: the transaction, its time, the units, the messages to send with
    it and the console's address (a conversation turn, or the voice pipeline when a transcript
    comes back outside any turn)."""

    session: AsyncSession
    now: datetime
    units: UnitDirectory
    out: Outgoing
    public_url: str | None


def scene_of(turn: Turn) -> Scene:
    return Scene(turn.session, turn.now, turn.units, turn.out, turn.settings.public_url)


@dataclass(frozen=True)
class Disclosure:
    """A person chose to send what the service had masked (a phone or ID number in the room):
    who, in which case, which record entry, to whom — for the console's audit log, so a shared
    number can be told from a leaked one."""

    at: datetime
    case_id: int
    case_number: str
    unit_code: str | None
    target: str
    recipients: tuple[int, ...]
    staff_id: int | None
    actor: str
    role: str


#: A case row was just written (any route: intake, street registration…): its id is set.
CaseStored = Callable[[AsyncSession, Case], Awaitable[None]]
#: A party filed a case in the intake dialogue (the person reading is the one who filed).
CaseFiled = Callable[[Scene, Case], Awaitable[None]]
#: A party's words in the room; ``source`` is room, caption or voice.
PartyWords = Callable[[Scene, Room, CaseMember, str, str], Awaitable[None]]

#: Someone disclosed on purpose what was masked.
Disclosed = Callable[[AsyncSession, Disclosure], Awaitable[None]]

#: A case's risk level went up (``case.risk`` is the new one; the level before is given): by
#: a party's words, the console's sweep, a staff member, a feature's own rule.
RiskRaised = Callable[[AsyncSession, Case, RiskLevel, datetime], Awaitable[None]]

CASE_STORED: list[CaseStored] = []
DISCLOSED: list[Disclosed] = []
CASE_FILED: list[CaseFiled] = []
PARTY_WORDS: list[PartyWords] = []
RISK_RAISED: list[RiskRaised] = []


def on_case_stored(watcher: CaseStored) -> CaseStored:
    CASE_STORED.append(watcher)
    return watcher


def on_case_filed(watcher: CaseFiled) -> CaseFiled:
    CASE_FILED.append(watcher)
    return watcher


def on_party_words(watcher: PartyWords) -> PartyWords:
    PARTY_WORDS.append(watcher)
    return watcher


def on_disclosure(watcher: Disclosed) -> Disclosed:
    DISCLOSED.append(watcher)
    return watcher


def on_risk_raised(watcher: RiskRaised) -> RiskRaised:
    RISK_RAISED.append(watcher)
    return watcher


async def risk_raised(session: AsyncSession, case: Case, before: RiskLevel, now: datetime) -> None:
    """Whoever raised ``case.risk`` above ``before`` says so, in the same transaction."""
    if RANK[parse_level(case.risk)] <= RANK[before]:
        return
    for watcher in RISK_RAISED:
        await watcher(session, case, before, now)


async def disclosed(session: AsyncSession, disclosure: Disclosure) -> None:
    for watcher in DISCLOSED:
        await watcher(session, disclosure)


async def case_stored(session: AsyncSession, case: Case) -> None:
    for watcher in CASE_STORED:
        await watcher(session, case)


async def case_filed(turn: Turn, case: Case) -> None:
    scene = scene_of(turn)
    for watcher in CASE_FILED:
        await watcher(scene, case)


async def party_words(
    scene: Scene, room: Room, member: CaseMember, text: str | None, source: str
) -> None:
    """Every party's words, relayed or not (a muted party's threat is still one)."""
    if not (text or "").strip():
        return
    for watcher in PARTY_WORDS:
        await watcher(scene, room, member, text or "", source)
