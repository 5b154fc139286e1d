"""The document tables on SQLite and PostgreSQL: versions are unique per case, a replayed Mini App
login is detected by the database, service addresses are encrypted at rest, and the console's
document store logs each download."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from features.agreements.common import new_public_id
from features.agreements.initdata import WebAppUser
from features.agreements.page_signing import _first_use
from features.agreements.store import AgreementDocumentStore, downloads_of
from storage.db import Database
from storage.document_models import (
    ConfirmationConsent,
    Document,
    JudicialConfirmation,
    WebAppLogin,
)
from storage.models import Case, CaseMember, Unit

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


async def _case(db: Database) -> tuple[int, int]:
    async with db.write() as s:
        s.add(Unit(code="u", name="示范人民调解委员会", level="committee", case_prefix="示调"))
        await s.flush()
        case = Case(
            number="（2026）示调字第0009号",
            unit_code="u",
            dispute_type="other",
            status="signing",
            facts="f",
            claims="c",
            place="p",
        )
        s.add(case)
        await s.flush()
        member = CaseMember(case_id=case.id, role="applicant")
        s.add(member)
        await s.flush()
        return case.id, member.id


def _doc(case_id: int, version: int, **extra: object) -> Document:
    return Document(
        public_id=new_public_id(),
        case_id=case_id,
        kind="mediation_agreement",
        version=version,
        status="signing",
        content={"case_no": "（2026）示调字第0009号"},
        sha256="0" * 64,
        created_by="test",
        **extra,
    )


async def test_versions_logins_and_encryption(db: Database, tmp_path: Path) -> None:
    case_id, member_id = await _case(db)
    async with db.write() as s:
        s.add(_doc(case_id, 1))
    with pytest.raises(IntegrityError):
        async with db.write() as s:
            s.add(_doc(case_id, 1))

    user = WebAppUser(telegram_id=42, language_code="zh-CN", hash="ab" * 32, auth_date=NOW)
    async with db.write() as s:
        assert await _first_use(s, user, NOW)
    async with db.write() as s:
        assert not await _first_use(s, user, NOW)
    async with db.read() as s:
        assert len((await s.execute(select(WebAppLogin))).scalars().all()) == 1

    async with db.write() as s:
        doc = (await s.execute(select(Document))).scalar_one()
        jc = JudicialConfirmation(
            case_id=case_id,
            agreement_id=doc.id,
            status="offered",
            effective_on=NOW.date(),
            deadline=NOW.date(),
            default_court="示范区人民法院",
        )
        s.add(jc)
        await s.flush()
        s.add(
            ConfirmationConsent(
                confirmation_id=jc.id,
                signer_id=f"m{member_id}",
                member_id=member_id,
                consent=True,
                service_address="示范区幸福里3栋",
            )
        )
    async with db.read() as s:
        raw = (
            await s.execute(text("SELECT service_address FROM confirmation_consents"))
        ).scalar_one()
        consent = (await s.execute(select(ConfirmationConsent))).scalar_one()
    assert "幸福里".encode() not in bytes(raw)
    assert consent.service_address == "示范区幸福里3栋"


async def test_console_store_lists_and_logs_downloads(db: Database, tmp_path: Path) -> None:
    case_id, _ = await _case(db)
    folder = tmp_path / "documents" / str(case_id)
    folder.mkdir(parents=True)
    (folder / "signed.pdf").write_bytes(b"%PDF-1.7 signed")
    async with db.write() as s:
        s.add(
            _doc(
                case_id,
                1,
                render_status="done",
                sealed=True,
                file_path=f"documents/{case_id}/signed.pdf",
            )
        )
        s.add(_doc(case_id, 2, render_status="pending"))
    store = AgreementDocumentStore(db, tmp_path)
    items = await store.list_for_case(case_id)
    assert [i.title for i in items] == ["人民调解协议书 第1版（已签章）"]
    opened = await store.open(case_id, items[0].id, actor="staff:3")
    assert opened is not None and await opened.files.get(opened.key) == b"%PDF-1.7 signed"
    assert opened.filename == "agreement-2026-0009-v1-signed.pdf"
    assert await store.open(case_id + 1, items[0].id) is None
    async with db.read() as s:
        doc = (await s.execute(select(Document).where(Document.version == 1))).scalar_one()
        logged = await downloads_of(s, doc.id)
    assert [(d.actor, d.channel) for d in logged] == [("staff:3", "console")]
