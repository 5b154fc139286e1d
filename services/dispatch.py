"""Routing one event inside its turn: what no state may swallow first (invitations, ``/cancel``),
then the one route the routing table has for a command or button, else the open intake, else
the features' message hooks (a mediator's reply first, the room's last) and an invitation's
questions (see docs/ARCHITECTURE.md, "The path of
one Telegram update")."""

from __future__ import annotations

import functools

from mediation import intake
from mediation import invitations as inv
from mediation.replies import Reply, reply
from services import basics, features, invites, mediators, menus, particulars, party_flow
from services.dialogue import Dialogue
from services.inbound import Command, command_of_action
from services.party_flow import JOINING
from services.routing import Audience, RoutingTable
from services.slots import STAFF_CHECKED, STAFF_ID
from services.turn import Turn
from storage.models import StaffAccount, User


class Dispatcher:
    def __init__(self, dialogue: Dialogue) -> None:
        #: The open dialogue (the intake, declared by its feature; services.dialogue).
        self.core = dialogue

    async def dispatch(self, turn: Turn) -> list[Reply]:
        event, conv = turn.event, turn.conv
        draft = self.core.draft(conv)
        payload = event.payload
        if event.chat_type != "private":
            # Only answer commands in groups, so the bot never spams a group chat.
            return [reply("bot.group_chat")] if isinstance(payload, Command) else []
        if event.edited:
            return [reply("bot.edited_ignored"), *self.core.reprompt(draft)]
        if event.forwarded:
            return [reply("bot.forwarded_ignored"), *self.core.reprompt(draft)]
        staff = await self._staff(turn)
        who = features.Who(conv.user_id, staff)
        if isinstance(payload, intake.ActionInput):
            # A command offered as a button (services.inbound.command_action) is the command,
            # here too: the browser's 取消 button ends a pending input as typing /cancel does.
            payload = command_of_action(payload.action) or payload
        first = await self._pre_route(turn, payload, draft, staff)
        if first is not None:
            return first
        table = self.routes
        if isinstance(payload, Command):
            return await self._command(turn, who, draft, payload)
        if isinstance(payload, intake.ActionInput):
            audience = Audience.STAFF if staff is not None else Audience.PARTY
            for action_route in table.action_chain(payload.action, audience):
                handled = await action_route.handler(turn, who, payload.action)
                if handled is not None:
                    return handled
            return [reply("bot.stale_button"), *self.core.reprompt(draft)]
        if payload is None:
            return [reply("bot.unsupported_update"), *self.core.reprompt(draft)]
        joining = turn.get(JOINING)
        if draft is not None and (joining is None or joining.waiting_for == "answer"):
            # An invitation shown mid-intake waits for its buttons; words still answer the
            # intake's question (asked again under the invitation).
            return await self.core.intake_step(turn, draft, payload)
        for stage in (features.Stage.FIRST, features.Stage.FEATURE):
            handled = await features.run_message_hooks(turn, who, stage)
            if handled is not None:
                return handled
        if staff is None:
            handled = await party_flow.message(turn, conv.user_id)
            if handled is not None:
                return handled
        # A party's own particulars, asked only after they chose 现在填写 (services.particulars).
        handled = await particulars.message(turn, conv.user_id)
        if handled is not None:
            return handled
        # The room's (features.room.chat): words nobody else took go to the speaker's room.
        handled = await features.run_message_hooks(turn, who, features.Stage.LAST)
        return handled if handled is not None else [reply("bot.idle_text")]

    async def _command(
        self, turn: Turn, who: features.Who, draft: intake.IntakeDraft | None, cmd: Command
    ) -> list[Reply]:
        """The one route of the command's name for the speaker's audience, else "unknown"."""
        audience = Audience.STAFF if who.staff is not None and draft is None else Audience.PARTY
        route = self.routes.command(cmd.name, audience)
        handled = await route.handler(turn, who, cmd) if route is not None else None
        if handled is not None:
            return handled
        return [reply("bot.unknown_command", command="/" + cmd.name), *self.core.reprompt(draft)]

    async def _pre_route(
        self,
        turn: Turn,
        payload: intake.Input | Command | None,
        draft: intake.IntakeDraft | None,
        staff: StaffAccount | None,
    ) -> list[Reply] | None:
        """What no state may swallow: an invitation (``/start inv_…``, ``/join CODE``, or the
        code or link typed or pasted at any step) and ``/cancel`` of whatever input the chat is
        waiting for.

        The invitation says "打开本机器人，直接发送邀请码", so a code is a join attempt wherever
        it is typed: at the consent step (the first thing a person sees after opening the
        bot), in the middle of an intake, while a feature waits for an answer, idle, or long
        after a case closed (issue 19). Past the consent step only a code that finds an
        invitation is taken, since a typed answer could look like one (``ZHANGSAN``).
        """
        user_id = turn.conv.user_id
        if isinstance(payload, Command):
            if payload.name == "start" and payload.args and inv.is_token(payload.args[0]):
                return await self._join(turn, payload.args[0], draft)
            if payload.name == "join" and payload.args and staff is None:
                return await self._join(turn, "".join(payload.args), draft)
            if payload.name == "cancel" and draft is None:
                return self._cancel_awaited(turn)
            return None
        if not isinstance(payload, intake.TextInput) or (staff is not None and draft is None):
            return None
        secret = inv.secret_in(payload.text)
        if secret is None:
            return None
        if draft is not None and draft.step is intake.Step.CONSENT and not draft.answers:
            return await self._join(turn, secret, draft)
        # Counted like any join attempt, or the answer would tell a guesser for free whether
        # a code exists (issue 21).
        if await party_flow.join_guesses_spent(turn, user_id):
            if draft is None and await party_flow.speaks_nowhere(turn, user_id):
                return [reply("invite.too_many_attempts")]
            return None
        invitation = await invites.find(turn.session, secret)
        if invitation is None:
            await party_flow.count_join_guess(turn, user_id)
            if draft is None and await party_flow.speaks_nowhere(turn, user_id):
                return [reply("invite.invalid")]
            return None
        answer = await party_flow.answer_invitation(turn, invitation, user_id)
        return [*answer, *self.core.reprompt(draft)]

    async def _join(self, turn: Turn, secret: str, draft: intake.IntakeDraft | None) -> list[Reply]:
        """Join by invitation; an intake not yet begun gives way (the person came to join)."""
        replies = await party_flow.start_join(turn, secret, turn.conv.user_id)
        if turn.get(JOINING) and draft is not None and not draft.answers:
            self.core.save_draft(turn.conv, None)
            return replies
        return [*replies, *self.core.reprompt(draft)]

    def _cancel_awaited(self, turn: Turn) -> list[Reply] | None:
        """``/cancel`` outside the intake ends any input a flow or feature is waiting for."""
        pending = [key for key in self.routes.awaited_keys() if turn.state(key) is not None]
        if not pending:
            return None  # the core answers "nothing to cancel"
        for key in pending:
            turn.set_state(key, None)
        return [reply("bot.input_cancelled")]

    @functools.cached_property
    def routes(self) -> RoutingTable:
        """The routing table, built on first use from the core's, the open dialogue's, the
        flows' and the registered features' declarations (``app.runtime`` builds it at start, so a
        conflict stops the service there)."""
        table = RoutingTable()
        table.add_all(self.core.routes())
        table.add_all(basics.routes())
        table.add_all(party_flow.routes())
        table.add_all(particulars.routes())
        table.add_all(features.routes())
        return table

    async def _staff(self, turn: Turn) -> StaffAccount | None:
        """The staff account speaking in this chat, if any.

        Remembered in the conversation state (set by ``/link`` or when the chat is first seen)
        so that parties' messages cost no extra query; checked against the account each time,
        so a deactivated or re-linked account stops acting as staff at once.
        """
        if turn.event.channel == "web":
            return await self._web_staff(turn)
        if turn.event.channel != "telegram":
            return None
        staff_id = turn.get(STAFF_ID)
        if staff_id is None:
            if turn.get(STAFF_CHECKED):
                return None
            staff = await mediators.staff_for_telegram(turn.session, int(turn.event.user_id))
            turn.put(STAFF_CHECKED, True)
            if staff is not None:
                turn.put(STAFF_ID, staff.id)
            return staff
        staff = await turn.session.get(StaffAccount, staff_id)
        if staff is None or not staff.active or staff.telegram_id != int(turn.event.user_id):
            turn.put(STAFF_ID, None)
            # Deactivated or linked to another Telegram account: the staff menu goes too.
            turn.out.send_message(turn.out.sender, menus.DEFAULT_MENU)
            return None
        return staff

    @staticmethod
    async def _web_staff(turn: Turn) -> StaffAccount | None:
        """The staff account whose registered phone the browser chat's person logged in with.

        A browser user's number is the one the one-time code verified (``features.webchat.otp``
        creates the user with it, and no other path sets it for a user without Telegram), so it
        proves the person as ``/link`` does in Telegram. Looked up each turn: a deactivated
        account, or a number an admin moved to another account, stops acting at once. A party's
        number is no staff account's, so a party never gets staff powers.
        """
        user = await turn.session.get(User, turn.conv.user_id)
        if user is None or user.telegram_id is not None or not user.phone:
            return None
        return await mediators.staff_for_phone(turn.session, user.phone)
