"""What each staff role can do in the chat, said once: the chat's command menu (Telegram's ``/``
button, set per chat with ``setMyCommands`` and a chat scope) and the role's ``/help`` are both
built from :data:`MENUS`, so the two never disagree and neither lists a command the routing
table does not route for staff (tested for every role).

A party's chat keeps the bot's default menu (``bot.app.COMMANDS``); a staff member's chat gets
its role's menu when they ``/link``, in their language (again after ``/language``), and goes back
to the default when they ``/unlink`` or the account stops acting as staff (deactivated, or the
Telegram account linked to someone else). Before this a mediator's menu and /help were the
parties' (issue 20).
"""

from __future__ import annotations

from i18n import translate
from mediation.replies import Msg, Reply, reply
from services.outgoing import CommandMenu
from services.slots import HELD, STAFF_CHECKED, STAFF_ID, STAFF_INPUT, TARGET
from services.turn import Turn
from storage.models import StaffAccount

#: Mediators, police staff and admins run cases; the order is the menu's.
MEDIATING = (
    "queue",
    "report",
    "tasks",
    "case",
    "room",
    "switch",
    "note",
    "record",
    "invite",
    "agreement",
    "documents",
    "offers",
    "lawyer",
    "law",
    "ask",
    "cancel",
    "language",
    "help",
    "unlink",
)
#: Volunteer lawyers advise in the rooms and consultations they accept.
LAWYER = (
    "lawyer",
    "duty",
    "case",
    "law",
    "ask",
    "review",
    "leave",
    "switch",
    "record",
    "cancel",
    "language",
    "help",
    "unlink",
)
#: Grid workers (网格员) register disputes met on the street and work their posts' tasks.
GRID = ("report", "tasks", "case", "note", "cancel", "language", "help", "unlink")
#: Viewers read cases (the console is their tool).
VIEWER = ("case", "language", "help", "unlink")

MENUS: dict[str, tuple[str, ...]] = {
    "admin": MEDIATING,
    "mediator": MEDIATING,
    "police": MEDIATING,
    "lawyer": LAWYER,
    "grid": GRID,
    "viewer": VIEWER,
}


def commands_of(role: str) -> tuple[str, ...]:
    return MENUS.get(role, VIEWER)


def menu(staff: StaffAccount, language: str) -> CommandMenu:
    """The staff member's chat menu in ``language`` (descriptions from the catalogue)."""
    return CommandMenu(
        tuple((name, translate(language, f"staff_menu.{name}")) for name in commands_of(staff.role))
    )


#: Sent to a chat that stops being a staff member's: back to the parties' default menu.
DEFAULT_MENU = CommandMenu()


def help_reply(staff: StaffAccount) -> Reply:
    """``/help`` for the staff member's role: one line per command of their menu."""
    kind = "lawyer" if staff.role == "lawyer" else "viewer" if staff.role == "viewer" else "staff"
    lines = [Msg(f"staff_help.{name}") for name in commands_of(staff.role)]
    return Reply(Msg(f"staff.help_{kind}", {"lines": lines}))


def unlink(turn: Turn, staff: StaffAccount) -> list[Reply]:
    """``/unlink``: this Telegram account stops acting for the staff account (a shared phone,
    a staff member leaving); the chat's menu goes back to the parties' default."""
    staff.telegram_id = None
    turn.put(STAFF_ID, None)
    turn.put(STAFF_CHECKED, True)
    turn.put(TARGET, None)
    turn.put(HELD, None)
    turn.put(STAFF_INPUT, None)
    turn.conv.active_case_id = None
    turn.out.send_message(turn.out.sender, DEFAULT_MENU)
    return [reply("staff.unlinked", name=staff.display_name)]
