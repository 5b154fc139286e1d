"""Issue 21, finding 12: a phone number a party types in the room reached staff whole.

A volunteer lawyer in the room (who advises without contact data) gets the relayed text with
phone and ID numbers scrubbed, in every spelling the attacker used. Since issue 19 the other
party and the mediator get mobile numbers masked too (the sender may send one in full on
purpose: tests/e2e/test_room_personal_numbers.py). The console shows room text scrubbed to
every role (tests/console/test_security.py).
"""

from __future__ import annotations

from pathlib import Path

from storage.db import Database
from storage.models import CaseMember, StaffAccount
from tests.negotiation.world import APPLICANT, MEDIATOR, RESPONDENT, World

LAWYER = 7004
SPELLINGS = ("13812345678", "138.1234.5678", "1 3 8 1 2 3 4 5 6 7 8", "+86 139-8765-4321")


async def test_phones_typed_in_the_room_reach_a_lawyer_masked(db: Database, tmp_path: Path) -> None:
    world = World(db, tmp_path)
    case_id = await world.room()
    async with db.write() as s:
        lawyer = StaffAccount(
            username="lawyer",
            display_name="陈律师",
            password_hash="x",
            role="lawyer",
            unit_code=world.units.default.code,
            telegram_id=LAWYER,
        )
        s.add(lawyer)
        await s.flush()
        s.add(CaseMember(case_id=case_id, role="lawyer", staff_id=lawyer.id))
    await world.drain()
    for spelling in SPELLINGS:
        await world.text(APPLICANT, f"我的电话是 {spelling}，晚上打")
        seen = "\n".join(await world.new(LAWYER))
        assert "我的电话是" in seen, seen
        digits = "".join(c for c in spelling if c.isdigit())
        assert digits[3:9] not in "".join(c for c in seen if c.isdigit()), (spelling, seen)
        for who in (RESPONDENT, MEDIATOR):
            heard = "\n".join(await world.new(who))
            assert "我的电话是" in heard and spelling not in heard, (who, heard)
            assert f"{digits[-11:-8]}****{digits[-4:]}" in heard, (who, heard)
