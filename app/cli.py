"""The command line: ``python main.py [COMMAND]``; each command builds what it needs through
:mod:`app.runtime` (or opens the database alone for the operations commands)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from app.runtime import build_runtime
from app.serve import cmd_serve
from core import crypto
from core.allocator import keep_large_blocks_apart
from core.config import ConfigError, Settings
from core.logs import configure_logging
from core.startup import prepare
from storage.db import Database
from storage.files import FileStoreError, store_from_settings


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


def cmd_admin_set_phone(args: argparse.Namespace, settings: Settings) -> int:
    from services.staff import set_phone

    async def run() -> int:
        runtime = await build_runtime(settings)
        try:
            error = await set_phone(runtime.db, args.username, None if args.clear else args.phone)
        finally:
            await runtime.db.dispose()
        if error:
            print(error, file=sys.stderr)
            return 1
        if args.clear:
            print(f"phone removed for {args.username!r}: no browser-chat login is this account")
        else:
            print(f"phone registered for {args.username!r}: its browser-chat login is this staff")
        return 0

    if not args.clear and not args.phone:
        print("give the phone number, or --clear", file=sys.stderr)
        return 2
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

    from services.backup import BackupError
    from services.restore import restore

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
    from app.features import metadata
    from services.key_rotation import rotate

    metadata()  # every feature's tables, so their encrypted columns are rotated too
    prepare(settings)
    keys = crypto.load_or_create_keys(settings.pii_keys, settings.data_dir)

    async def run() -> int:
        db = Database(settings.database_url)
        try:
            report = await rotate(db, keys, reindex=args.reindex, batch=args.batch)
            if args.reindex:  # the ledger's search tokens are keyed with SECRET_KEY too
                from features.console.search_index import reindex_all

                print(f"search tokens rebuilt for {await reindex_all(db)} cases")
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

    _add_db_commands(sub)
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

    _add_admin_commands(sub)
    _add_backup_commands(sub)
    _add_keys_commands(sub)

    from app.demo import add_demo_command
    from features.agreements.terms import add_agreement_commands
    from features.lawyers.cli import add_lawyer_commands
    from legal_kb.cli import add_kb_commands

    add_kb_commands(sub)
    add_lawyer_commands(sub)
    add_agreement_commands(sub)
    add_demo_command(sub)
    return parser


def _add_db_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``db upgrade`` and ``db revision`` (alembic)."""
    db = sub.add_parser("db", help="database migrations").add_subparsers(
        dest="db_command", metavar="DB_COMMAND", required=True
    )
    p = db.add_parser("upgrade", help="apply migrations (idempotent)")
    p.add_argument("revision", nargs="?", default="head")
    p.set_defaults(func=cmd_db_upgrade)
    p = db.add_parser("revision", help="autogenerate a migration from the models (developers)")
    p.add_argument("-m", "--message", required=True)
    p.set_defaults(func=cmd_db_revision)


def _add_admin_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``admin``: staff accounts (create, link to Telegram, register a phone)."""
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
    p = admin.add_parser(
        "set-phone",
        help="the staff member's own mobile number: logging in to the browser chat with it "
        "(verified by SMS code) gives their staff menu there",
    )
    p.add_argument("username")
    p.add_argument("phone", nargs="?")
    p.add_argument("--clear", action="store_true", help="remove the registered number")
    p.set_defaults(func=cmd_admin_set_phone)


def _add_backup_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``backup`` and ``restore`` of the database and the data files."""
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


def _add_keys_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``keys``: personal-data encryption keys (generate, rotate)."""
    keys = sub.add_parser("keys", help="personal-data encryption keys").add_subparsers(
        dest="keys_command", metavar="KEYS_COMMAND", required=True
    )
    p = keys.add_parser("generate", help="print a new key for PII_KEYS")
    p.set_defaults(func=cmd_keys_generate)
    p = keys.add_parser("rotate", help="re-encrypt personal data with the first PII key")
    p.add_argument("--reindex", action="store_true", help="recompute blind indexes (SECRET_KEY)")
    p.add_argument("--batch", type=int, default=500, help="rows per transaction")
    p.set_defaults(func=cmd_keys_rotate)


def main(argv: list[str] | None = None) -> int:
    keep_large_blocks_apart()  # before the knowledge base's big arrays (core.allocator)
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
