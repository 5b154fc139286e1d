"""Tables of negotiation and follow-up: offers with their versions and answers, blind bids,
and the payment schedule with its events and receipts.

Why rows and not conversation state: an offer's history (who proposed what, who answered how,
when) is part of the case record, the accepted version is what the agreement is drafted from,
and payments feed the dashboard's "amount recovered". Blind-bid figures are the one thing no
other person may read before settlement: they are stored encrypted (``EncryptedText``) and only
the side that typed a figure, or the rule that compares two figures, ever decrypts it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, EncryptedText, utcnow


class Offer(Base):
    """One version of an offer. A counter-offer is a new row with ``parent_id`` set and
    ``version`` one higher in the same ``thread``; the answered one becomes ``countered``."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("case_id", "thread", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    thread: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    #: "applicant" / "respondent", or None when the mediator proposes.
    proposer_side: Mapped[str | None] = mapped_column(String(16))
    proposer_member_id: Mapped[int] = mapped_column(ForeignKey("case_members.id"))
    #: mediation.offers.OfferStatus
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    terms: Mapped[dict[str, Any]] = mapped_column()
    #: Sides that must accept, and those that have.
    needs: Mapped[list[Any]] = mapped_column(default=list)
    accepted_by: Mapped[list[Any]] = mapped_column(default=list)
    #: Back-to-back mode: waiting for the mediator to pass it on to the other side.
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()


class OfferResponse(Base):
    """Every answer to an offer (and the mediator passing it on): the history."""

    __tablename__ = "offer_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("case_members.id"))
    #: accept / reject / counter / withdraw / forward
    response: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(EncryptedText)  # typed by the party
    at: Mapped[datetime] = mapped_column(default=utcnow)


class BlindBidding(Base):
    """A blind-bidding procedure of a case (one open at a time)."""

    __tablename__ = "blind_biddings"
    __table_args__ = (Index("ix_blind_biddings_case", "case_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    #: The side that pays ("respondent" unless the mediator says otherwise).
    payer_side: Mapped[str] = mapped_column(String(16), default="respondent")
    #: mediation.blind_bidding.BiddingStatus
    status: Mapped[str] = mapped_column(String(16), default="opt_in")
    opted_in: Mapped[list[Any]] = mapped_column(default=list)
    round: Mapped[int] = mapped_column(Integer, default=0)
    settled_fen: Mapped[int | None] = mapped_column(BigInteger)
    started_by_member_id: Mapped[int] = mapped_column(ForeignKey("case_members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class BlindBid(Base):
    """One side's confidential figure for one round: encrypted, fen as a decimal string."""

    __tablename__ = "blind_bids"
    __table_args__ = (UniqueConstraint("bidding_id", "round", "side"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bidding_id: Mapped[int] = mapped_column(
        ForeignKey("blind_biddings.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(Integer)
    side: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[int] = mapped_column(ForeignKey("case_members.id"))
    figure: Mapped[str] = mapped_column(EncryptedText)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentSchedule(Base):
    """What the payer owes under the accepted terms; one active schedule per case."""

    __tablename__ = "payment_schedules"
    __table_args__ = (Index("ix_payment_schedules_case", "case_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    bidding_id: Mapped[int | None] = mapped_column(ForeignKey("blind_biddings.id"))
    payer_side: Mapped[str] = mapped_column(String(16))
    total_fen: Mapped[int] = mapped_column(BigInteger)
    #: active → completed; or replaced
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()


class PaymentInstalment(Base):
    __tablename__ = "payment_instalments"
    __table_args__ = (UniqueConstraint("schedule_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("payment_schedules.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    #: mediation.performance.InstalmentStatus
    status: Mapped[str] = mapped_column(String(16), default="due")
    marked_paid_at: Mapped[datetime | None] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column()


class PaymentEvent(Base):
    """Everything that happened to an instalment: marked paid, confirmed, disputed, reminded,
    missed, escalated, a transfer record uploaded (``evidence_id``)."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instalment_id: Mapped[int] = mapped_column(
        ForeignKey("payment_instalments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowUp(Base):
    """The 回访记录 of a case (人民调解法 第三十一条): written when performance ends, completed
    by the mediator; ``context`` feeds documents/templates/zh-CN/follow_up_record.html."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("payment_schedules.id"))
    visited_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(32))
    # Encrypted: what the mediator noted from the parties' own words.
    performance: Mapped[str] = mapped_column(EncryptedText)
    satisfaction: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Obligation(Base):
    """A non-money undertaking of the accepted terms ("修复 天花板 2027-03-20"), tracked like a
    payment once an agreement is effective: reminders before its day, the obliged side says it
    is done, the other side confirms, an overdue one alerts the unit."""

    __tablename__ = "obligations"
    __table_args__ = (Index("ix_obligations_case", "case_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    seq: Mapped[int] = mapped_column(Integer)
    #: mediation.offers.ActionKind
    kind: Mapped[str] = mapped_column(String(16))
    #: As typed in the offer (a place, a person's belongings…).
    detail: Mapped[str] = mapped_column(EncryptedText)
    obliged_side: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date | None] = mapped_column(Date)
    #: mediation.performance.ObligationStatus
    status: Mapped[str] = mapped_column(String(16))
    done_at: Mapped[datetime | None] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
