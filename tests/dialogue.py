"""A chat dialogue written as a script: what the person does and what the reply says, a row a
step. The tests' longer dialogues (a mediator filling in a party's record, a person typing an
intake) read as the form they are instead of pairs of press-and-wait lines."""

from __future__ import annotations

from collections.abc import Iterable

from harness.steps import take_step, wait_text
from standin.models import SentMessage
from standin.simulation import SimUser

#: One step: the action (``press``, ``command`` or ``text``), its argument, and a text the
#: reply it waits for contains.
Step = tuple[str, str, str]


async def converse(user: SimUser, steps: Iterable[Step]) -> SentMessage:
    """Each step taken in turn (:func:`harness.steps.take_step`), then its reply awaited by
    content (:func:`harness.steps.wait_text`, other messages skipped); returns the last reply."""
    reply: SentMessage | None = None
    for action, argument, marker in steps:
        await take_step(user, action, argument)
        reply = await wait_text(user, marker)
    if reply is None:
        raise ValueError("a dialogue of no steps")
    return reply
