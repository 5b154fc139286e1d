"""The services features build at start-up, as typed attributes: the one place a feature finds
another's (the agreements' render pool, the knowledge base, the voice pipeline…).

One :class:`SharedServices` lives as long as the runtime; every conversation turn sees the same
object as ``turn.shared``. A feature's start hook fills its own attribute and its stop hook clears
it, so "not started" is ``None``, never a missing string key. Tests and the demo may set
``render_pool``, ``sealer`` or ``sms_gateway`` before start-up: a given pool or sealer is used and
left open for its owner.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from core.clock import Clock
    from core.config import Settings
    from documents.pool import RenderPool
    from documents.seal import Sealer
    from features.agreements.common import AgreementServices
    from features.lawyers.context import LawyerContext
    from features.voice.pipeline import VoiceService
    from features.webchat.otp import SmsGateway
    from legal_kb.service import KnowledgeBase
    from mediation.units import UnitDirectory
    from services.outbox import QueuedMessage
    from storage.db import Database
    from storage.files import FileStore


@dataclass
class SharedServices:
    #: The legal knowledge base (services.knowledge, or the lawyers' keyword-only fallback).
    kb: KnowledgeBase | None = None
    #: The knowledge base's import and index build, running in the background after start.
    kb_start: asyncio.Task[None] | None = None
    #: Documents and signing: render pool, seal, statutes, render jobs (features.agreements).
    agreements: AgreementServices | None = None
    #: Volunteer lawyers and the assistant (features.lawyers).
    lawyers: LawyerContext | None = None
    #: Voice notes → transcripts (features.voice).
    voice: VoiceService | None = None
    #: Given by tests and the demo before start: a running render pool and a seal to reuse.
    render_pool: RenderPool | None = None
    sealer: Sealer | None = None
    #: Given by tests: the browser chat's one-time-code gateway instead of ``SMS_GATEWAY``.
    sms_gateway: SmsGateway | None = None


class FeatureHost(Protocol):
    """What a feature's start and stop hooks get: the runtime's parts a feature may use.

    The composition root's ``app.runtime.Runtime`` satisfies it; features never see the
    Telegram bot or the web application (channels stay at the edge).
    """

    @property
    def settings(self) -> Settings: ...
    @property
    def db(self) -> Database: ...
    @property
    def units(self) -> UnitDirectory: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def files(self) -> FileStore: ...
    @property
    def shared(self) -> SharedServices: ...

    def deliver(self, messages: list[QueuedMessage]) -> None: ...


LifeHook = Callable[[FeatureHost], Awaitable[None]]
