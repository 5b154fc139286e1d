"""The intake dialogue (纠纷登记) up to filing the case and inviting the other side: a party's
``/start``, ``/cancel`` of the intake and its buttons; the open dialogue the conversation core
asks for the chat's draft, its question again and each answer (``services.dialogue``)."""

from __future__ import annotations

import functools
import logging

from core.config import Settings
from features.intake.hints import suggest_law
from i18n import translate
from mediation import intake
from mediation.disputes import DisputeType
from mediation.replies import Msg, Reply, button, reply
from mediation.units import UnitDirectory, UnitInfo
from services import case_watch, features, invites, mediators, particulars, staff_alerts
from services import cases as case_service
from services.chat_state import Slot, text_slot
from services.conversations import ConversationState
from services.inbound import Command
from services.outgoing import QrCode
from services.routing import ActionRoute, Audience, AwaitedInput, CommandRoute, Who
from services.turn import Turn
from storage.db import Database
from storage.models import Case, User

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

#: How long case files are kept after closing, as told to parties in the consent notice.
RETENTION_YEARS = 5


@features.dialogue
class IntakeFlow:
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

    async def command(self, turn: Turn, cmd: Command) -> list[Reply]:
        """A party's ``/start`` (begin, or continue the unfinished intake) and ``/cancel``."""
        conv = turn.conv
        draft = self.draft(conv)
        if cmd.name == "start":
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
        if draft is None:
            return [reply("bot.nothing_to_cancel")]
        result = intake.request_cancel(draft)
        self.save_draft(conv, result.draft)
        return result.replies

    async def action(self, turn: Turn, action: str) -> list[Reply]:
        """The intake's buttons: continue or restart (``c:``), an answer's choice (``i:``)."""
        draft = self.draft(turn.conv)
        if action == "c:continue" and draft is not None:
            return [reply("bot.resume"), intake.prompt(draft)]
        if action == "c:restart":
            return [self._welcome(), *self._begin_intake(turn.conv)]
        if action.startswith("i:") and draft is not None:
            return await self.intake_step(turn, draft, intake.ActionInput(action))
        return [reply("bot.stale_button"), *self.reprompt(draft)]

    def park(self, turn: Turn) -> list[Reply]:
        """Joining a case mid-intake: the person's words go to the room from now on, so the
        unfinished intake is put aside (``/start`` continues it); one not yet begun is dropped."""
        draft = turn.get(INTAKE)
        if draft is None:
            return []
        turn.put(INTAKE, None)
        if not set(draft.answers) - {"consent"}:
            return []
        turn.put(PARKED, draft)
        return [reply("bot.intake_parked")]

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
        conv = turn.conv
        # Features may take the input first (a voice answer: kept, transcribed, confirmed).
        result = await features.run_intake_hooks(turn, draft, payload)
        if result is None:
            result = intake.handle(draft, payload)
        if not result.submitted:
            self.save_draft(conv, result.draft)
            return [self._with_retention(r) for r in result.replies]
        assert result.draft is not None
        case, unit = await self._file_case(turn, result.draft)
        ref = len(await case_service.cases_of_user(turn.session, conv.user_id))
        replies = [
            reply(
                "bot.case_created",
                number=case.number,
                unit=unit.name,
                status=Msg(f"status.{case.status}"),
                ref=ref,
            )
        ]
        # The 申请书 names the applicant by their own particulars: asked of them now, in the
        # same message, offered (现在填写 / 稍后再填) so nothing typed next is taken unasked
        # (services.particulars).
        own = await particulars.own_party(turn.session, case.id, conv.user_id)
        asked = particulars.offer(own, key="particulars.offer_filed") if own else None
        if asked is not None:
            replies = [particulars.joined(replies[0], asked)]
        invitation, link = await self._invite_respondent(turn, case)
        replies += invitation
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

    async def _file_case(self, turn: Turn, draft: intake.IntakeDraft) -> tuple[Case, UnitInfo]:
        """The submitted draft as a case, in the poster's unit or the one routing picks."""
        session, conv, now = turn.session, turn.conv, turn.now
        user = await session.get_one(User, conv.user_id)
        unit = self.units.by_code.get(turn.get(POSTER_UNIT) or "") or self.units.route(
            draft.answers["place"], DisputeType(draft.answers["dispute_type"])
        )
        turn.put(POSTER_UNIT, None)
        case = await case_service.create_from_intake(
            session,
            user=user,
            draft=draft,
            unit=unit,
            channel=conv.channel,
            now=now,
            local_year=now.astimezone(self.settings.tz).year,
            language=conv.language,
        )
        self.save_draft(conv, None)
        conv.active_case_id = case.id
        log.info("case %s created in unit %s", case.number, unit.code)
        return case, unit

    async def _invite_respondent(self, turn: Turn, case: Case) -> tuple[list[Reply], str | None]:
        """The respondent's invitation: the replies that carry it, and its deep link if any."""
        respondent = next(p for p in case.parties if p.side == "respondent")
        # Bound to the respondent's number when the applicant gave one: joining then needs
        # that phone, not only the code (issue 21).
        issued = await invites.issue(
            turn.session,
            case,
            respondent,
            created_by=f"user:{turn.conv.user_id}",
            now=turn.now,
            ttl=turn.invite_ttl,
            phone=respondent.phone,
        )
        link = turn.deep_link(issued.token)
        return invites.invite_replies(issued, link), link

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
        # Each where the chat reaches them: linked Telegram, else the browser chat of their
        # account's phone (a browser-only mediator is told too, once).
        for staff, address in await mediators.to_alert(turn.session, self.units, case):
            if await staff_alerts.new_case_waits(
                turn.session, self.settings, staff, case.id, turn.now
            ):
                continue  # their quiet hours: in the morning's batch (services.staff_alerts)
            turn.out.send(address, notice)

    def _with_retention(self, r: Reply) -> Reply:
        """The consent text names how long files are kept (asked first, and again after a
        /help, an unknown command or a sticker at that step)."""
        if r.text.key == "intake.consent":
            return Reply(Msg(r.text.key, {"retention_years": RETENTION_YEARS}), buttons=r.buttons)
        return r

    def routes(self) -> list[CommandRoute | ActionRoute | AwaitedInput]:
        async def on_command(turn: Turn, who: Who, cmd: Command) -> list[Reply]:
            return await self.command(turn, cmd)

        async def on_action(turn: Turn, who: Who, data: str) -> list[Reply]:
            return await self.action(turn, data)

        owner = __name__
        # Staff have their own /start (the queue: features.room.staff).
        return [
            CommandRoute("cancel", owner, on_command),
            CommandRoute("start", owner, on_command, Audience.PARTY),
            ActionRoute("c:", owner, on_action),
            ActionRoute("i:", owner, on_action),
        ]
