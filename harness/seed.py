"""Rooms in session written straight into the database: for tests and benchmarks about what
happens in a room, which need not walk the intake each time."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from harness.service import migrated_runtime
from mediation.numbering import format_case_number, parse_case_number
from services.cases import next_sequence
from storage.models import Case, CaseMember, CaseParty, StaffAccount, User


async def add_room(
    s: AsyncSession,
    applicant: User,
    respondent: User,
    mediator: StaffAccount | None,
    *,
    number: str | None = None,
    unit_code: str = "default",
    dispute_type: str = "neighbour",
    facts: str = "噪音",
    claims: str = "停止",
    room_mode: str = "joint",
    names: tuple[str, str] = ("甲方", "乙方"),
) -> Case:
    """A case in mediation with its session open: applicant, respondent and (when given) the
    mediator in the room.

    The number comes from the case counter, as a filed case's does (``number``, when given,
    must be the one it hands out): seeded cases that bypassed it collided with the next case
    filed through the intake (``uq_cases_number``; issue 21)."""
    year, prefix = 2026, "示调"
    if number is not None:
        parsed = parse_case_number(number)
        assert parsed is not None, number
        year, prefix = parsed[0], parsed[1].removesuffix("字")
    serial = await next_sequence(s, unit_code, year)
    allocated = format_case_number(year, prefix, serial)
    assert number in (None, allocated), f"the case counter gives {allocated}, not {number}"
    case = Case(
        number=allocated,
        unit_code=unit_code,
        dispute_type=dispute_type,
        status="mediating",
        facts=facts,
        claims=claims,
        place="九龙坡区",
        room_mode=room_mode,
        session_open=True,
    )
    s.add_all([applicant, respondent, case])
    if mediator is not None:
        s.add(mediator)
    await s.flush()
    case.mediator_id = mediator.id if mediator is not None else None
    pa = CaseParty(case_id=case.id, user_id=applicant.id, side="applicant", name=names[0])
    pr = CaseParty(case_id=case.id, user_id=respondent.id, side="respondent", name=names[1])
    s.add_all([pa, pr])
    await s.flush()
    s.add_all(
        [
            CaseMember(case_id=case.id, role="applicant", party_id=pa.id, user_id=applicant.id),
            CaseMember(case_id=case.id, role="respondent", party_id=pr.id, user_id=respondent.id),
        ]
    )
    if mediator is not None:
        s.add(CaseMember(case_id=case.id, role="mediator", staff_id=mediator.id))
    return case


def linked_mediator(username: str, telegram_id: int, display_name: str = "调解员") -> StaffAccount:
    """A mediator account of the default unit as ``/link`` leaves it, with no usable password
    (nobody logs in to the console as it)."""
    return StaffAccount(
        username=username,
        display_name=display_name,
        password_hash="x",
        role="mediator",
        unit_code="default",
        telegram_id=telegram_id,
    )


async def seed_rooms(
    env: Mapping[str, str], rooms: int, *, first_id: int = 0
) -> list[tuple[int, int, int]]:
    """Rooms in session in the database the settings ``env`` name, before the service starts:
    their Telegram ids as (applicant, respondent, mediator)."""
    runtime = await migrated_runtime(Settings.from_env(dict(env)))
    ids: list[tuple[int, int, int]] = []
    async with runtime.db.write() as s:
        for i in range(rooms):
            a, r, m = 200_000 + first_id + i, 300_000 + first_id + i, 400_000 + first_id + i
            await add_room(
                s,
                User(telegram_id=a),
                User(telegram_id=r),
                linked_mediator(f"mediator{first_id + i}", m),
            )
            ids.append((a, r, m))
    await runtime.db.dispose()
    return ids
