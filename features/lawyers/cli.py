"""``main.py lawyer …``: register and list volunteer lawyers, pause them, report on them.

Each subcommand sets ``func`` to ``(args, settings) -> int`` like the other commands of
``main.py``. Errors are printed in the default language from the message catalog; results go to
stdout (``--json`` for scripts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from core.config import Settings
from i18n import translate
from mediation.lawyer_dispatch import format_week
from mediation.replies import Msg
from mediation.validation import InvalidInput
from storage.db import Database


def add_lawyer_commands(subparsers: Any) -> None:
    """Register ``lawyer`` and its subcommands on the main parser's subparsers."""
    lawyer = subparsers.add_parser("lawyer", help="volunteer lawyers: profiles, duty, reports")
    sub = lawyer.add_subparsers(dest="lawyer_command", metavar="LAWYER_COMMAND", required=True)

    p = sub.add_parser(
        "set",
        help="create or update the profile of a staff account with role lawyer",
        description="Options left out keep their current value (all but --max-open are "
        "required for a new profile). Hours: 'mon-fri 09:00-18:00; sat 09:00-12:00' or "
        "'周一至周五 09:00-18:00'.",
    )
    p.add_argument("username")
    p.add_argument("--firm", help="law firm (律师事务所)")
    p.add_argument("--licence", help="licence number (执业证号, 17 digits)")
    p.add_argument("--specialties", help="dispute types, e.g. labour_wages,neighbour")
    p.add_argument("--languages", help="e.g. zh-CN,en (default zh-CN)")
    p.add_argument("--availability", help="weekly hours the lawyer can be reached")
    p.add_argument("--rota", help="weekly on-duty hours (the first line for requests)")
    p.add_argument("--max-open", type=int, help="most open cases at once (default 5)")
    p.set_defaults(func=cmd_set)

    p = sub.add_parser("list", help="lawyers with hours, load and Telegram link")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    for name, paused in (("pause", True), ("resume", False)):
        p = sub.add_parser(name, help=f"{name} new requests for a lawyer")
        p.add_argument("username")
        p.set_defaults(func=cmd_pause, paused=paused)

    p = sub.add_parser("report", help="response times and consultations (JSON)")
    p.add_argument("--days", type=float, default=30, help="period ending now (default 30)")
    p.set_defaults(func=cmd_report)


def _run(settings: Settings, work: Any) -> int:
    from core.startup import prepare

    prepare(settings)

    async def go() -> int:
        db = Database(settings.database_url)
        try:
            return int(await work(db))
        finally:
            await db.dispose()

    try:
        return asyncio.run(go())
    except InvalidInput as exc:
        print(translate(settings.default_language, Msg(exc.key, exc.params)), file=sys.stderr)
        return 1


def cmd_set(args: argparse.Namespace, settings: Settings) -> int:
    from core.clock import SystemClock
    from features.lawyers.profiles import (
        ProfileInput,
        lawyer_account,
        profile_of,
        save_profile,
        split_list,
    )

    async def work(db: Database) -> int:
        async with db.write() as session:
            staff = await lawyer_account(session, args.username)
            old = await profile_of(session, staff.id)
            if old is None and not (args.firm and args.licence and args.specialties):
                print("a new profile needs --firm, --licence and --specialties", file=sys.stderr)
                return 2

            def keep(value: str | None, current: str) -> str:
                return value if value is not None else current

            data = ProfileInput(
                firm=keep(args.firm, old.firm if old else ""),
                licence_no=keep(args.licence, old.licence_no if old else ""),
                specialties=split_list(
                    keep(args.specialties, ",".join(old.specialties) if old else "")
                ),
                languages=split_list(
                    keep(args.languages, ",".join(old.languages) if old else "zh-CN")
                ),
                availability=keep(args.availability, _week(old.availability) if old else ""),
                rota=keep(args.rota, _week(old.rota) if old else ""),
                max_open_cases=args.max_open or (old.max_open_cases if old else 5),
            )
            profile = await save_profile(session, args.username, data, SystemClock().now())
        verb = "updated" if old else "created"
        print(f"{verb} lawyer profile for {args.username!r} (id {profile.id})")
        return 0

    return _run(settings, work)


def _week(slots: list[Any]) -> str:
    from mediation.lawyer_dispatch import Slot

    return format_week(Slot.from_json(s) for s in slots)


#: How ``lawyer list`` says where the chat reaches a lawyer (``LawyerEntry.reached_in``).
REACHED = {"telegram": "reached in Telegram", "browser": "reached in the browser chat"}


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from features.lawyers.profiles import list_lawyers

    async def work(db: Database) -> int:
        async with db.read() as session:
            entries = await list_lawyers(session)
        if args.json:
            print(json.dumps([e.summary() for e in entries], ensure_ascii=False, indent=2))
            return 0
        if not entries:
            print("no lawyer profiles yet (main.py lawyer set USERNAME …)")
        for e in entries:
            p = e.profile
            state = "paused" if p.paused else "active"
            linked = REACHED.get(e.reached_in or "", "NOT reachable in the chat")
            print(
                f"{e.staff.username}  {e.staff.display_name}  {p.firm}  [{state}; {linked}]\n"
                f"  specialties: {', '.join(p.specialties)}  languages: "
                f"{', '.join(p.languages)}  open: {e.open_cases}/{p.max_open_cases}\n"
                f"  reachable: {format_week(e.availability) or '-'}\n"
                f"  on duty: {format_week(e.rota) or '-'}"
            )
        return 0

    return _run(settings, work)


def cmd_pause(args: argparse.Namespace, settings: Settings) -> int:
    from core.clock import SystemClock
    from features.lawyers.profiles import lawyer_account, profile_of, set_paused

    async def work(db: Database) -> int:
        async with db.write() as session:
            staff = await lawyer_account(session, args.username)
            profile = await profile_of(session, staff.id, lock=True)
            if profile is None:
                print(f"{args.username!r} has no lawyer profile", file=sys.stderr)
                return 1
            await set_paused(session, profile, args.paused, SystemClock().now())
        print(f"{args.username}: {'paused' if args.paused else 'resumed'}")
        return 0

    return _run(settings, work)


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from core.clock import SystemClock
    from features.lawyers.consultations import counts
    from features.lawyers.reports import request_report

    async def work(db: Database) -> int:
        since = SystemClock().now() - timedelta(days=args.days)
        async with db.read() as session:
            report = await request_report(session, since)
            consults = await counts(session, since)
        out = {"since": since.isoformat(), **report, "consultations": asdict(consults)}
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        return 0

    return _run(settings, work)
