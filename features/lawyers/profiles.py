"""The lawyer registry: profiles of staff accounts with role "lawyer", pausing, load.

These functions are what the console, the command line (``main.py lawyer …``) and the bot use;
each takes a session and leaves the transaction to the caller. Bad input raises
:class:`~mediation.validation.InvalidInput` with a catalog key, so every front end can explain
it in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from features.lawyers.models import Consultation, LawyerProfile
from mediation.case_state import ACTIVE
from mediation.disputes import DisputeType
from mediation.lawyer_dispatch import (
    MAX_OPEN_LIMIT,
    Candidate,
    Slot,
    format_week,
    parse_week,
)
from mediation.room import Role
from mediation.validation import InvalidInput, clean_text
from services.delivery import staff_addresses
from storage.models import Case, CaseMember, StaffAccount

#: 律师执业证号: 17 digits.
_LICENCE_RE = re.compile(r"^\d{17}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_LIST_SPLIT_RE = re.compile(r"[\s,，、;；]+")
SPECIALTIES = tuple(d.value for d in DisputeType)


@dataclass(frozen=True)
class ProfileInput:
    """What an administrator enters for a lawyer (weekly hours as text, see ``parse_week``)."""

    firm: str
    licence_no: str
    specialties: tuple[str, ...]
    languages: tuple[str, ...] = ("zh-CN",)
    availability: str = ""
    rota: str = ""
    max_open_cases: int = 5


@dataclass(frozen=True)
class LawyerEntry:
    """A lawyer as listed: account, profile and open cases (cases and consultations)."""

    staff: StaffAccount
    profile: LawyerProfile
    open_cases: int
    #: The chat reaches them: Telegram linked, or the browser chat of the account's phone.
    reachable: bool

    @property
    def availability(self) -> tuple[Slot, ...]:
        return tuple(Slot.from_json(s) for s in self.profile.availability)

    @property
    def rota(self) -> tuple[Slot, ...]:
        return tuple(Slot.from_json(s) for s in self.profile.rota)

    @property
    def reached_in(self) -> str | None:
        """Where the chat reaches them (``"telegram"``, ``"browser"``) or None: an admin's
        ``lawyer list`` says so, since a lawyer without Telegram may still be offered requests
        in the browser chat (``services.delivery.staff_addresses``: Telegram first)."""
        if not self.reachable:
            return None
        return "telegram" if self.staff.telegram_id is not None else "browser"

    def candidate(self) -> Candidate:
        return Candidate(
            id=self.profile.id,
            specialties=frozenset(self.profile.specialties),
            languages=frozenset(self.profile.languages),
            availability=self.availability,
            rota=self.rota,
            open_cases=self.open_cases,
            max_open_cases=self.profile.max_open_cases,
            paused=self.profile.paused,
            reachable=self.reachable,
        )

    def summary(self) -> dict[str, object]:
        """Plain data for the CLI and the console."""
        p = self.profile
        return {
            "username": self.staff.username,
            "name": self.staff.display_name,
            "firm": p.firm,
            "licence_no": p.licence_no,
            "specialties": list(p.specialties),
            "languages": list(p.languages),
            "availability": format_week(self.availability),
            "rota": format_week(self.rota),
            "max_open_cases": p.max_open_cases,
            "open_cases": self.open_cases,
            "paused": p.paused,
            "telegram_linked": self.staff.telegram_id is not None,
            "reached_in": self.reached_in,
        }


def split_list(text: str) -> tuple[str, ...]:
    """``"labour_wages, neighbour"`` → ``("labour_wages", "neighbour")`` (CLI and forms)."""
    return tuple(part for part in _LIST_SPLIT_RE.split(text.strip()) if part)


def clean_profile(data: ProfileInput) -> ProfileInput:
    """Validated and normalised input; raises InvalidInput naming the first problem."""
    firm = clean_text(data.firm, max_len=200, min_len=2)
    licence = re.sub(r"\s+", "", data.licence_no)
    if not _LICENCE_RE.match(licence):
        raise InvalidInput("lawyers.bad_licence")
    specialties = tuple(dict.fromkeys(s.strip().lower() for s in data.specialties if s.strip()))
    if not specialties:
        raise InvalidInput("lawyers.no_specialty", {"codes": ", ".join(SPECIALTIES)})
    for code in specialties:
        if code not in SPECIALTIES:
            raise InvalidInput(
                "lawyers.bad_specialty", {"code": code, "codes": ", ".join(SPECIALTIES)}
            )
    languages = tuple(dict.fromkeys(lang.strip() for lang in data.languages if lang.strip()))
    if not languages:
        languages = ("zh-CN",)
    for lang in languages:
        if not _LANGUAGE_RE.match(lang):
            raise InvalidInput("lawyers.bad_language", {"language": lang})
    if not 1 <= data.max_open_cases <= MAX_OPEN_LIMIT:
        raise InvalidInput("lawyers.bad_max_open", {"max": MAX_OPEN_LIMIT})
    availability = format_week(parse_week(data.availability))
    rota = format_week(parse_week(data.rota))
    return ProfileInput(
        firm, licence, specialties, languages, availability, rota, data.max_open_cases
    )


async def lawyer_account(session: AsyncSession, username: str) -> StaffAccount:
    staff = (
        await session.execute(select(StaffAccount).where(StaffAccount.username == username))
    ).scalar_one_or_none()
    if staff is None:
        raise InvalidInput("lawyers.no_such_account", {"username": username})
    if staff.role != "lawyer":
        raise InvalidInput("lawyers.not_lawyer_role", {"username": username, "role": staff.role})
    return staff


async def save_profile(
    session: AsyncSession, username: str, data: ProfileInput, now: datetime
) -> LawyerProfile:
    """Create or update the profile of the lawyer account ``username``."""
    staff = await lawyer_account(session, username)
    clean = clean_profile(data)
    taken = await session.execute(
        select(LawyerProfile.id).where(
            LawyerProfile.licence_no == clean.licence_no, LawyerProfile.staff_id != staff.id
        )
    )
    if taken.first() is not None:
        raise InvalidInput("lawyers.licence_taken")
    profile = await profile_of(session, staff.id, lock=True)
    if profile is None:
        profile = LawyerProfile(staff_id=staff.id, created_at=now)
        session.add(profile)
    profile.firm = clean.firm
    profile.licence_no = clean.licence_no
    profile.specialties = list(clean.specialties)
    profile.languages = list(clean.languages)
    profile.availability = [s.to_json() for s in parse_week(clean.availability)]
    profile.rota = [s.to_json() for s in parse_week(clean.rota)]
    profile.max_open_cases = clean.max_open_cases
    profile.updated_at = now
    await session.flush()
    return profile


async def profile_of(
    session: AsyncSession, staff_id: int, *, lock: bool = False
) -> LawyerProfile | None:
    stmt = select(LawyerProfile).where(LawyerProfile.staff_id == staff_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def set_paused(
    session: AsyncSession, profile: LawyerProfile, paused: bool, now: datetime
) -> None:
    """A lawyer pauses (no new offers) or resumes; pending offers stay answerable."""
    profile.paused = paused
    profile.paused_at = now if paused else None
    profile.updated_at = now


async def open_counts(session: AsyncSession) -> dict[int, int]:
    """Open cases per lawyer profile id: active cases they sit in, plus open consultations."""
    counts: dict[int, int] = {}
    by_staff = await session.execute(
        select(LawyerProfile.id, func.count(CaseMember.id))
        .join(CaseMember, CaseMember.staff_id == LawyerProfile.staff_id)
        .join(Case, Case.id == CaseMember.case_id)
        .where(
            CaseMember.role == Role.LAWYER.value,
            CaseMember.status != "removed",
            Case.status.in_([s.value for s in ACTIVE]),
        )
        .group_by(LawyerProfile.id)
    )
    for profile_id, n in by_staff:
        counts[profile_id] = counts.get(profile_id, 0) + int(n)
    consults = await session.execute(
        select(Consultation.lawyer_id, func.count(Consultation.id))
        .where(Consultation.status == "open", Consultation.lawyer_id.is_not(None))
        .group_by(Consultation.lawyer_id)
    )
    for lawyer_id, n in consults:
        if lawyer_id is not None:
            counts[lawyer_id] = counts.get(lawyer_id, 0) + int(n)
    return counts


async def list_lawyers(
    session: AsyncSession, *, only_ids: Iterable[int] | None = None
) -> list[LawyerEntry]:
    """Lawyers with a profile and an active account, with their current load and whether the
    chat reaches them (``services.delivery.staff_addresses``: a lawyer who uses only the browser
    chat is offered requests too)."""
    stmt = (
        select(StaffAccount, LawyerProfile)
        .join(LawyerProfile, LawyerProfile.staff_id == StaffAccount.id)
        .where(StaffAccount.active.is_(True), StaffAccount.role == "lawyer")
        .order_by(LawyerProfile.id)
    )
    if only_ids is not None:
        stmt = stmt.where(LawyerProfile.id.in_(list(only_ids)))
    rows = list(await session.execute(stmt))
    counts = await open_counts(session)
    reached = await staff_addresses(session, [staff for staff, _ in rows])
    return [
        LawyerEntry(staff, profile, counts.get(profile.id, 0), staff.id in reached)
        for staff, profile in rows
    ]


async def entry_of_staff(session: AsyncSession, staff_id: int) -> LawyerEntry | None:
    profile = await profile_of(session, staff_id)
    if profile is None:
        return None
    found = await list_lawyers(session, only_ids=[profile.id])
    return found[0] if found else None
