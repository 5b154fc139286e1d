"""The conversation service: one inbound event in, state changed and replies queued, atomically.

Every channel adapter (Telegram now, the browser chat later) calls :meth:`handle`. In one
write transaction it claims the inbox row (so the event is handled once), loads the chat's
conversation state from the database (never from process memory), runs the pure domain logic,
stores the new state and queues the replies in the outbox. After commit it hands the queued
messages to the channel's sender.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.config import Settings
from i18n import normalise_language, translate
from mediation import intake
from mediation.case_state import CaseStatus
from mediation.disputes import DisputeType
from mediation.replies import Button, Msg, Reply, button, reply
from mediation.units import UnitDirectory, UnitInfo
from services import cases as case_service
from services import conversations, features, inbox, invites, mediators, party_flow, staff_flow
from services.conversations import ConversationState
from services.delivery import Address, Outgoing
from services.inbound import Command, Inbound
from services.legal_hints import suggest_law
from services.outbox import QueuedMessage, enqueue, render
from services.rate_limits import failures, record_failure
from services.turn import Turn
from storage.db import Database
from storage.models import Case, CaseParty, StaffAccount, User

log = logging.getLogger(__name__)

#: How long case files are kept after closing, as told to parties in the consent notice.
RETENTION_YEARS = 5
#: Wrong /link codes one Telegram account may send per hour.
LINK_GUESSES = 5

Notifier = Callable[[list[QueuedMessage]], Awaitable[None] | None]


class ConversationService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        units: UnitDirectory,
        clock: Clock,
        notify: Notifier | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.units = units
        self.clock = clock
        self.notify = notify
        #: Turns an invitation token into a link; set by the channel that knows its address
        #: (the Telegram bot after getMe). Without it, invitees type the short code.
        self.deep_link: Callable[[str], str | None] = lambda token: None
        #: Raw stored update → event, per inbox source; set by each channel adapter so that
        #: any replica can handle an update another replica stored (see _handle_earlier).
        self.parsers: dict[str, Callable[[dict[str, Any]], Inbound | None]] = {}
        #: Filled by feature start-up hooks (see services.features); shared with every turn.
        self.extras: dict[str, Any] = {}

    # ------------------------------------------------------------------ entry point

    async def handle(self, event: Inbound, inbox_key: tuple[str, int] | None = None) -> bool:
        """Handle one event; False when it had already been handled (duplicate)."""
        later: list[Callable[[], Awaitable[list[QueuedMessage]]]] = []
        async with self.db.write() as session:
            queued: list[QueuedMessage] = []
            if inbox_key is not None and self.db.dialect == "postgresql":
                queued += await self._handle_earlier(session, inbox_key, later)
            if inbox_key is not None and not await inbox.claim(session, *inbox_key):
                return False
            queued += await self._handle_in_session(session, event, later)
        for job in later:
            try:
                queued += await job()
            except Exception:
                log.exception("follow-up of an update failed")
        if self.notify is not None and queued:
            result = self.notify(queued)
            if result is not None:
                await result
        return True

    async def _handle_earlier(
        self,
        session: AsyncSession,
        inbox_key: tuple[str, int],
        later: list[Callable[[], Awaitable[list[QueuedMessage]]]],
    ) -> list[QueuedMessage]:
        """Under the chat's lock, handle the chat's earlier updates that are still pending.

        With several replicas one chat's updates may be stored by different processes; the
        lock makes them take turns and this keeps the order of ``update_id`` whichever replica
        got which update. Each earlier update runs in a savepoint: one that fails is marked
        failed and does not block the chat.
        """
        source, update_id = inbox_key
        chat_key = await inbox.lock_chat(session, source, update_id)
        parse = self.parsers.get(source)
        if chat_key is None or parse is None:
            return []
        queued: list[QueuedMessage] = []
        for earlier_id, payload in await inbox.earlier_pending(
            session, source, chat_key, update_id
        ):
            try:
                async with session.begin_nested():
                    if not await inbox.claim(session, source, earlier_id):
                        continue
                    event = parse(payload)
                    if event is not None:
                        queued += await self._handle_in_session(session, event, later)
            except Exception as exc:
                log.exception("earlier update %s failed", earlier_id)
                await inbox.fail_in_session(session, source, earlier_id, repr(exc))
        return queued

    async def report_failure(self, event: Inbound) -> None:
        """Tell the person something went wrong (their input so far is safe in the DB)."""
        async with self.db.write() as session:
            conv = await self._conversation(session, event)
            payloads = [render(reply("bot.internal_error"), conv.language)]
            if event.callback_id:
                payloads.append({"kind": "answer_callback", "callback_id": event.callback_id})
            queued = await enqueue(session, event.channel, event.chat_id, payloads)
        if self.notify is not None:
            result = self.notify(queued)
            if result is not None:
                await result

    async def _handle_in_session(
        self,
        session: AsyncSession,
        event: Inbound,
        later: list[Callable[[], Awaitable[list[QueuedMessage]]]] | None = None,
    ) -> list[QueuedMessage]:
        conv = await self._conversation(session, event)
        out = Outgoing(Address(event.channel, event.chat_id, conv.language))
        if event.callback_id:
            # Acknowledge the button press so the client stops its spinner.
            out.send_payload(
                out.sender, {"kind": "answer_callback", "callback_id": event.callback_id}
            )
        turn = Turn(
            session,
            event,
            conv,
            out,
            self.clock.now(),
            self.settings,
            self.units,
            self.deep_link,
            self.extras,
            later if later is not None else [],
        )
        replies = await self._dispatch(turn)
        # The language may have changed during the turn: render the sender's replies now.
        out.sender = Address(event.channel, event.chat_id, conv.language)
        out.reply(*replies)
        await conversations.save(session, conv, turn.now)
        return await out.flush(session)

    # ------------------------------------------------------------------ loading

    async def _user(self, session: AsyncSession, event: Inbound) -> User:
        if event.channel == "web":
            # The browser chat's user id is ours (the row made at phone login).
            return await session.get_one(User, int(event.user_id))
        if event.channel != "telegram":
            raise NotImplementedError(f"channel {event.channel}")
        telegram_id = int(event.user_id)
        user = (
            await session.execute(select(User).where(User.telegram_id == telegram_id))
        ).scalar_one_or_none()
        if user is None:
            user = User(
                telegram_id=telegram_id,
                language=normalise_language(event.language_hint)
                if event.language_hint
                else self.settings.default_language,
                created_at=self.clock.now(),
            )
            session.add(user)
            await session.flush()
        return user

    async def _conversation(self, session: AsyncSession, event: Inbound) -> ConversationState:
        """The chat's conversation; the user row is read only when a step needs it."""
        conv = await conversations.load(session, event.channel, event.chat_id)
        if conv is None:
            user = await self._user(session, event)
            conv = await conversations.create(
                session, event.channel, event.chat_id, user.id, user.language, self.clock.now()
            )
        return conv

    # ------------------------------------------------------------------ dispatch

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        session, event, conv = turn.session, turn.event, turn.conv
        draft = self._draft(conv)
        payload = event.payload
        if event.chat_type != "private":
            # Only answer commands in groups, so the bot never spams a group chat.
            return [reply("bot.group_chat")] if isinstance(payload, Command) else []
        if event.edited:
            return [reply("bot.edited_ignored"), *self._reprompt(draft)]
        if event.forwarded:
            return [reply("bot.forwarded_ignored"), *self._reprompt(draft)]
        staff = await self._staff(turn)
        who = features.Who(conv.user_id, staff)
        if isinstance(payload, Command):
            if payload.name == "link":
                return await self._link(turn, payload)
            handled = await features.run_command(turn, who, payload)
            if handled is not None:
                return handled
            if staff is not None and draft is None:
                handled = await staff_flow.command(turn, staff, payload)
                if handled is not None:
                    return handled
            handled = await party_flow.command(turn, payload, conv.user_id)
            if handled is not None:
                return [*handled, *self._reprompt(draft)]
            return await self._command(session, payload, conv, draft)
        if isinstance(payload, intake.ActionInput):
            handled = await features.run_action(turn, who, payload.action)
            if handled is not None:
                return handled
            if staff is not None:
                handled = await staff_flow.action(turn, staff, payload.action)
                if handled is not None:
                    return handled
            handled = await party_flow.action(turn, payload.action, conv.user_id)
            if handled is not None:
                return handled
            return await self._action(turn, payload.action, draft)
        if payload is None:
            return [reply("bot.unsupported_update"), *self._reprompt(draft)]
        if draft is not None:
            return await self._intake_step(turn, draft, payload)
        handled = await features.run_message_hooks(turn, who)
        if handled is not None:
            return handled
        if staff is not None:
            return await staff_flow.message(turn, staff)
        return await party_flow.message(turn, conv.user_id)

    async def _staff(self, turn: Turn) -> StaffAccount | None:
        """The staff account speaking in this chat, if any.

        Remembered in the conversation state (set by ``/link`` or when the chat is first seen)
        so that parties' messages cost no extra query; checked against the account each time,
        so a deactivated or re-linked account stops acting as staff at once.
        """
        if turn.event.channel != "telegram":
            return None
        staff_id = turn.state("staff_id")
        if staff_id is None:
            if turn.state("staff_checked"):
                return None
            staff = await mediators.staff_for_telegram(turn.session, int(turn.event.user_id))
            turn.set_state("staff_checked", True)
            if staff is not None:
                turn.set_state("staff_id", staff.id)
            return staff
        staff = await turn.session.get(StaffAccount, staff_id)
        if staff is None or not staff.active or staff.telegram_id != int(turn.event.user_id):
            turn.set_state("staff_id", None)
            return None
        return staff

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
        turn.set_state("staff_id", result.id)
        return [
            reply("staff.linked", name=result.display_name, role=Msg(f"staff.role_{result.role}"))
        ]

    def _draft(self, conv: ConversationState) -> intake.IntakeDraft | None:
        data = conv.state.get("intake")
        return intake.IntakeDraft.from_json(data) if data else None

    def _save_draft(self, conv: ConversationState, draft: intake.IntakeDraft | None) -> None:
        state = dict(conv.state)
        if draft is None:
            state.pop("intake", None)
        else:
            state["intake"] = draft.to_json()
        conv.state = state  # reassign: JSON columns track assignment, not mutation

    def _reprompt(self, draft: intake.IntakeDraft | None) -> list[Reply]:
        return [self._with_retention(intake.prompt(draft))] if draft is not None else []

    async def _command(
        self,
        session: AsyncSession,
        cmd: Command,
        conv: ConversationState,
        draft: intake.IntakeDraft | None,
    ) -> list[Reply]:
        name = cmd.name
        if name == "start":
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
                state = dict(conv.state)
                state["unit"] = unit.code
                conv.state = state
                return [reply("bot.welcome", unit=unit.name), *self._begin_intake(conv)]
            return [self._welcome(), *self._begin_intake(conv)]
        if name == "help":
            return [reply("bot.help"), *self._reprompt(draft)]
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
            self._save_draft(conv, result.draft)
            return result.replies
        if name == "cases":
            return [*await self._list_cases(session, conv.user_id), *self._reprompt(draft)]
        if name == "case":
            return [*await self._show_case(session, conv.user_id, cmd.args), *self._reprompt(draft)]
        return [reply("bot.unknown_command", command="/" + name), *self._reprompt(draft)]

    async def _action(
        self, turn: Turn, action: str, draft: intake.IntakeDraft | None
    ) -> list[Reply]:
        session, conv = turn.session, turn.conv
        if action.startswith("lang:"):
            language = action.removeprefix("lang:")
            if language in ("zh-CN", "en"):
                user = await session.get_one(User, conv.user_id)
                conv.language = user.language = language
                return [reply("bot.language_set"), *self._reprompt(draft)]
        if action == "c:continue" and draft is not None:
            return [reply("bot.resume"), intake.prompt(draft)]
        if action == "c:restart":
            return [self._welcome(), *self._begin_intake(conv)]
        if action.startswith("i:") and draft is not None:
            return await self._intake_step(turn, draft, intake.ActionInput(action))
        return [reply("bot.stale_button"), *self._reprompt(draft)]

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
        self._save_draft(conv, result.draft)
        return [self._with_retention(result.replies[0])]

    async def _intake_step(
        self, turn: Turn, draft: intake.IntakeDraft, payload: intake.Input
    ) -> list[Reply]:
        session, conv, now = turn.session, turn.conv, turn.now
        # Features may take the input first (a voice answer: kept, transcribed, confirmed).
        result = await features.run_intake_hooks(turn, draft, payload)
        if result is None:
            result = intake.handle(draft, payload)
        if not result.submitted:
            self._save_draft(conv, result.draft)
            return [self._with_retention(r) for r in result.replies]
        assert result.draft is not None
        user = await session.get_one(User, conv.user_id)
        unit = self.units.by_code.get(str(turn.state("unit") or "")) or self.units.route(
            result.draft.answers["place"], DisputeType(result.draft.answers["dispute_type"])
        )
        turn.set_state("unit", None)
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
        self._save_draft(conv, None)
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
        link = self.deep_link(issued.token)
        replies += invites.invite_replies(issued, link)
        turn.after_commit.append(
            functools.partial(
                suggest_law,
                self.db,
                self.extras.get("kb"),
                turn.out.sender,
                DisputeType(case.dispute_type).value,
                f"{case.facts}\n{case.claims}",
            )
        )
        turn.out.reply(*replies)
        if link is not None:
            turn.out.send_payload(
                turn.out.sender,
                {
                    "kind": "qr",
                    "data": link,
                    "caption": translate(conv.language, "invite.qr_caption"),
                },
            )
        return []

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
            return [reply("bot.no_cases")]
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
        return [Reply(Msg("common.lines", {"lines": lines}))]

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


def raw_button(label: str, action: str) -> Button:
    """A button whose label is the same in every language (e.g. language names)."""
    return button("common.raw", action, text=label)
