"""The commands every chat has, whatever features run: a party's ``/help``, ``/language``,
``/cases`` and ``/case``, and a staff member's ``/link``. Each is followed by the open intake's
question again (``turn.reprompt``); their routes go into the routing table like every feature's.
"""

from __future__ import annotations

from datetime import timedelta

from mediation.case_state import CaseStatus
from mediation.replies import Button, Msg, Reply, button, reply
from services import cases as case_service
from services import mediators, menus
from services.inbound import Command, command_action
from services.rate_limits import failures, record_failure
from services.routing import ActionRoute, Audience, CommandRoute, Who
from services.slots import STAFF_ID
from services.turn import Turn
from storage.models import Case, CaseParty, StaffAccount, User

#: What the help and an empty case list offer as buttons (the browser chat has no ``/`` to type).
START_BUTTONS = (
    (
        button("bot.btn_report", command_action("start")),
        button("bot.btn_cases", command_action("cases")),
    ),
)

#: Wrong /link codes one Telegram account may send per hour.
LINK_GUESSES = 5


def routes() -> list[CommandRoute | ActionRoute]:
    owner = __name__
    commands = [CommandRoute(name, owner, command) for name in ("language", "cases")]
    # Staff have their own /help and /case (features.room.staff).
    commands += [CommandRoute(name, owner, command, Audience.PARTY) for name in ("help", "case")]
    commands.append(CommandRoute("link", owner, link))
    return [*commands, ActionRoute("lang:", owner, language_action)]


async def command(turn: Turn, who: Who, cmd: Command) -> list[Reply]:
    name = cmd.name
    if name == "help":
        return [Reply(Msg("bot.help"), buttons=START_BUTTONS), *turn.reprompt()]
    if name == "language":
        return [
            Reply(
                Msg("bot.language_prompt"),
                buttons=(
                    (
                        raw_button("中文", "lang:zh-CN"),
                        raw_button("English", "lang:en"),
                    ),
                ),
            )
        ]
    if name == "cases":
        return [*await _list_cases(turn), *turn.reprompt()]
    return [*await _show_case(turn, cmd.args), *turn.reprompt()]


async def language_action(turn: Turn, who: Who, action: str) -> list[Reply]:
    session, conv = turn.session, turn.conv
    language = action.removeprefix("lang:")
    if language in ("zh-CN", "en"):
        user = await session.get_one(User, conv.user_id)
        conv.language = user.language = language
        await _staff_language(turn, language)
        return [reply("bot.language_set"), *turn.reprompt()]
    return [reply("bot.stale_button"), *turn.reprompt()]


async def _staff_language(turn: Turn, language: str) -> None:
    """A staff member who switches language gets their menu in it, and keeps it for the
    messages the service sends them (alerts, requests)."""
    staff_id = turn.get(STAFF_ID)
    staff = await turn.session.get(StaffAccount, staff_id) if staff_id is not None else None
    if staff is not None and staff.telegram_id == int(turn.event.user_id):
        staff.language = language
        turn.out.send_message(turn.out.sender, menus.menu(staff, language))


# ---------------------------------------------------------------------- case queries


async def _list_cases(turn: Turn) -> list[Reply]:
    rows = await case_service.cases_of_user(turn.session, turn.conv.user_id)
    if not rows:
        return [Reply(Msg("bot.no_cases"), buttons=(START_BUTTONS[0][:1],))]
    lines = [Msg("bot.cases_header")]
    for i, (case, _party) in enumerate(rows, 1):
        lines.append(
            Msg(
                "bot.case_line",
                {
                    "ref": i,
                    "number": case.number,
                    "type": Msg(f"dispute.{case.dispute_type}"),
                    "status": Msg(f"status.{case.status}"),
                    "date": _local_date(turn, case),
                },
            )
        )
    # One button per case (newest ten): its progress is a tap away, on both channels.
    views = tuple(
        (button("bot.btn_view_case", command_action("case", str(i)), number=case.number),)
        for i, (case, _party) in enumerate(rows, 1)
    )
    return [Reply(Msg("common.lines", {"lines": lines}), buttons=views[-10:])]


async def _show_case(turn: Turn, args: tuple[str, ...]) -> list[Reply]:
    if len(args) != 1:
        return [reply("bot.case_usage")]
    rows = await case_service.cases_of_user(turn.session, turn.conv.user_id)
    found: tuple[Case, CaseParty] | None = None
    arg = args[0].strip()
    if arg.isdigit() and 1 <= int(arg) <= len(rows):
        found = rows[int(arg) - 1]
    else:
        found = next((r for r in rows if r[0].number == arg), None)
    if found is None:
        return [reply("bot.case_not_found")]
    case, party = found
    unit = turn.units.by_code.get(case.unit_code)
    return [
        reply(
            "bot.case_detail",
            number=case.number,
            type=Msg(f"dispute.{case.dispute_type}"),
            unit=unit.name if unit else case.unit_code,
            status=Msg(f"status.{CaseStatus(case.status).value}"),
            date=_local_date(turn, case),
            role=Msg(f"role.{party.side}"),
            claims=case.claims,
        )
    ]


def _local_date(turn: Turn, case: Case) -> str:
    return case.created_at.astimezone(turn.settings.tz).strftime("%Y-%m-%d")


# ---------------------------------------------------------------------- staff


async def link(turn: Turn, who: Who, cmd: Command) -> list[Reply]:
    """``/link CODE``: a staff member binds this Telegram account to their account."""
    if turn.event.channel != "telegram":
        # The code binds a *Telegram* account: typed in the browser chat it stored the
        # browser user's id as ``telegram_id``, and the Telegram user with that number
        # then acted as staff (issue 21). The code stays unused.
        return [reply("staff.link_telegram_only")]
    if not cmd.args:
        return [reply("staff.link_usage")]
    key = turn.event.user_id
    window = timedelta(hours=1)
    if await failures(turn.session, "link.tg", key, turn.now, window) >= LINK_GUESSES:
        return [reply("staff.link_too_many")]  # guesses were unlimited (issue 21)
    result = await mediators.link(
        turn.session, "".join(cmd.args), int(turn.event.user_id), turn.now
    )
    if isinstance(result, str):
        await record_failure(turn.session, "link.tg", key, turn.now)
        return [reply(result)]
    turn.conv.language = result.language
    turn.put(STAFF_ID, result.id)
    # The chat's menu becomes the role's (services.menus), before the confirmation.
    turn.out.send_message(turn.out.sender, menus.menu(result, result.language))
    linked = {"lawyer": "staff.linked_lawyer", "viewer": "staff.linked_viewer"}
    return [
        reply(
            linked.get(result.role, "staff.linked"),
            name=result.display_name,
            role=Msg(f"staff.role_{result.role}"),
        )
    ]


def raw_button(label: str, action: str) -> Button:
    """A button whose label is the same in every language (e.g. language names)."""
    return button("common.raw", action, text=label)
