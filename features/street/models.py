"""Tables of disputes registered on the street and of the tasks dispatched for them.

- ``street_reports``: one per case a staff member registered for someone (``cases.source`` is
  ``street``): who registered it, the 110 警情 number when the police referred it, the people
  involved as the reporter saw them, and the dispatch rule applied. The parties are ordinary
  ``case_parties`` rows, ``pending`` until each confirms through their invitation; a name the
  reporter did not know is empty (``name_known`` false in the event), never invented.
- ``street_tasks``: a desk's (post's or department's) share of a case, lead or assist, with its
  deadline; accepted or returned with a reason, then done; ``overdue_at`` once it alerted upward.
- ``street_task_notes``: what the desk did (on site with the police, called the employer…).

What people typed (reasons, notes, who was involved) is personal data: encrypted at rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
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
