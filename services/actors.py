"""Who did something on a case's timeline, by name: every timeline asks here (the console's case
page, the street's joint page, the chat's case card).

A case event names who acted as ``staff:<id>``, ``user:<id>`` or ``system``
(``services.cases.add_event``). Why a name and not the account: a post's member reading "wangge
接单" learns the login of a colleague, not who she is; staff are shown to staff by the name on
their account (显示名称, their 姓名), the username only for an account that has none. A party
reads as the name the case holds for them — in full only for a reader who may see parties'
names, else masked as everywhere else (``mediation.masking.mask_name``) — or, when the case has
no name for them, as their side (申请人). The system and the service's timers are not named.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.masking import mask_name
from mediation.replies import Msg
from storage.models import CaseParty, StaffAccount

#: What a timeline shows for an actor: a name, or (a party the case has no name for) their side.
Name = str | Msg


def staff_name(staff: StaffAccount) -> str:
    """A staff member as staff see them on a timeline: the account's name, else its login."""
    return staff.display_name.strip() or staff.username


def _ids(actors: Iterable[str], prefix: str) -> set[int]:
    return {
        int(rest)
        for a in actors
        if a.startswith(prefix) and (rest := a.removeprefix(prefix)).isdigit()
    }


async def actor_names(
    session: AsyncSession, case_id: int, actors: Iterable[str], *, full_names: bool
) -> dict[str, Name]:
    """Each of ``actors`` (event actors of case ``case_id``) the timeline names, by actor;
    ``full_names``: the reader may see parties' names in full. Actors left out (the system, a
    timer, an account since deleted) are for the timeline to word as it does."""
    actors = set(actors)
    names: dict[str, Name] = {}
    staff_ids = _ids(actors, "staff:")
    if staff_ids:
        rows = await session.execute(select(StaffAccount).where(StaffAccount.id.in_(staff_ids)))
        names.update({f"staff:{s.id}": staff_name(s) for s in rows.scalars()})
    user_ids = _ids(actors, "user:")
    if user_ids:
        parties = await session.execute(
            select(CaseParty)
            .where(CaseParty.case_id == case_id, CaseParty.user_id.in_(user_ids))
            .order_by(CaseParty.id)
        )
        for p in parties.scalars():
            key = f"user:{p.user_id}"
            if key in names:
                continue
            shown = p.name if full_names else mask_name(p.name)
            names[key] = shown or Msg(f"role.{p.side}")
    return names
