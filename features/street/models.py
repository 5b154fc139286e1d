"""Tables of disputes registered on the street and of the tasks dispatched for them.

- ``street_reports``: one per case a staff member registered for someone (``cases.source`` is
  ``street``): who registered it, the 110 警情 number when the police referred it, the people
  involved as the reporter saw them, and the dispatch rule applied. The parties are ordinary
  ``case_parties`` rows, ``pending`` until each confirms through their invitation; a name the
  reporter did not know is empty (``name_known`` false in the event), never invented.
- ``street_tasks``: a desk's (post's or department's) share of a case, lead or assist, with its
  deadline; accepted or returned with a reason, then done; ``overdue_at`` once it alerted upward.
- ``street_task_notes``: what the desk did (on site with the police, called the employer…).
- ``street_handovers``: the 流转记录, who held the case from when (reported, dispatched,
  escalated to a centre, handed to a department, concluded).
- ``street_sessions``: joint sessions (on site or in the room): scheduled, who attended, what
  happened; the case's one outcome is on ``street_reports``.
- ``street_members``: a group dispute's roster: each member's amount and the authority the
  representative holds from them; each member is a party of the case (``party_id``), so a
  written agreement binds and is signed by each of them or by the representative for them.

What people typed (reasons, notes, who was involved) is personal data: encrypted at rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, EncryptedText, utcnow


class StreetReport(Base):
    __tablename__ = "street_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), unique=True, index=True
    )
    reporter_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    channel: Mapped[str] = mapped_column(String(16))  # telegram | console
    police_ref: Mapped[str | None] = mapped_column(String(40))
    involved: Mapped[str | None] = mapped_column(EncryptedText)
    rule: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The case's one outcome, however many bodies worked on it (mediation.street_joint.Outcome).
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_at: Mapped[datetime | None] = mapped_column()
    outcome_by: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    outcome_text: Mapped[str | None] = mapped_column(EncryptedText)
    # A group dispute's representative (their name and the side they speak for).
    representative: Mapped[str | None] = mapped_column(EncryptedText)


class StreetTask(Base):
    __tablename__ = "street_tasks"
    __table_args__ = (Index("ix_street_tasks_desk_status", "desk_code", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    desk_code: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # lead | assist
    status: Mapped[str] = mapped_column(String(16), default="assigned")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime] = mapped_column()
    responded_at: Mapped[datetime | None] = mapped_column()
    responded_by: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    reason: Mapped[str | None] = mapped_column(EncryptedText)
    done_at: Mapped[datetime | None] = mapped_column()
    overdue_at: Mapped[datetime | None] = mapped_column()


class StreetTaskNote(Base):
    __tablename__ = "street_task_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("street_tasks.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(EncryptedText)


class StreetHandover(Base):
    """One row per change of holder: the holder is ``unit_code`` (and ``desk_code`` once a desk
    leads) from ``at`` until the next row."""

    __tablename__ = "street_handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))  # reported|dispatched|escalated|handed|concluded
    unit_code: Mapped[str] = mapped_column(String(64))
    desk_code: Mapped[str | None] = mapped_column(String(64))
    risk: Mapped[str] = mapped_column(String(16))
    by_staff: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    reason: Mapped[str | None] = mapped_column(EncryptedText)


class StreetSession(Base):
    __tablename__ = "street_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # site | room
    scheduled_at: Mapped[datetime] = mapped_column()
    place: Mapped[str] = mapped_column(EncryptedText)
    created_by: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    held_at: Mapped[datetime | None] = mapped_column()
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    # Desk codes present, comma-separated; others (the builder, the community) as typed.
    desks: Mapped[str | None] = mapped_column(String(500))
    others: Mapped[str | None] = mapped_column(EncryptedText)
    summary: Mapped[str | None] = mapped_column(EncryptedText)
    result: Mapped[str | None] = mapped_column(String(16))  # agreed | no_agreement


class StreetMember(Base):
    __tablename__ = "street_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(EncryptedText)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    # The representative's authority from this member (mediation.parties.Authority) and
    # whether the written authority was checked by staff.
    authority: Mapped[str | None] = mapped_column(String(16))
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    checked_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The member as a party of the case (a claimant the written agreement binds): their own
    # invitation, room seat and signature, or the representative's as their agent.
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_parties.id", ondelete="SET NULL"))
