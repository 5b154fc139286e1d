"""The browser chat's menu for a staff member (issue 24): a grid worker without Telegram logs in
with the phone number registered on their staff account and gets the buttons of their work.

The person is the same one the conversation engine treats as staff (``services.dispatch`` finds
the account by the login's verified number each turn); the page only chooses which buttons to
show. Each button is a command button (``cmd:report``), so both channels run the one route the
routing table has for it. Only the commands that work by a press alone and that the role's
chat menu holds (``services.menus``) are offered; the console is the place for the rest.
"""

from __future__ import annotations

from i18n import translate
from services import mediators, menus
from storage.db import Database
from storage.models import User

#: The staff commands a page offers as buttons, in order (each in some role's menu). A mediator
#: works their cases with ``switch`` (their case list: the cases they are in, to choose the
#: current one), ``queue`` (the unit's cases waiting to be taken), ``room`` (the current case's
#: panel), ``agreement`` and ``documents`` — before, a mediator without Telegram had to type
#: ``/room``, ``/agreement``, ``/documents``. A lawyer's ``lawyer`` brings back their panel (or
#: their duty status outside a room) and ``duty`` shows the status with its pause/resume
#: button: what a Telegram lawyer has in the command menu.
WEB_COMMANDS = (
    "switch",
    "queue",
    "room",
    "agreement",
    "documents",
    "report",
    "tasks",
    "lawyer",
    "duty",
    "cancel",
    "help",
)
#: Commands offered only to these roles: for the others ``/lawyer`` asks for a lawyer, which is
#: not this button (and mediators ask from the console); a lawyer moves between rooms with their
#: panel and requests, not with the mediators' case list.
ROLES_OF = {"lawyer": ("lawyer",), "switch": tuple(sorted(mediators.MEDIATING_ROLES))}


async def staff_buttons(db: Database, user_id: int, language: str) -> list[list[str]] | None:
    """``[[label, command], …]`` for the logged-in person's staff account, or None for a party."""
    async with db.read() as session:
        user = await session.get(User, user_id)
        if user is None or user.telegram_id is not None or not user.phone:
            return None
        staff = await mediators.staff_for_phone(session, user.phone)
        if staff is None:
            return None
        role = staff.role
    role_menu = menus.commands_of(role)
    return [
        [translate(language, f"webchat.staff_menu_{name}"), name]
        for name in WEB_COMMANDS
        if name in role_menu and role in ROLES_OF.get(name, (role,))
    ]
