"""A desk's tasks in the chat: ``/tasks``, and the buttons on each task card — 接单, 退回
(asks the reason), 记录处置 (asks what was done), 办结.

The same use cases as the console's task list (``features.street.tasks``), so a task accepted
on the phone shows as accepted on the console at once, and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

from features.street import queries, tasks
from features.street.config import street_directory
from features.street.models import StreetTask
from mediation import intake
from mediation.replies import Msg, Reply, reply
from mediation.staff_permissions import Action, can
from mediation.street import StreetDirectory, TaskEvent
from mediation.validation import InvalidInput, clean_text
from services import features
from services.chat_state import record_slot
from services.features import Who
from services.inbound import Command
from services.staff_alerts import Policy
from services.turn import Turn
from storage.models import Case

STATE = "street_task_input"
features.awaits(STATE, __name__)


@dataclass(frozen=True)
class AwaitTaskText:
    """The next text is the reason for returning a task (``return``) or what was done (``note``)."""

    task: int
    what: str


AWAIT = record_slot(STATE, AwaitTaskText)


def _directory(turn: Turn) -> StreetDirectory:
    return street_directory(turn.settings.units_file, turn.units)


def _may(who: Who) -> bool:
    return who.staff is not None and can(who.staff.role, Action.HANDLE_TASKS)


@features.command("tasks")
async def list_tasks(turn: Turn, who: Who, cmd: Command) -> list[Reply] | None:
    if who.staff is None:
        return None
    if not _may(who):
        return [reply("street.not_allowed")]
    street = _directory(turn)
    desks = street.desks_of(who.staff.username)
    if not desks:
        return [reply("street.no_desks")]
    rows = await queries.tasks_of_desks(turn.session, [d.code for d in desks], open_only=True)
    if not rows:
        return [reply("street.no_tasks", desks="、".join(d.name for d in desks))]
    out: list[Reply] = [reply("street.tasks_header", count=len(rows))]
    for task, case in rows[:10]:
        desk = street.by_code[task.desk_code]
        out.append(await _card(turn, street, task.id, case, desk.name))
    return out


async def _card(turn: Turn, street: StreetDirectory, task_id: int, case: Case, desk: str) -> Reply:
    task = await turn.session.get_one(StreetTask, task_id)
    lead = await queries.lead_desk_name(turn.session, street, case.id)
    return tasks.task_card(task, case, desk, lead_name=lead, tz=turn.settings.tz)


@features.action("tk:")
async def on_button(turn: Turn, who: Who, data: str) -> list[Reply] | None:
    if not _may(who):
        return [reply("bot.stale_button")]
    assert who.staff is not None
    parts = data.split(":")
    if len(parts) != 3 or not parts[2].isdigit():
        return [reply("bot.stale_button")]
    what, task_id = parts[1], int(parts[2])
    street = _directory(turn)
    try:
        task = await tasks.my_task(turn.session, street, who.staff, task_id)
    except tasks.TaskError as exc:
        return [reply(exc.key)]
    if what in ("ret", "note"):
        if task.status not in ("assigned", "accepted") or (
            what == "note" and task.status != "accepted"
        ):
            return [reply(f"street.task_not_{task.status}")]
        turn.put(AWAIT, AwaitTaskText(task.id, "return" if what == "ret" else "note"))
        return [reply("street.ask_return_reason" if what == "ret" else "street.ask_task_note")]
    event = {"acc": TaskEvent.ACCEPT, "done": TaskEvent.FINISH}.get(what)
    if event is None:
        return [reply("bot.stale_button")]
    return await _respond(turn, who, street, task_id, event, None)


async def _respond(
    turn: Turn,
    who: Who,
    street: StreetDirectory,
    task_id: int,
    event: TaskEvent,
    reason: str | None,
) -> list[Reply]:
    assert who.staff is not None
    try:
        task = await tasks.respond(
            turn.session,
            street,
            who.staff,
            task_id,
            event,
            now=turn.now,
            out=turn.out,
            reason=reason,
            quiet=Policy.of(turn.settings),
        )
    except tasks.TaskError as exc:
        return [reply(exc.key)]
    case = await turn.session.get_one(Case, task.case_id)
    desk = street.by_code[task.desk_code]
    done = Msg(f"street.task_{task.status}_ok", {"number": case.number, "desk": desk.name})
    return [Reply(done), await _card(turn, street, task.id, case, desk.name)]


@features.message_hook
async def on_text(turn: Turn, who: Who) -> list[Reply] | None:
    waiting = turn.get(AWAIT)
    if waiting is None or not _may(who):
        return None
    assert who.staff is not None
    payload = turn.event.payload
    if not isinstance(payload, intake.TextInput):
        return [
            reply(
                "street.ask_return_reason" if waiting.what == "return" else "street.ask_task_note"
            )
        ]
    try:
        text = clean_text(payload.text, max_len=1000, min_len=2)
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)]
    turn.put(AWAIT, None)
    street = _directory(turn)
    if waiting.what == "return":
        return await _respond(turn, who, street, waiting.task, TaskEvent.RETURN, text)
    try:
        await tasks.add_note(turn.session, street, who.staff, waiting.task, text, turn.now)
    except tasks.TaskError as exc:
        return [reply(exc.key)]
    return [reply("street.note_kept")]
