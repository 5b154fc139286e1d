"""How a feature contributes pages to the staff console, without the console importing it.

A feature's web part declares a :class:`ConsolePages` and registers it once
(``registry.console(pages)`` in its ``register``; see ``app.features``). The console mounts its
routes in its own sub-application (``/staff``), so each one passes the console's middleware:
sign-in, CSRF, and the route's declared action checked against the role matrix exactly like
the console's own routes (``routes.ROUTES``). The feature's templates extend the console's
``base.html`` (its layout, navigation and language switch), its static files are served beside
the console's, its navigation links appear in the console's menu for those allowed, and its
dashboard panels are included on the dashboard.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from features.console.context import StaffContext
from features.console.web.core import Handler

if TYPE_CHECKING:
    from app.runtime import Runtime


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # under /staff
    handler: Handler
    action: str  # an Action value, SIGNED_IN or PUBLIC


@dataclass(frozen=True)
class NavLink:
    """An entry of the console's menu, shown to those allowed ``action``."""

    path: str  # under /staff
    label: str  # a catalogue key
    action: str  # an Action value
    #: Marked as the current page (``aria-current``) when the request's path is this one.
    mark_current: bool = True


@dataclass(frozen=True)
class DashboardPanel:
    """A section of the dashboard: ``template`` is included with what ``context`` returns for
    the signed-in staff member (its keys join the dashboard's own)."""

    template: str
    context: Callable[[web.Request, StaffContext], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class ConsolePages:
    """What one feature adds to the console."""

    name: str
    routes: tuple[Route, ...]
    #: Puts the feature's use cases into the console's sub-application (``app[KEY] = …``).
    setup: Callable[[web.Application, Runtime], None] | None = None
    templates: Path | None = None
    static: Path | None = None
    nav: tuple[NavLink, ...] = ()
    dashboard: tuple[DashboardPanel, ...] = ()


def template_dirs(own: Path, pages: Iterable[ConsolePages]) -> list[Path]:
    """The console's templates first, then each feature's; a name in two places stops the
    service at start (the second would silently never render)."""
    dirs = [own, *(p.templates for p in pages if p.templates is not None)]
    _unique(dirs, "*.html", "template")
    return dirs


def static_files(own: Path, pages: Iterable[ConsolePages]) -> dict[str, Path]:
    """Every static file served under ``/staff/static/``, by name (one name, one file)."""
    dirs = [own, *(p.static for p in pages if p.static is not None)]
    _unique(dirs, "*", "static file")
    return {f.name: f for d in dirs for f in sorted(d.iterdir()) if f.is_file()}


def _unique(dirs: list[Path], pattern: str, what: str) -> None:
    seen: dict[str, Path] = {}
    for directory in dirs:
        for file in directory.glob(pattern):
            if file.name in seen:
                raise RuntimeError(f"console {what} {file.name!r} in {seen[file.name]} and {file}")
            seen[file.name] = file
