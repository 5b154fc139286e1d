"""The core conversation: the intake dialogue (纠纷登记) up to filing the case and inviting the
other side, ``/start``, ``/help``, ``/language``, ``/cancel``, ``/cases``, ``/case`` and a staff
member's ``/link``; its routes go into the routing table like every feature's."""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from i18n import translate
from mediation import intake
from mediation.case_state import CaseStatus
from mediation.disputes import DisputeType
from mediation.replies import Button, Msg, Reply, button, reply
from mediation.units import UnitDirectory, UnitInfo
from services import case_watch, features, invites, mediators, menus, staff_alerts
from services import cases as case_service
from services.chat_state import Slot, text_slot
from services.conversations import ConversationState
from services.delivery import staff_address
from services.inbound import Command, command_action
from services.legal_hints import suggest_law
from services.outgoing import QrCode
from services.rate_limits import failures, record_failure
from services.routing import ActionRoute, Audience, CommandRoute
from services.slots import STAFF_ID
from services.turn import Turn
from storage.db import Database
from storage.models import Case, CaseParty, StaffAccount, User

log = logging.getLogger(__name__)

#: The intake dialogue (纠纷登记) while it is being filled in.
INTAKE: Slot[intake.IntakeDraft] = Slot(
    "intake", intake.IntakeDraft.from_json, intake.IntakeDraft.to_json
)
#: An unfinished intake put aside when its writer joined a case by invitation (their words go
#: to the room now); ``/start`` offers to continue it.
PARKED: Slot[intake.IntakeDraft] = Slot(
    "intake_parked", intake.IntakeDraft.from_json, intake.IntakeDraft.to_json
)
#: The unit whose QR poster the person came from (``/start unit-<code>``): the case goes there.
POSTER_UNIT = text_slot("unit")

#: What the help and an empty case list offer as buttons (the browser chat has no ``/`` to type).
START_BUTTONS = (
    (
        button("bot.btn_report", command_action("start")),
        button("bot.btn_cases", command_action("cases")),
    ),
)

#: How long case files are kept after closing, as told to parties in the consent notice.
RETENTION_YEARS = 5
#: Wrong /link codes one Telegram account may send per hour.
LINK_GUESSES = 5


class CoreFlow:
    def __init__(self, db: Database, settings: Settings, units: UnitDirectory) -> None:
        self.db = db
        self.settings = settings
        self.units = units

    def draft(self, conv: ConversationState) -> intake.IntakeDraft | None:
        return conv.get(INTAKE)

    def save_draft(self, conv: ConversationState, draft: intake.IntakeDraft | None) -> None:
        conv.put(INTAKE, draft)

    def reprompt(self, draft: intake.IntakeDraft | None) -> list[Reply]:
        return [self._with_retention(intake.prompt(draft))] if draft is not None else []

    async def command(
        self,
        session: AsyncSession,
        cmd: Command,
        conv: ConversationState,
        draft: intake.IntakeDraft | None,
    ) -> list[Reply]:
        name = cmd.name
        if name == "start":
            if draft is None and conv.get(PARKED) is not None:
                draft = conv.get(PARKED)
                conv.put(PARKED, None)
                self.save_draft(conv, draft)
            if draft is not None:
                return [
                    Reply(
                        Msg("bot.intake_in_progress"),
                        buttons=(
                            (button("bot.btn_continue", "c:continue"),),
                            (button("bot.btn_restart", "c:restart"),),
                        ),
                    )
                ]
            unit = self._start_unit(cmd.args)
            if unit is not None:  # a unit's QR poster (一码解纠纷): the case goes to that unit
                conv.put(POSTER_UNIT, unit.code)
                return [reply("bot.welcome", unit=unit.name), *self._begin_intake(conv)]
            return [self._welcome(), *self._begin_intake(conv)]
        if name == "help":
            return [Reply(Msg("bot.help"), buttons=START_BUTTONS), *self.reprompt(draft)]
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
        if name == "cancel":
            if draft is None:
                return [reply("bot.nothing_to_cancel")]
            result = intake.request_cancel(draft)
            self.save_draft(conv, result.draft)
            return result.replies
        if name == "cases":
            return [*await self._list_cases(session, conv.user_id), *self.reprompt(draft)]
        if name == "case":
            return [*await self._show_case(session, conv.user_id, cmd.args), *self.reprompt(draft)]
        return [reply("bot.unknown_command", command="/" + name), *self.reprompt(draft)]

    async def action(
        self, turn: Turn, action: str, draft: intake.IntakeDraft | None
    ) -> list[Reply]:
        session, conv = turn.session, turn.conv
        if action.startswith("lang:"):
            language = action.removeprefix("lang:")
            if language in ("zh-CN", "en"):
                user = await session.get_one(User, conv.user_id)
                conv.language = user.language = language
                await self._staff_language(turn, language)
                return [reply("bot.language_set"), *self.reprompt(draft)]
        if action == "c:continue" and draft is not None:
            return [reply("bot.resume"), intake.prompt(draft)]
        if action == "c:restart":
            return [self._welcome(), *self._begin_intake(conv)]
        if action.startswith("i:") and draft is not None:
            return await self.intake_step(turn, draft, intake.ActionInput(action))
        return [reply("bot.stale_button"), *self.reprompt(draft)]

    # ------------------------------------------------------------------ intake

    def _start_unit(self, args: tuple[str, ...]) -> UnitInfo | None:
        """``/start unit-<code>``: the unit named by a poster's link, if it exists."""
        if len(args) == 1 and args[0].startswith("unit-"):
            return self.units.by_code.get(args[0].removeprefix("unit-"))
        return None

    def _welcome(self) -> Reply:
        return reply("bot.welcome", unit=self.units.default.name)

    def _begin_intake(self, conv: ConversationState) -> list[Reply]:
        result = intake.start()
        self.save_draft(conv, result.draft)
        return [self._with_retention(result.replies[0])]

    async def intake_step(
        self, turn: Turn, draft: intake.IntakeDraft, payload: intake.Input
    ) -> list[Reply]:
        session, conv, now = turn.session, turn.conv, turn.now
        # Features may take the input first (a voice answer: kept, transcribed, confirmed).
        result = await features.run_intake_hooks(turn, draft, payload)
        if result is None:
            result = intake.handle(draft, payload)
        if not result.submitted:
            self.save_draft(conv, result.draft)
            return [self._with_retention(r) for r in result.replies]
        assert result.draft is not None
        user = await session.get_one(User, conv.user_id)
        unit = self.units.by_code.get(turn.get(POSTER_UNIT) or "") or self.units.route(
            result.draft.answers["place"], DisputeType(result.draft.answers["dispute_type"])
        )
        turn.put(POSTER_UNIT, None)
        case = await case_service.create_from_intake(
            session,
            user=user,
            draft=result.draft,
            unit=unit,
            channel=conv.channel,
            now=now,
            local_year=now.astimezone(self.settings.tz).year,
            language=conv.language,
        )
        self.save_draft(conv, None)
        conv.active_case_id = case.id
        ref = len(await case_service.cases_of_user(session, user.id))
        log.info("case %s created in unit %s", case.number, unit.code)
        replies = [
            reply(
                "bot.case_created",
                number=case.number,
                unit=unit.name,
                status=Msg(f"status.{case.status}"),
                ref=ref,
            )
        ]
        respondent = next(p for p in case.parties if p.side == "respondent")
        # Bound to the respondent's number when the applicant gave one: joining then needs
        # that phone, not only the code (issue 21).
        issued = await invites.issue(
            session,
            case,
            respondent,
            created_by=f"user:{user.id}",
            now=now,
            ttl=turn.invite_ttl,
            phone=respondent.phone,
        )
        link = turn.deep_link(issued.token)
        replies += invites.invite_replies(issued, link)
        turn.after_commit.append(
            functools.partial(
                suggest_law,
                self.db,
                turn.shared.kb,
                turn.out.sender,
                DisputeType(case.dispute_type).value,
                f"{case.facts}\n{case.claims}",
            )
        )
        turn.out.reply(*replies)
        if link is not None:
            caption = translate(conv.language, "invite.qr_caption")
            turn.out.send_message(turn.out.sender, QrCode(link, caption))
        await self._alert_mediators(turn, case, unit)
        # Threats, self-harm, gatherings in what was just filed alert staff now, not at the
        # console's next sweep (issue 20).
        await case_watch.case_filed(turn, case)
        return []

    async def _alert_mediators(self, turn: Turn, case: Case, unit: UnitInfo) -> None:
        """Tell the unit's linked mediators a case came in, with a button to take it."""
        notice = Reply(
            Msg(
                "staff.new_case",
                {
                    "number": case.number,
                    "type": Msg(f"dispute.{case.dispute_type}"),
                    "unit": unit.name,
                    "place": case.place,
                },
            ),
            buttons=((button("staff.btn_take", f"m:take:{case.id}", number=case.number),),),
        )
        alerted = await mediators.to_alert(turn.session, self.units, case)
        for staff in alerted:
            address = staff_address(staff)
            if address is None:
                continue
            if await staff_alerts.new_case_waits(
                turn.session, self.settings, staff, case.id, turn.now
            ):
                continue  # their quiet hours: in the morning's batch (services.staff_alerts)
            turn.out.send(address, notice)

    async def _staff_language(self, turn: Turn, language: str) -> None:
        """A staff member who switches language gets their menu in it, and keeps it for the
        messages the service sends them (alerts, requests)."""
        staff_id = turn.get(STAFF_ID)
        staff = await turn.session.get(StaffAccount, staff_id) if staff_id is not None else None
        if staff is not None and staff.telegram_id == int(turn.event.user_id):
            staff.language = language
            turn.out.send_message(turn.out.sender, menus.menu(staff, language))

    def _with_retention(self, r: Reply) -> Reply:
        """The consent text names how long files are kept (asked first, and again after a
        /help, an unknown command or a sticker at that step)."""
        if r.text.key == "intake.consent":
            return Reply(Msg(r.text.key, {"retention_years": RETENTION_YEARS}), buttons=r.buttons)
        return r

    # ------------------------------------------------------------------ case queries

    async def _list_cases(self, session: AsyncSession, user_id: int) -> list[Reply]:
        rows = await case_service.cases_of_user(session, user_id)
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
                        "date": self._local_date(case),
                    },
                )
            )
        # One button per case (newest ten): its progress is a tap away, on both channels.
        views = tuple(
            (button("bot.btn_view_case", command_action("case", str(i)), number=case.number),)
            for i, (case, _party) in enumerate(rows, 1)
        )
        return [Reply(Msg("common.lines", {"lines": lines}), buttons=views[-10:])]

    async def _show_case(
        self, session: AsyncSession, user_id: int, args: tuple[str, ...]
    ) -> list[Reply]:
        if len(args) != 1:
            return [reply("bot.case_usage")]
        rows = await case_service.cases_of_user(session, user_id)
        found: tuple[Case, CaseParty] | None = None
        arg = args[0].strip()
        if arg.isdigit() and 1 <= int(arg) <= len(rows):
            found = rows[int(arg) - 1]
        else:
            found = next((r for r in rows if r[0].number == arg), None)
        if found is None:
            return [reply("bot.case_not_found")]
        case, party = found
        unit = self.units.by_code.get(case.unit_code)
        return [
            reply(
                "bot.case_detail",
                number=case.number,
                type=Msg(f"dispute.{case.dispute_type}"),
                unit=unit.name if unit else case.unit_code,
                status=Msg(f"status.{CaseStatus(case.status).value}"),
                date=self._local_date(case),
                role=Msg(f"role.{party.side}"),
                claims=case.claims,
            )
        ]

    def _local_date(self, case: Case) -> str:
        return case.created_at.astimezone(self.settings.tz).strftime("%Y-%m-%d")

    def reprompt_of(self, turn: Turn) -> list[Reply]:
        return self.reprompt(self.draft(turn.conv))

    def routes(self) -> list[CommandRoute | ActionRoute]:
        async def core_command(turn: Turn, who: features.Who, cmd: Command) -> list[Reply]:
            return await self.command(turn.session, cmd, turn.conv, self.draft(turn.conv))

        async def core_action(turn: Turn, who: features.Who, data: str) -> list[Reply]:
            return await self.action(turn, data, self.draft(turn.conv))

        owner = __name__
        commands = [
            CommandRoute(name, owner, core_command) for name in ("language", "cancel", "cases")
        ]
        # Staff have their own /start (the queue), /help and /case (services.staff_flow).
        commands += [
            CommandRoute(name, owner, core_command, Audience.PARTY)
            for name in ("start", "help", "case")
        ]
        commands.append(CommandRoute("link", owner, self._link_route))
        actions = [ActionRoute(prefix, owner, core_action) for prefix in ("lang:", "c:", "i:")]
        return [*commands, *actions]

    async def _link_route(self, turn: Turn, who: features.Who, cmd: Command) -> list[Reply]:
        return await self._link(turn, cmd)

    async def _link(self, turn: Turn, cmd: Command) -> list[Reply]:
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
