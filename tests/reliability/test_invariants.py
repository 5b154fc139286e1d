"""The invariant checker finds nothing on a healthy run, and finds each kind of damage.

A real conversation (intake by a party, a seeded room talking) leaves a database with zero
findings; then the test breaks it the ways a crash or a retry bug would — a stuck update, a
doubled or lost relay copy, a doubled event, a status its history cannot explain, a signature
on another version, an agreement effective without every signature, a message Telegram got
twice — and the checker names each one. A checker that cannot fail would prove nothing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Insert, delete, func, insert, select, update

from core.clock import FakeClock
from harness.steps import RESPONDENT_PHONE, mediator_takes_case, open_session
from services.invariants import check
from standin import StandinBotAPI
from storage.base import utcnow
from storage.document_models import Document, DocumentSignature
from storage.models import Case, CaseEvent, CaseMessage, InboxUpdate, OutboxMessage
from tests.e2e.harness import running_service, seed_rooms, service_env
from tests.e2e.test_intake import walk_intake

NO_GRACE = timedelta(0)
ROOT = Path(__file__).resolve().parents[2]


def never_handled(update_id: int) -> Insert:
    """An update stored five minutes ago and never handled: what the check must find."""
    return insert(InboxUpdate).values(
        source="telegram",
        update_id=update_id,
        chat_key="1",
        payload={},
        status="pending",
        received_at=utcnow() - timedelta(minutes=5),
    )


async def test_healthy_run_has_no_findings_and_damage_is_found(tmp_path: Path) -> None:
    async with StandinBotAPI() as standin:
        env = service_env(standin, tmp_path / "var")
        ids = await seed_rooms(env, 1, first_id=900)
        async with running_service(standin, tmp_path / "var") as runtime:
            applicant = standin.user(8101, phone="+8613800008101")
            await walk_intake(applicant)
            a, r, m = (standin.user(i) for i in ids[0])
            for u in (a, r, m):
                u.register()
            for k in range(3):
                await a.send_text(f"甲方第{k}条")
                await r.wait_for_messages(1)
                await m.wait_for_messages(1)
            await asyncio.sleep(0.3)
            assert runtime.telegram is not None
            await runtime.telegram.sender.drain()
            db = runtime.db
            people = [applicant, a, r, m]
            delivered = {u.chat_id: [x.message_id for x in u.messages] for u in people}

            report = await check(db, grace=NO_GRACE, delivered=delivered)
            assert report.ok, report.render()
            assert report.stats["relayed_messages"] == 3
            assert report.stats["cases_replayed"] == 1
            assert report.stats["cases_without_history"] == 1

            async with db.write() as s:
                # 1. an update stored and never handled
                await s.execute(never_handled(999_999))
                # 2. one relay copy doubled, 3. another lost
                rows = (
                    await s.execute(
                        select(OutboxMessage)
                        .where(OutboxMessage.case_message_id.is_not(None))
                        .order_by(OutboxMessage.id)
                    )
                ).scalars()
                first, *_, last = list(rows)
                await s.execute(
                    insert(OutboxMessage).values(
                        channel=first.channel,
                        chat_id=first.chat_id,
                        payload=first.payload,
                        case_message_id=first.case_message_id,
                        kind=first.kind,
                        status="sent",
                        sent_at=utcnow(),
                        created_at=utcnow(),
                    )
                )
                await s.execute(delete(OutboxMessage).where(OutboxMessage.id == last.id))
                # 4. the filed case's creation recorded twice; 5. a status it never reached
                case_id = (
                    await s.execute(select(CaseEvent.case_id).where(CaseEvent.kind == "created"))
                ).scalar_one()
                created = (
                    await s.execute(select(CaseEvent).where(CaseEvent.kind == "created"))
                ).scalar_one()
                s.add(
                    CaseEvent(
                        case_id=case_id,
                        at=created.at,
                        kind="created",
                        actor=created.actor,
                        data=created.data,
                    )
                )
                await s.execute(update(Case).where(Case.id == case_id).values(status="mediating"))
                # 6. a signature on another version; 7. "effective" with a signature missing
                doc = Document(
                    public_id="p1",
                    case_id=case_id,
                    kind="mediation_agreement",
                    version=1,
                    status="effective",
                    content={},
                    sha256="a" * 64,
                    signers=["m1", "m2"],
                    sealed=True,
                    created_by="test",
                )
                s.add(doc)
                await s.flush()
                s.add(
                    DocumentSignature(
                        document_id=doc.id,
                        case_id=case_id,
                        signer_id="m1",
                        role="party",
                        version_sha="b" * 64,
                        decision="signed",
                        channel="telegram",
                        signed_at=utcnow(),
                    )
                )
            # 8. Telegram shows a message no outbox row accounts for (a duplicate send)
            delivered[a.chat_id] = [*delivered[a.chat_id], 10_000]

            report = await check(db, grace=NO_GRACE, delivered=delivered)
            found = dict(report.counts)
            assert found.get("update_not_handled") == 1, report.render()
            assert found.get("relay_doubled") == 1
            assert found.get("relay_lost") == 1
            assert found.get("event_doubled") == 1
            assert found.get("case_created_twice") == 1
            assert found.get("case_state_inconsistent") == 1
            assert found.get("signature_wrong_version") == 1
            assert found.get("agreement_unsigned") == 1
            assert found.get("agreement_case_mismatch") == 1
            # The injected message, and the deleted row's copy that Telegram still holds.
            assert found.get("delivered_unaccounted") == 2
            assert found.get("delivered_missing") is None
            async with db.read() as s:
                assert (await s.execute(select(func.count()).select_from(CaseMessage))).scalar()


async def test_check_cli_exit_status(tmp_path: Path) -> None:
    """``main.py check``: 0 and "OK" on a fresh database, 1 with a stuck update."""
    import sys

    from storage.db import Database
    from storage.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'mediation.db'}"
    (tmp_path / "var").mkdir()
    await asyncio.to_thread(upgrade, url)
    env = {"DATA_DIR": str(tmp_path / "var"), "DATABASE_URL": url, "PATH": "/usr/bin:/bin"}

    async def run() -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "main.py",
            "check",
            "--grace",
            "0",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode()

    code, out = await run()
    assert code == 0 and "0 findings" in out, out
    db = Database(url)
    async with db.write() as s:
        await s.execute(never_handled(1))
    await db.dispose()
    code, out = await run()
    assert code == 1 and "update_not_handled: 1" in out, out


async def test_a_whole_case_at_one_instant_replays_in_order(tmp_path: Path) -> None:
    """Under a frozen clock every step of a case shares one instant: filed, joined, taken,
    the session opened, an agreement drafted. The checker orders the history by the case's own
    event sequence, so it finds nothing (it put the session's opening, recorded only as a room
    announcement in another table, after the draft and reported an impossible transition)."""
    clock = FakeClock(datetime(2026, 11, 27, 2, 0, tzinfo=UTC))
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", clock=clock) as runtime:
            applicant = standin.user(8121, first_name="甲", phone="+8613800008121")
            respondent = standin.user(8122, first_name="乙", phone=RESPONDENT_PHONE)
            await walk_intake(applicant)
            mediator = await mediator_takes_case(
                runtime,
                standin,
                applicant,
                respondent,
                number="（2026）示调字第0001号",
                mediator=("med_instant", 8123),
            )
            await open_session(mediator, (applicant, respondent))
            async with runtime.db.write() as s:  # the draft, as /agreement records it
                case = (await s.execute(select(Case))).scalar_one()
                case.status = "signing"
                s.add(
                    CaseEvent(
                        case_id=case.id, at=clock.now(), kind="agreement_drafted", actor="system"
                    )
                )
            assert runtime.telegram is not None
            await runtime.telegram.sender.drain()
            report = await check(runtime.db, grace=NO_GRACE)
            assert report.stats["cases_replayed"] == 1
            assert report.ok, report.render()
