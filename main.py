"""The composition root and command line of the mediation service.

``python main.py`` (or ``serve``) runs the web server, and the Telegram bot when
``TELEGRAM_BOT_TOKEN`` is set. Every other command is listed by ``python main.py --help``.
Nothing else in the code base builds engines, bots or pools: they are made here and passed in.
"""

from __future__ import annotations

import os

# Before numpy is imported anywhere: its BLAS threads would fight the query encoder's threads
# for the cores (measured in docs/benchmarks.md, "Knowledge base").
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from core import crypto
from core.clock import Clock, SystemClock
from core.config import ConfigError, Settings
from core.logs import configure_logging
from mediation.units import UnitDirectory
from services import features
from services.conversation import ConversationService
from services.outbox import QueuedMessage
from services.reminders import register_all
from services.timers import TimerService
from services.units import load_units, sync_units
from storage.db import Database
from storage.files import FileStore, FileStoreError, local_store, store_from_settings

if TYPE_CHECKING:
    from bot.app import TelegramBot
    from core.memprobe import MemoryProbe

log = logging.getLogger("main")


@dataclass
class Runtime:
    """Everything a running service holds; built by :func:`build_runtime`."""

    settings: Settings
    db: Database
    units: UnitDirectory
    clock: Clock
    conversation: ConversationService
    timers: TimerService | None = None
    telegram: TelegramBot | None = None  # when a token is configured
    #: Where files live (``FILE_STORE``): evidence, voice, documents, signatures.
    files: FileStore = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.files is None:  # runtimes built by tests: the directory store
            self.files = local_store(self.settings)

    probe: MemoryProbe | None = None  # MEMORY_PROBE_FILE (diagnostic)

    @property
    def extras(self) -> dict[str, Any]:
        """Feature services built at start-up; the same dict every conversation turn sees."""
        return self.conversation.extras

    def deliver(self, messages: list[QueuedMessage]) -> None:
        """Hand queued messages to the sender of their channel (timers, console actions)."""
        if self.telegram is not None:
            self.telegram.sender.submit(messages)


def prepare(settings: Settings) -> None:
    """Process-wide set-up that must happen before any table is touched."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keys = crypto.load_or_create_keys(settings.pii_keys, settings.data_dir)
    crypto.configure(keys, crypto.load_or_create_secret(settings.secret_key, settings.data_dir))


async def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    prepare(settings)
    db = Database(settings.database_url)
    units = load_units(settings.units_file)
    async with db.write() as session:
        await sync_units(session, units)
    clock = clock or SystemClock()
    features.load()
    conversation = ConversationService(db, settings, units, clock)
    runtime = Runtime(settings, db, units, clock, conversation, files=store_from_settings(settings))
    log.info("files: %r", runtime.files)
    if settings.telegram_bot_token:
        from bot.app import TelegramBot

        runtime.telegram = TelegramBot(settings, db, conversation, runtime.files)
    runtime.timers = TimerService(db, clock, notify=runtime.deliver)
    register_all(runtime.timers)
    for kind, handler in features.TIMERS.items():
        runtime.timers.register(kind, handler)
    return runtime


def memory_gauges(runtime: Runtime) -> dict[str, Any]:
    """Sizes of the per-chat and cache structures the memory probe reports (see
    core/memprobe.py): each must level off under a fixed population of chats."""
    gauges: dict[str, Any] = {}
    for name, engine in (("write", runtime.db.write_engine), ("read", runtime.db.read_engine)):
        cache = engine.sync_engine._compiled_cache
        if cache is not None:
            gauges[f"sqla_compiled_cache_{name}"] = cache.__len__
    tg = runtime.telegram
    if tg is not None:
        app, sender, proc = tg.application, tg.sender, tg.application.update_processor
        gauges |= {
            "ptb_chat_data": lambda: len(app.chat_data),
            "ptb_user_data": lambda: len(app.user_data),
            "ptb_update_queue": app.update_queue.qsize,
            "processor_locks": lambda: len(getattr(proc, "_locks", ())),
            "tg_in_flight": lambda: len(tg._in_flight),
            "sender_queues": lambda: len(sender._queues),
            "sender_buckets": lambda: len(sender._buckets),
            "sender_workers": lambda: len(sender._workers),
            "sender_known": lambda: len(sender._known),
            "sender_parts_sent": lambda: len(sender._parts_sent),
        }
    return gauges


async def start_runtime(runtime: Runtime, *, timers: bool = True) -> None:
    for hook in features.ON_START:
        await hook(runtime)
    if runtime.telegram is not None:
        await runtime.telegram.start()
    if timers and runtime.timers is not None:
        await runtime.timers.start()
    settings = runtime.settings
    if settings.memory_probe_file is not None:
        from core.memprobe import MemoryProbe

        runtime.probe = MemoryProbe(
            settings.memory_probe_file,
            every=settings.memory_probe_every,
            frames=settings.memory_probe_frames,
            gauges=memory_gauges(runtime),
        )
        await runtime.probe.start()


async def stop_runtime(runtime: Runtime) -> None:
    if runtime.probe is not None:
        await runtime.probe.stop()
    if runtime.timers is not None:
        await runtime.timers.stop()
    if runtime.telegram is not None:
        await runtime.telegram.stop()
    for hook in reversed(features.ON_STOP):
        await hook(runtime)
    await runtime.files.close()
    await runtime.db.dispose()


def settle_heap() -> None:
    """Move everything built at start-up out of the garbage collector's sight.

    The runtime loads long-lived object graphs once (the knowledge base's tokeniser dictionary,
    SQLAlchemy's mappers, python-telegram-bot, templates): ~200,000 objects that every full
    collection walked again, 65–95 ms each, several times a minute under load. They live as
    long as the process, so ``gc.freeze()`` after start-up is safe and leaves the collector only
    the objects made while serving (measured: docs/benchmarks.md, "The path of an update").
    The youngest generation is collected every 7,000 net allocations instead of 700: serving
    one update allocates thousands of short-lived objects (ORM rows, PTB objects, JSON), and at
    700 the collector ran ~260 times per 1,000 updates (~0.14 ms of CPU per update) for no
    memory gained (RSS the same within 1 MB over the throughput benchmark).
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(7_000, 10, 10)


def make_web_app(settings: Settings) -> web.Application:
    """The aiohttp app with the runtime's life bound to the app's (``cleanup_ctx``)."""
    from web.app import create_app

    holder: dict[str, Runtime] = {}

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        runtime = holder["runtime"]
        await start_runtime(runtime)
        settle_heap()
        yield
        await stop_runtime(runtime)

    async def factory() -> web.Application:
        runtime = await build_runtime(settings)
        holder["runtime"] = runtime
        app = create_app(runtime)
        app.cleanup_ctx.append(lifecycle)
        return app

    return factory()  # type: ignore[return-value]  # aiohttp accepts an awaitable app


# ---------------------------------------------------------------------------- commands


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from storage.migrate import upgrade

    prepare(settings)
    upgrade(settings.database_url)
    mode = "off (set TELEGRAM_BOT_TOKEN)"
    if settings.telegram_bot_token:
        mode = "webhook" if settings.webhook_mode else "long polling"
    print(
        f"Mediation service on http://{settings.web_host}:{settings.web_port}/  "
        f"database: {settings.database_url.split('://')[0]}  Telegram: {mode}",
        flush=True,
    )
    web.run_app(
        make_web_app(settings),
        host=settings.web_host,
        port=settings.web_port,
        print=None,
        access_log=None,
        loop=new_event_loop(settings.event_loop),
    )
    return 0


def new_event_loop(kind: str) -> asyncio.AbstractEventLoop:
    """uvloop by default: the service is CPU-bound on one core under load, and uvloop's
    transports and scheduling cost less per webhook call, Bot API call and task switch than
    asyncio's (docs/benchmarks.md, "The path of an update"). ``EVENT_LOOP=asyncio`` for the
    standard loop."""
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError:  # not built for this platform: the standard loop works the same
            log.warning("uvloop is not installed; using asyncio's event loop")
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from storage.migrate import upgrade

    prepare(settings)
    upgrade(settings.database_url, args.revision)
    print(f"database at revision {args.revision}: {_safe_url(settings.database_url)}")
    return 0


def cmd_db_revision(args: argparse.Namespace, settings: Settings) -> int:
    from storage.migrate import revision

    prepare(settings)
    revision(settings.database_url, args.message)
    return 0


def cmd_admin_create_user(args: argparse.Namespace, settings: Settings) -> int:
    from services.staff import ROLES, create_staff

    if args.role not in ROLES:
        print(f"--role must be one of {', '.join(ROLES)}", file=sys.stderr)
        return 2
    password = args.password or (
        sys.stdin.readline().rstrip("\n")
        if args.password_stdin
        else getpass.getpass("密码 Password: ")
    )

    async def run() -> int:
        runtime = await build_runtime(settings)
        try:
            unit = args.unit or runtime.units.default.code
            error = await create_staff(
                runtime.db,
                username=args.username,
                password=password,
                role=args.role,
                unit_code=unit,
                display_name=args.name or args.username,
                known_units=set(runtime.units.by_code),
            )
        finally:
            await runtime.db.dispose()
        if error:
            print(error, file=sys.stderr)
            return 1
        print(f"created {args.role} account {args.username!r} in unit {unit}")
        return 0

    return asyncio.run(run())


def cmd_admin_link_telegram(args: argparse.Namespace, settings: Settings) -> int:
    from services.mediators import create_link_code

    async def run() -> int:
        runtime = await build_runtime(settings)
        try:
            code = await create_link_code(runtime.db, args.username, runtime.clock.now())
        finally:
            await runtime.db.dispose()
        if code is None:
            print(f"no active staff account {args.username!r}", file=sys.stderr)
            return 1
        print(
            f"Send this to the bot from the staff member's Telegram within 24 hours:\n/link {code}"
        )
        return 0

    return asyncio.run(run())


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from services.backup import BackupError, backup

    try:
        backup(
            settings.data_dir,
            settings.database_url,
            Path(args.out) if args.out else None,
            files=store_from_settings(settings),
            with_objects=args.with_objects,
        )
    except (BackupError, FileStoreError) as exc:
        print(f"备份失败 / backup failed: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from services.backup import BackupError, restore

    try:
        restore(
            Path(args.file),
            settings.data_dir,
            settings.database_url,
            force=args.force,
            files=store_from_settings(settings),
        )
    except (BackupError, FileStoreError) as exc:
        print(f"恢复失败 / restore failed: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_keys_generate(args: argparse.Namespace, settings: Settings) -> int:
    from cryptography.fernet import Fernet

    print(Fernet.generate_key().decode())
    return 0


def cmd_keys_rotate(args: argparse.Namespace, settings: Settings) -> int:
    from services.key_rotation import rotate

    prepare(settings)
    keys = crypto.load_or_create_keys(settings.pii_keys, settings.data_dir)

    async def run() -> int:
        db = Database(settings.database_url)
        try:
            report = await rotate(db, keys, reindex=args.reindex, batch=args.batch)
        finally:
            await db.dispose()
        print(
            f"re-encrypted {report.values_reencrypted} values, {report.values_current} already "
            f"under the first key, {report.indexes_rewritten} blind indexes rewritten"
        )
        if report.unreadable:
            print(
                f"{len(report.unreadable)} values no key can decrypt (left unchanged): "
                + ", ".join(report.unreadable[:20]),
                file=sys.stderr,
            )
            return 1
        return 0

    return asyncio.run(run())


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Invariants over the database (services.invariants); exit 1 on any finding."""
    from datetime import timedelta

    from services.invariants import check

    async def run() -> int:
        db = Database(settings.database_url)
        try:
            report = await check(db, grace=timedelta(seconds=args.grace))
        finally:
            await db.dispose()
        print(report.render())
        return 0 if report.ok else 1

    return asyncio.run(run())


def _safe_url(url: str) -> str:
    head, _, tail = url.partition("://")
    return f"{head}://{tail.split('@')[-1]}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Online people's mediation service (线上人民调解). With no command: serve.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("serve", help="run the web server, and the Telegram bot if configured")
    p.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database migrations").add_subparsers(
        dest="db_command", metavar="DB_COMMAND", required=True
    )
    p = db.add_parser("upgrade", help="apply migrations (idempotent)")
    p.add_argument("revision", nargs="?", default="head")
    p.set_defaults(func=cmd_db_upgrade)
    p = db.add_parser("revision", help="autogenerate a migration from the models (developers)")
    p.add_argument("-m", "--message", required=True)
    p.set_defaults(func=cmd_db_revision)

    p = sub.add_parser(
        "check", help="check the database's invariants (lost, doubled, inconsistent); 1 = findings"
    )
    p.add_argument(
        "--grace",
        type=float,
        default=60.0,
        help="seconds of in-progress work not counted as stuck (0 with the service stopped)",
    )
    p.set_defaults(func=cmd_check)

    admin = sub.add_parser("admin", help="administration").add_subparsers(
        dest="admin_command", metavar="ADMIN_COMMAND", required=True
    )
    p = admin.add_parser("create-user", help="create a staff account (the first admin, …)")
    p.add_argument("username")
    p.add_argument("--role", default="admin", help="admin, mediator, police, lawyer, viewer")
    p.add_argument("--unit", help="unit code (default: the default unit)")
    p.add_argument("--name", help="display name")
    p.add_argument("--password", help="password (prefer --password-stdin or the prompt)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.set_defaults(func=cmd_admin_create_user)
    p = admin.add_parser(
        "link-telegram", help="one-time code linking a staff account to Telegram (/link CODE)"
    )
    p.add_argument("username")
    p.set_defaults(func=cmd_admin_link_telegram)

    p = sub.add_parser("backup", help="one archive with the database and the data files")
    p.add_argument("--out", help="archive path (default DATA_DIR/backups/backup-<time>.tar.gz)")
    p.add_argument(
        "--with-objects",
        action="store_true",
        help="FILE_STORE=s3: copy the bucket's objects into the archive (default: list them)",
    )
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore an archive made by backup (service stopped)")
    p.add_argument("file")
    p.add_argument("--force", action="store_true", help="overwrite a non-empty database/files")
    p.set_defaults(func=cmd_restore)

    keys = sub.add_parser("keys", help="personal-data encryption keys").add_subparsers(
        dest="keys_command", metavar="KEYS_COMMAND", required=True
    )
    p = keys.add_parser("generate", help="print a new key for PII_KEYS")
    p.set_defaults(func=cmd_keys_generate)
    p = keys.add_parser("rotate", help="re-encrypt personal data with the first PII key")
    p.add_argument("--reindex", action="store_true", help="recompute blind indexes (SECRET_KEY)")
    p.add_argument("--batch", type=int, default=500, help="rows per transaction")
    p.set_defaults(func=cmd_keys_rotate)

    from legal_kb.cli import add_kb_commands
    from services.agreements.demo import add_demo_command
    from services.lawyers.cli import add_lawyer_commands

    add_kb_commands(sub)
    add_lawyer_commands(sub)
    add_demo_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["serve", *(argv or [])])
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"配置错误 / configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        return int(args.func(args, settings))
    except ConfigError as exc:
        print(f"配置错误 / configuration error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `main.py kb search … | head`: the reader left; stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
