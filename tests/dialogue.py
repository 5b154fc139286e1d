"""A chat dialogue written as a script: what the person does and what the reply says, a row a
step. The tests' longer dialogues (a mediator filling in a party's record, a person typing an
intake) read as the form they are instead of pairs of press-and-wait lines."""

from __future__ import annotations

from collections.abc import Iterable

from harness.steps import NEIGHBOUR_INTAKE, take_step, wait_text, walk_steps
from standin.models import SentMessage
from standin.simulation import SimUser

#: One step: the action (``press``, ``command``, ``text`` or ``sticker``), its argument (the
#: button, command, text or emoji), and the text of the reply it waits for, or of each of its
#: replies in order.
Step = tuple[str, str, str | tuple[str, ...]]


async def converse(user: SimUser, steps: Iterable[Step]) -> SentMessage:
    """Each step taken in turn (:func:`harness.steps.take_step`, or a sticker sent), then its
    replies awaited by content (:func:`harness.steps.wait_text`, other messages skipped);
    returns the last reply."""
    reply: SentMessage | None = None
    for action, argument, markers in steps:
        if action == "sticker":
            await user.send_sticker(argument)
        else:
            await take_step(user, action, argument)
        for marker in (markers,) if isinstance(markers, str) else markers:
            reply = await wait_text(user, marker)
    if reply is None:
        raise ValueError("a dialogue of no steps")
    return reply


async def begin_neighbour_intake(user: SimUser) -> None:
    """``/start``, consent and 邻里纠纷: the first steps of :data:`harness.steps.NEIGHBOUR_INTAKE`,
    up to its first question answered in words (发生了什么)."""
    await walk_steps(user, NEIGHBOUR_INTAKE[:3])
