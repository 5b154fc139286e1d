"""The agreements feature's own table: a case's 治安调解 (police mediation, ``mediation.police``).

Why a row of its own and not more case columns: the police procedure has facts people's
mediation has none of (the act, who broke the public order and who was harmed, how many
officers, the recording's reference) and its own end (不予处罚 or returned to the police), kept
with the officer who recorded each step. What people said happened is personal data: encrypted.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, EncryptedJSON, EncryptedText, utcnow


class PoliceMediation(Base):
    """One case's 治安调解: opened by a police officer, ended as performed or returned."""

    __tablename__ = "police_mediations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), unique=True, index=True
    )
    #: The police unit that hosts it and issues the 治安调解协议书 (the officer's unit).
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    status: Mapped[str] = mapped_column(String(16))  # mediation.police.PoliceStatus
    violation: Mapped[str] = mapped_column(String(32))  # mediation.police.Violation
    officers: Mapped[int] = mapped_column(Integer)
    #: The reference of the 全程同步录音录像 (治安管理处罚法 第一百零八条).
    recording_ref: Mapped[str | None] = mapped_column(String(100))
    host_staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    offender_party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"))
    injured_party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"))
    #: 时间、地点、起因、经过、情节、结果 (公安机关办理行政案件程序规定 第一百八十四条), as the officer recorded them.
    incident: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    deadline: Mapped[date | None] = mapped_column(Date)
    #: A first mediation that failed (公安机关办理行政案件程序规定 第一百八十三条): when, the last
    #: day a second one may be completed, and why it was held (``mediation.police.AgainGround``;
    #: the party who applied for it, when one did).
    first_failed_at: Mapped[datetime | None] = mapped_column()
    again_deadline: Mapped[date | None] = mapped_column(Date)
    again_ground: Mapped[str | None] = mapped_column(String(16))
    again_requested_by: Mapped[int | None] = mapped_column(ForeignKey("case_parties.id"))
    end_reason: Mapped[str | None] = mapped_column(EncryptedText)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    agreed_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
