"""The lawyers feature's commands, buttons and text hook (registered on ``services.features``).

Commands: ``/lawyer`` (ask for a lawyer; a lawyer sees their panel), ``/ask`` (the 24-hour
assistant; outside a case it starts a consultation), ``/law`` (article cards), ``/duty``
(a lawyer pauses or resumes), ``/leave`` (a lawyer leaves the room or consultation; a person
ends their consultation), ``/review`` (a lawyer comments on the agreement draft; parties'
``/comment`` belongs to the agreements feature).
Buttons start with ``l:``. Handlers return ``None`` for what is not theirs, so the core answers.
Also registered: the ``lawyer_widen`` timer and the start/stop hooks building the context.
"""

from __future__ import annotations

import asyncio
import logging

from features.lawyers import asking, cards, dispatch, lawyer_side
from features.lawyers.context import ASK_NEXT, CONSULT, CONSULT_WITH, LawyerContext
from features.lawyers.settings import LawyerSettings
from legal_kb.service import KnowledgeBase
from mediation import intake
from mediation.replies import Reply, reply
from services import features
from services.features import Who
from services.inbound import Command
from services.shared import FeatureHost
from services.turn import Turn

log = logging.getLogger(__name__)

#: The assistant waits for the next question of a case (/ask with no text).
features.awaits(ASK_NEXT.key, __name__)


def _is_lawyer(who: Who) -> bool:
    return who.staff is not None and who.staff.role == "lawyer"


def _text(cmd: Command) -> str:
    return " ".join(cmd.args).strip()


@features.command("lawyer")
async def lawyer_command(turn: Turn, who: Who, cmd: Command) -> list[Reply] | None:
    if who.staff is not None and _is_lawyer(who):
        return await lawyer_side.show_panel(turn, who.staff)
    return await asking.request_lawyer(turn, who, _text(cmd))


@features.command("ask")
async def ask_command(turn: Turn, who: Who, cmd: Command) -> list[Reply] | None:
    return await asking.ask(turn, who, _text(cmd))


@features.command("law")
async def law_command(turn: Turn, who: Who, cmd: Command) -> list[Reply] | None:
    return await cards.law(turn, who, _text(cmd))


@features.command("duty")
async def duty_command(turn: Turn, who: Who, cmd: Command) -> list[Reply] | None:
    if who.staff is None or not _is_lawyer(who):
        return [reply("lawyers.duty_only_lawyers")]
    return await lawyer_side.duty(turn, who.staff, cmd.args)


@features.command("leave")
async def leave_command(turn: Turn, who: Who, cmd: Command) -> list[Reply] | None:
    if who.staff is not None and _is_lawyer(who):
        return await lawyer_side.leave(turn, who.staff)
    if who.staff is None and turn.get(CONSULT) is not None:
        return await asking.end_consultation(turn, who)
    return None


@features.command("review")
async def review_command(turn: Turn, who: Who, cmd: Command) -> list[Reply] | None:
    if who.staff is None or not _is_lawyer(who):
        return [reply("lawyers.review_only_lawyers")]
    return await lawyer_side.review(turn, who.staff, _text(cmd))


@features.action("l:")
async def lawyer_action(turn: Turn, who: Who, data: str) -> list[Reply] | None:
    parts = data.split(":")
    verb = parts[1] if len(parts) > 1 else ""
    arg = parts[2] if len(parts) > 2 else ""
    if verb == "ask":
        return await asking.ask_button(turn, who)
    if verb == "req":
        return await asking.request_lawyer(turn, who, "")
    if verb == "end":
        return await asking.end_consultation(turn, who) or [reply("bot.stale_button")]
    if verb == "card":
        return await cards.post(turn, who, arg)
    if who.staff is None or not _is_lawyer(who):
        return [reply("bot.stale_button")]
    staff = who.staff
    if verb in ("acc", "dec") and arg.isdigit():
        if verb == "acc":
            return await lawyer_side.accept(turn, staff, int(arg))
        return await lawyer_side.decline(turn, staff, int(arg))
    if verb in ("pause", "resume"):
        return await lawyer_side.set_pause(turn, staff, verb == "pause")
    if verb == "to":
        return await lawyer_side.set_target(turn, staff, arg)
    if verb == "leave":
        return await lawyer_side.leave(turn, staff)
    return [reply("bot.stale_button")]


@features.message_hook
async def lawyer_messages(turn: Turn, who: Who) -> list[Reply] | None:
    """Consultation talk and "ask the assistant" answers; everything else is not ours.

    Reads only the conversation state first, so other messages cost nothing.
    """
    state = turn.conv.state
    if who.staff is not None:
        if _is_lawyer(who) and state.get(CONSULT_WITH.key) is not None:
            payload = turn.event.payload
            text = payload.text if isinstance(payload, intake.TextInput) else None
            return await lawyer_side.consult_message(turn, who.staff, text)
        return None
    if state.get(ASK_NEXT.key) is None and state.get(CONSULT.key) is None:
        return None
    return await asking.person_message(turn, who)


features.timer(dispatch.TIMER_KIND)(dispatch.widen_due)


@features.on_start
async def start(runtime: FeatureHost) -> None:
    """Build the feature's context: the shared knowledge base, LLM settings, delivery.

    Uses the knowledge base another feature put in ``shared.kb``; otherwise makes a
    keyword-only one over the service's database, shares it there and warms it up in the
    background (the first question waits for the index only if it comes before that ends).
    """
    kb = runtime.shared.kb
    context = LawyerContext(
        db=runtime.db,
        kb=kb or KnowledgeBase(runtime.db, runtime.settings.data_dir),
        settings=LawyerSettings.from_settings(runtime.settings),
        tz=runtime.settings.tz,
        deliver=runtime.deliver,
        owns_kb=kb is None,
    )
    if context.owns_kb:
        runtime.shared.kb = context.kb
        context.warm_up = asyncio.get_running_loop().create_task(_warm(context))
    runtime.shared.lawyers = context


async def _warm(context: LawyerContext) -> None:
    if context.kb is not None:
        try:
            await context.kb.start()
        except Exception as exc:  # e.g. the KB tables do not exist yet; /ask says so later
            log.warning("knowledge base not ready: %s", exc)


@features.on_stop
async def stop(runtime: FeatureHost) -> None:
    context, runtime.shared.lawyers = runtime.shared.lawyers, None
    if context is not None:
        if context.owns_kb and runtime.shared.kb is context.kb:
            runtime.shared.kb = None
        await context.close()
