"""Every message key the feature uses exists in both languages; the command line works."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

import harness.service
import i18n
from core.config import Settings
from features.lawyers.cards import PROBLEM_KEYS
from features.lawyers.cli import add_lawyer_commands
from features.lawyers.models import lawyer_tables
from mediation.disputes import DisputeType
from services.staff import create_staff
from storage.base import Base
from storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*(ROOT / "features" / "lawyers").glob("*.py"), ROOT / "mediation" / "lawyer_dispatch.py"]
DISPUTE_TYPES = [d.value for d in DisputeType]


def test_every_key_used_exists_in_both_languages() -> None:
    used: set[str] = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        used |= set(
            re.findall(
                r"[\"']((?:lawyers|bot|room|staff|role|route|dispute|error)\.[a-z_]+)[\"']", text
            )
        )
        for prefix in re.findall(r"f[\"'](lawyers\.[a-z]+_)\{", text):
            if prefix in ("lawyers.plain_", "lawyers.evidence_"):
                used |= {prefix + code for code in DISPUTE_TYPES}
            elif prefix == "lawyers.weekday_":
                used |= {f"{prefix}{d}" for d in range(7)}
            elif prefix == "lawyers.cite_":
                # The problems cards.py names from a citation check, and its catch-all.
                used |= {f"{prefix}{p}" for p in (*PROBLEM_KEYS, "not_in_force")}
    for language in ("zh-CN", "en"):
        missing = sorted(k for k in used if k not in i18n.catalog(language))
        assert missing == [], language
    assert len([k for k in i18n.catalog("en") if k.startswith("lawyers.")]) > 100


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_lawyer_commands(parser.add_subparsers(dest="command"))
    return parser


def _run(settings: Settings, *argv: str) -> int:
    args = _parser().parse_args(list(argv))
    return int(args.func(args, settings))


def _staff_database(tmp_path: Path, accounts: tuple[tuple[str, str], ...]) -> Settings:
    """A migrated database with the lawyers' tables and these ``(username, role)`` accounts."""
    settings = Settings.from_env({"DATA_DIR": str(tmp_path / "var")})
    harness.service.upgrade_schema(settings.database_url)

    async def setup() -> None:
        db = Database(settings.database_url)
        async with db.write_engine.begin() as conn:
            await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=lawyer_tables()))
        from services.units import load_units, sync_units

        units = load_units(settings.units_file)
        async with db.write() as session:
            await sync_units(session, units)
        for name, role in accounts:
            assert (
                await create_staff(
                    db,
                    username=name,
                    password="correct horse battery",
                    role=role,
                    unit_code=units.default.code,
                    display_name="陈律师",
                    known_units=set(units.by_code),
                )
                is None
            )
        await db.dispose()

    asyncio.run(setup())
    return settings


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = _staff_database(tmp_path, (("lawyer_cli", "lawyer"), ("med_cli", "mediator")))
    assert _run(settings, "lawyer", "set", "lawyer_cli", "--firm", "示例所") == 2
    assert "needs --firm, --licence and --specialties" in capsys.readouterr().err
    ok = _run(
        settings,
        "lawyer",
        "set",
        "lawyer_cli",
        "--firm",
        "示例律师事务所",
        "--licence",
        "11101201810000999",
        "--specialties",
        "labour_wages, neighbour",
        "--rota",
        "周六 09:00-12:00",
        "--availability",
        "mon-fri 09:00-18:00",
    )
    assert ok == 0 and "created lawyer profile" in capsys.readouterr().out
    assert _run(settings, "lawyer", "set", "lawyer_cli", "--rota", "sat 9-12") == 1
    assert "看不懂时间“sat 9-12”" in capsys.readouterr().err
    assert (
        _run(
            settings,
            "lawyer",
            "set",
            "med_cli",
            "--firm",
            "x",
            "--licence",
            "1",
            "--specialties",
            "other",
        )
        == 1
    )
    assert "不是律师" in capsys.readouterr().err
    assert _run(settings, "lawyer", "set", "lawyer_cli", "--max-open", "3") == 0
    assert _run(settings, "lawyer", "pause", "lawyer_cli") == 0
    capsys.readouterr()
    assert _run(settings, "lawyer", "list", "--json") == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["max_open_cases"] == 3 and row["paused"] is True
    assert row["specialties"] == ["labour_wages", "neighbour"]
    assert row["rota"] == "sat 09:00-12:00" and row["telegram_linked"] is False
    assert _run(settings, "lawyer", "list") == 0
    assert "[paused; NOT reachable in the chat]" in capsys.readouterr().out
    assert _run(settings, "lawyer", "report", "--days", "7") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["requests"] == {} and report["consultations"]["total"] == 0


def test_the_list_says_where_the_chat_reaches_each_lawyer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Telegram linked, the browser chat of the account's phone, or neither: ``lawyer list``
    says which, as offers are sent (a lawyer reachable only in the browser is offered
    requests there; ``services.delivery.staff_addresses``)."""
    names = ("tg_lawyer", "web_lawyer", "no_lawyer")
    settings = _staff_database(tmp_path, tuple((name, "lawyer") for name in names))
    for i, name in enumerate(names):
        licence = f"1110120181000{i:04d}"
        assert (
            _run(
                settings,
                "lawyer",
                "set",
                name,
                "--firm",
                "示例律师事务所",
                "--licence",
                licence,
                "--specialties",
                "neighbour",
                "--rota",
                "周六 09:00-12:00",
            )
            == 0
        )

    async def reach() -> None:
        from core import crypto
        from services.staff import set_phone
        from storage.models import StaffAccount, User

        db = Database(settings.database_url)
        assert await set_phone(db, "web_lawyer", "13700007351") is None
        assert await set_phone(db, "no_lawyer", "13700007352") is None  # never logged in
        async with db.write() as session:
            tg = (
                await session.execute(
                    select(StaffAccount).where(StaffAccount.username == "tg_lawyer")
                )
            ).scalar_one()
            tg.telegram_id = 7350
            # What the browser chat's login stores for the number (features.webchat.otp).
            session.add(User(phone="13700007351", phone_hash=crypto.blind_index("13700007351")))
        await db.dispose()

    asyncio.run(reach())
    capsys.readouterr()
    assert _run(settings, "lawyer", "list") == 0
    said = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if "[" in line}
    assert "[active; reached in Telegram]" in said["tg_lawyer"], said
    assert "[active; reached in the browser chat]" in said["web_lawyer"], said
    assert "[active; NOT reachable in the chat]" in said["no_lawyer"], said
    assert _run(settings, "lawyer", "list", "--json") == 0
    rows = {row["username"]: row for row in json.loads(capsys.readouterr().out)}
    assert [rows[name]["reached_in"] for name in names] == ["telegram", "browser", None]
