"""Extension points of the conversation: features register commands, button actions and text
interceptors here instead of growing the conversation core.

A feature package (``features/<name>``, listed once in ``app.features.FEATURES``) decorates its
handlers with :func:`command`, :func:`action`, :func:`message_hook` or :func:`intake_hook`;
importing the package declares them.
Each handler gets the :class:`~services.turn.Turn` and :class:`Who` is speaking, and returns
the replies to the sender — or ``None`` to say "not mine", letting the core handle the event.
Handlers run inside the event's transaction; other recipients are reached via ``turn.out``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from enum import IntEnum

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from mediation import intake
from mediation.replies import Msg, Reply
from mediation.units import UnitDirectory
from services.dialogue import Dialogue, NoDialogue
from services.inbound import Command
from services.outbox import QueuedMessage
from services.routing import ActionRoute, AwaitedInput, CommandRoute
from services.routing import Who as Who
from services.shared import LifeHook
from services.turn import Turn
from storage.db import Database
from storage.models import Timer

CommandHandler = Callable[[Turn, Who, Command], Awaitable[list[Reply] | None]]
ActionHandler = Callable[[Turn, Who, str], Awaitable[list[Reply] | None]]
MessageHook = Callable[[Turn, Who], Awaitable[list[Reply] | None]]
IntakeHook = Callable[
    [Turn, intake.IntakeDraft, intake.Input], Awaitable[intake.IntakeResult | None]
]

TimerHandler = Callable[[AsyncSession, Timer, datetime], Awaitable[list[QueuedMessage]]]
#: A case event's kind and data → its line on a timeline (see :func:`timeline_details`).
TimelineDetail = Callable[[str, Mapping[str, object]], Msg]
Route = CommandRoute | ActionRoute | AwaitedInput
#: Builds the open dialogue (the intake) for a conversation service.
DialogueFactory = Callable[[Database, Settings, UnitDirectory], Dialogue]


class Stage(IntEnum):
    """When a message hook sees free text or a file, relative to the other features' hooks."""

    #: Before every feature: an answer a staff member chose to write (after the agreement).
    FIRST = 0
    #: The features' awaited inputs (a figure, a typed name, an edited transcript…).
    FEATURE = 1
    #: What nobody else took: the words go to the person's room.
    LAST = 2


COMMANDS: dict[str, CommandHandler] = {}
ACTIONS: dict[str, ActionHandler] = {}
#: Action prefixes that deliberately narrow a shorter prefix of another owner (see
#: services.routing.ActionRoute.extends).
ACTION_EXTENDS: dict[str, str] = {}
#: Conversation-state keys that make a chat wait for a feature's next input (ended by /cancel).
AWAITED: dict[str, str] = {}
MESSAGE_HOOKS: list[MessageHook] = []
#: Hooks that see a message before or after the features' own (see :class:`Stage`).
STAGED_HOOKS: dict[Stage, list[MessageHook]] = {Stage.FIRST: [], Stage.LAST: []}
#: Routes declared whole, with their audience (a party's /record and a staff member's are
#: different routes): see :func:`declare`.
DECLARED: list[Route] = []
#: The open dialogue's factory (at most one: the intake).
DIALOGUES: list[DialogueFactory] = []
INTAKE_HOOKS: list[IntakeHook] = []
#: Called with the runtime (as a :class:`~services.shared.FeatureHost`) at start and stop:
#: features build what they need (a render pool, a sealer…) and put it in their attribute of
#: ``host.shared``, which handlers see as ``turn.shared``.
ON_START: list[LifeHook] = []
ON_STOP: list[LifeHook] = []
#: Durable timer kinds (see services.timers): registered on the TimerService at start.
TIMERS: dict[str, TimerHandler] = {}
#: Case event kinds a feature labels in its own catalogue: kind → the label's key.
TIMELINE_LABELS: dict[str, str] = {}
#: Case event kinds whose line on a timeline names things from the event's data (who took the
#: task, which desk): kind → the declaring feature's function from the data to that line.
TIMELINE_DETAILS: dict[str, TimelineDetail] = {}


def command(name: str) -> Callable[[CommandHandler], CommandHandler]:
    def register(handler: CommandHandler) -> CommandHandler:
        if name in COMMANDS:
            raise ValueError(f"command /{name} registered twice")
        COMMANDS[name] = handler
        return handler

    return register


def action(prefix: str, *, extends: str | None = None) -> Callable[[ActionHandler], ActionHandler]:
    """Button actions starting with ``prefix`` (e.g. ``"d:"``) go to the handler. A prefix that
    narrows another owner's (``"m:close"`` inside the staff panel's ``"m:"``) must say so with
    ``extends``; its handler returns ``None`` to let the extended route answer."""

    def register(handler: ActionHandler) -> ActionHandler:
        if prefix in ACTIONS:
            raise ValueError(f"action prefix {prefix!r} registered twice")
        ACTIONS[prefix] = handler
        if extends is not None:
            ACTION_EXTENDS[prefix] = extends
        return handler

    return register


def awaits(state_key: str, owner: str) -> None:
    """Declare a conversation-state key with which ``owner`` waits for the chat's next input."""
    if AWAITED.get(state_key, owner) != owner:
        raise ValueError(
            f"awaited input {state_key!r} declared by {AWAITED[state_key]} and {owner}"
        )
    AWAITED[state_key] = owner


def declare(*routes: Route) -> None:
    """Routes with an audience or an owner's own handler objects, as the routing table takes
    them (conflicts are found when the table is built at start)."""
    DECLARED.extend(routes)


def dialogue(factory: DialogueFactory) -> DialogueFactory:
    """Declare the open dialogue (the intake): the core asks it for the chat's draft, its
    question again and each answer (:class:`services.dialogue.Dialogue`)."""
    if DIALOGUES:
        raise ValueError(f"a second open dialogue: {DIALOGUES[0]} and {factory}")
    DIALOGUES.append(factory)
    return factory


def open_dialogue(db: Database, settings: Settings, units: UnitDirectory) -> Dialogue:
    """The declared dialogue built for one conversation service, or none."""
    return DIALOGUES[0](db, settings, units) if DIALOGUES else NoDialogue()


def routes() -> list[Route]:
    """The registered features' routes, for the routing table (services.routing)."""
    found: list[Route] = [*DECLARED]
    found += [CommandRoute(name, handler.__module__, handler) for name, handler in COMMANDS.items()]
    found += [
        ActionRoute(prefix, handler.__module__, handler, extends=ACTION_EXTENDS.get(prefix))
        for prefix, handler in ACTIONS.items()
    ]
    found += [AwaitedInput(key, owner) for key, owner in AWAITED.items()]
    return found


def message_hook(handler: MessageHook) -> MessageHook:
    """Sees free text/files outside the intake before the room relay does."""
    MESSAGE_HOOKS.append(handler)
    return handler


def staged_hook(stage: Stage) -> Callable[[MessageHook], MessageHook]:
    """A message hook that runs before (``FIRST``) or after (``LAST``) the features' own."""

    def register(handler: MessageHook) -> MessageHook:
        STAGED_HOOKS[stage].append(handler)
        return handler

    return register


def intake_hook(handler: IntakeHook) -> IntakeHook:
    """Sees each input of the intake dialogue (纠纷登记) before the domain does, with the draft.

    A hook that takes the input returns the :class:`~mediation.intake.IntakeResult` the core
    then stores and acts on exactly like the domain's own (save the draft, or file the case
    when ``submitted``) — normally one it got from a pure ``mediation.intake`` function, so the
    dialogue's rules stay in the domain. Used by voice answers (features.voice.intake): a
    spoken answer is kept and transcribed, and the confirmed text is the step's answer.
    """
    INTAKE_HOOKS.append(handler)
    return handler


def on_start(hook: LifeHook) -> LifeHook:
    ON_START.append(hook)
    return hook


def on_stop(hook: LifeHook) -> LifeHook:
    ON_STOP.append(hook)
    return hook


def timer(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    def register(handler: TimerHandler) -> TimerHandler:
        if kind in TIMERS:
            raise ValueError(f"timer kind {kind!r} registered twice")
        TIMERS[kind] = handler
        return handler

    return register


def timeline_labels(feature: str, *kinds: str) -> None:
    """Case events a feature writes, labelled in its own catalogue as ``<feature>.event.<kind>``
    (its wording stays with it; whoever shows a timeline asks :func:`timeline_label`)."""
    for kind in kinds:
        if kind in TIMELINE_LABELS:
            raise ValueError(f"timeline label of {kind!r} declared twice")
        TIMELINE_LABELS[kind] = f"{feature}.event.{kind}"


def timeline_details(detail: TimelineDetail, *kinds: str) -> None:
    """Case events a feature words with their data filled in (a dispatch names its lead and
    assisting desks): every timeline (the console's case page, a feature's own page, the chat's
    case card) asks :func:`timeline_message`, so the wording stays in the feature that writes
    the event instead of in each page that shows it."""
    for kind in kinds:
        if kind in TIMELINE_DETAILS:
            raise ValueError(f"timeline detail of {kind!r} declared twice")
        TIMELINE_DETAILS[kind] = detail


def timeline_message(kind: str, data: Mapping[str, object]) -> Msg:
    """A case event's line on a timeline: its feature's detailed line where it declared one,
    else its label (:func:`timeline_label`)."""
    detail = TIMELINE_DETAILS.get(kind)
    return detail(kind, data) if detail is not None else Msg(timeline_label(kind))


def timeline_label(kind: str) -> str:
    """The catalogue key of a case event's label on a timeline (the console's case page, a
    feature's own page, the chat's case card): the declaring feature's, else the console's."""
    return TIMELINE_LABELS.get(kind, f"console.timeline.{kind}")


async def run_intake_hooks(
    turn: Turn, draft: intake.IntakeDraft, payload: intake.Input
) -> intake.IntakeResult | None:
    for hook in INTAKE_HOOKS:
        result = await hook(turn, draft, payload)
        if result is not None:
            return result
    return None


async def run_message_hooks(
    turn: Turn, who: Who, stage: Stage = Stage.FEATURE
) -> list[Reply] | None:
    for hook in MESSAGE_HOOKS if stage is Stage.FEATURE else STAGED_HOOKS[stage]:
        result = await hook(turn, who)
        if result is not None:
            return result
    return None
