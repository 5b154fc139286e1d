"""The one list of capabilities, and the one interface through which each registers itself.

Each feature package (``features/<name>/``) owns its chat handlers, web routes, use cases,
models, templates and message catalogue, and exposes ``register(registry)``: it declares its web
routes, its pages in the staff console and its tables there, and importing the package
declares its commands, buttons, awaited inputs, hooks and timers in the routing table
(:mod:`services.features`, where a second owner fails at start). Adding a feature is one package and one line in :data:`FEATURES`;
nothing else lists it (the web app, the Alembic metadata and the conversation read the
registry). The catalogue ``messages.<language>.toml`` is found by place (:mod:`i18n`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

import features.agreements
import features.console
import features.intake
import features.lawyers
import features.negotiation
import features.room
import features.street
import features.verify
import features.voice
import features.webchat
import services.knowledge  # noqa: F401  (declares the knowledge base's start and stop hooks)
from storage import registry as core_tables
from storage.registry import Schema

if TYPE_CHECKING:
    from aiohttp import web

    from app.runtime import Runtime
    from features.console.web.pages import ConsolePages

#: A feature's web part: adds its routes or sub-application to the service's aiohttp app.
WebSetup = Callable[["web.Application", "Runtime"], None]


@dataclass
class FeatureRegistry:
    """What the features declared at registration (their chat routes live in the routing table)."""

    names: list[str] = field(default_factory=list)
    web_setups: list[WebSetup] = field(default_factory=list)
    table_modules: list[ModuleType] = field(default_factory=list)
    console_pages: list[ConsolePages] = field(default_factory=list)

    def feature(self, name: str) -> None:
        if name in self.names:
            raise ValueError(f"feature {name!r} registered twice")
        self.names.append(name)

    def web(self, setup: WebSetup) -> None:
        self.web_setups.append(setup)

    def console(self, pages: ConsolePages) -> None:
        """Pages in the staff console (``/staff``), behind its sign-in and role checks, in its
        layout and menu (``features.console.web.pages``)."""
        self.console_pages.append(pages)

    def tables(self, module: ModuleType) -> None:
        """A module of SQLAlchemy models: imported, so its tables are in the metadata."""
        self.table_modules.append(module)


class FeaturePackage(Protocol):
    def register(self, registry: FeatureRegistry) -> None: ...


#: Every capability, in the order their web routes are mounted. The knowledge base's life
#: (``services.knowledge``, imported above) is a shared service, started like a feature but
#: without a package.
FEATURES: tuple[FeaturePackage, ...] = (
    features.intake,
    features.room,
    features.lawyers,
    features.agreements,
    features.negotiation,
    features.voice,
    features.webchat,
    features.street,
    features.console,
    features.verify,
)


@cache
def load() -> FeatureRegistry:
    """Register every feature once (the imports above already declared their chat routes)."""
    registry = FeatureRegistry()
    for package in FEATURES:
        package.register(registry)
    return registry


def metadata() -> Schema:
    """Every table: the core's and each feature's (for Alembic and the tests' schema)."""
    load()
    return core_tables.metadata()
