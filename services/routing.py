"""The routing table: who owns each command, each button prefix and each awaited input.

Every owner (the conversation core, the party and staff flows, each feature) declares its routes
here once, at start-up; :meth:`RoutingTable.add` refuses a second owner for the same command or
awaited input, or for an overlapping button prefix, within the same audience. Before this table
whoever registered first silently won, and a feature could take over another's button by
registering a longer prefix; now such an override must be declared (``extends``) and is visible
in the table (``main.py`` fails at start on a conflict, and a test builds the real table).

Dispatch (``services.conversation``) asks the table, not a chain of "None means not mine":
a command goes to the one route of its name for the speaker's audience; a button to the route
with the longest matching prefix, falling back along declared ``extends`` links when a handler
passes (returns ``None``). Awaited inputs are listed so that ``/cancel`` can end whichever is
pending, in any state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from mediation.replies import Reply
from storage.models import StaffAccount

if TYPE_CHECKING:
    from services.inbound import Command
    from services.turn import Turn


@dataclass(frozen=True)
class Who:
    """The person behind the event: always a user; also staff when linked."""

    user_id: int
    staff: StaffAccount | None = None


class Audience(StrEnum):
    """Who a route serves. Staff means a linked staff account not filling in an intake."""

    ANYONE = "anyone"
    PARTY = "party"
    STAFF = "staff"

    def overlaps(self, other: Audience) -> bool:
        return self is other or Audience.ANYONE in (self, other)


CommandHandler = Callable[["Turn", Who, "Command"], Awaitable[list[Reply] | None]]
ActionHandler = Callable[["Turn", Who, str], Awaitable[list[Reply] | None]]


class RouteConflict(ValueError):
    """Two owners claim the same command, button prefix or awaited input."""


@dataclass(frozen=True)
class CommandRoute:
    name: str
    owner: str
    handler: CommandHandler
    audience: Audience = Audience.ANYONE


@dataclass(frozen=True)
class ActionRoute:
    prefix: str
    owner: str
    handler: ActionHandler
    audience: Audience = Audience.ANYONE
    #: A shorter prefix of another owner this route deliberately narrows (it sees those
    #: buttons first and passes by returning ``None``).
    extends: str | None = None


@dataclass(frozen=True)
class AwaitedInput:
    """A conversation-state key that makes the chat wait for its owner's next input."""

    state_key: str
    owner: str


class RoutingTable:
    def __init__(self) -> None:
        self.commands: list[CommandRoute] = []
        self.actions: list[ActionRoute] = []
        self.awaited: list[AwaitedInput] = []

    # ------------------------------------------------------------------ declaring

    def add(self, route: CommandRoute | ActionRoute | AwaitedInput) -> None:
        if isinstance(route, CommandRoute):
            self._add_command(route)
        elif isinstance(route, ActionRoute):
            self._add_action(route)
        else:
            self._add_awaited(route)

    def add_all(self, routes: Iterable[CommandRoute | ActionRoute | AwaitedInput]) -> None:
        for route in routes:
            self.add(route)

    def _add_command(self, route: CommandRoute) -> None:
        for other in self.commands:
            if other.name == route.name and other.audience.overlaps(route.audience):
                raise RouteConflict(
                    f"/{route.name} ({route.audience}) is claimed by {other.owner} "
                    f"and {route.owner}"
                )
        self.commands.append(route)

    def _add_action(self, route: ActionRoute) -> None:
        for other in self.actions:
            if not other.audience.overlaps(route.audience):
                continue
            if other.prefix == route.prefix:
                raise RouteConflict(
                    f"button prefix {route.prefix!r} is claimed by {other.owner} and {route.owner}"
                )
            longer, shorter = (
                (route, other) if len(route.prefix) > len(other.prefix) else (other, route)
            )
            if longer.prefix.startswith(shorter.prefix) and longer.extends != shorter.prefix:
                raise RouteConflict(
                    f"button prefix {longer.prefix!r} of {longer.owner} overlaps "
                    f"{shorter.prefix!r} of {shorter.owner} without declaring extends="
                    f"{shorter.prefix!r}"
                )
        self.actions.append(route)

    def _add_awaited(self, route: AwaitedInput) -> None:
        for other in self.awaited:
            if other.state_key == route.state_key:
                raise RouteConflict(
                    f"awaited input {route.state_key!r} is claimed by {other.owner} "
                    f"and {route.owner}"
                )
        self.awaited.append(route)

    # ------------------------------------------------------------------ looking up

    def command(self, name: str, audience: Audience) -> CommandRoute | None:
        return next(
            (r for r in self.commands if r.name == name and r.audience.overlaps(audience)), None
        )

    def action_chain(self, data: str, audience: Audience) -> list[ActionRoute]:
        """The routes a button press tries, in order: the longest matching prefix first, then
        the prefixes it declares it extends."""
        matching = [
            r for r in self.actions if data.startswith(r.prefix) and r.audience.overlaps(audience)
        ]
        return sorted(matching, key=lambda r: len(r.prefix), reverse=True)

    def command_names(self, audience: Audience) -> list[str]:
        return sorted({r.name for r in self.commands if r.audience.overlaps(audience)})

    def awaited_keys(self) -> list[str]:
        return [a.state_key for a in self.awaited]
