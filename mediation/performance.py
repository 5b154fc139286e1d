"""Performance of an agreement (履行) and follow-up (回访): the payment schedule, when to remind,
when a payment counts as missed, when to escalate, and what has been recovered.

Legal anchors (texts read in the knowledge base, laws.db):

- 人民调解法 第三十一条: an agreement reached in people's mediation is legally binding and the
  parties shall perform it; the committee supervises performance and urges the parties to
  perform — hence reminders, confirmation of receipt, and a 回访记录 at the end;
- 人民调解法 第三十二条: if a dispute arises over the performance or content of the agreement,
  a party may sue in the people's court;
- 人民调解法 第三十三条 and 民事诉讼法 第二百零五条: both parties may jointly apply for 司法确认
  within 30 days of the agreement taking effect; once the court confirms it and a party refuses
  to perform or performs only in part, the other party may apply to the court for enforcement
  (申请执行; 民事诉讼法 第二百零六条);
- 民事诉讼法 第二百五十条: the period for applying for enforcement is two years, counted for
  instalments from the last instalment's due date — told to the payee only once a court has
  confirmed the agreement (an unconfirmed agreement is not a title for enforcement);
- 民事诉讼法 第二百二十五条: a creditor owed money may apply for a 支付令 — for debts;
- 劳动争议调解仲裁法 第十五条 (arbitration when an agreement is not performed in time) and
  第十六条 (a 支付令 on the written agreement for unpaid wages, injury costs, compensation), and
  劳动争议解释（一）第五十一条 (a wages-only agreement the employer does not pay may be sued on
  directly) — for wage disputes.

Tracking needs an effective agreement (人民调解法 第二十九条: a written one takes effect when
signed and sealed; 第三十条: an oral one when the parties reach it — here, when each party has
confirmed it): before that, nothing binds anyone to pay, so no reminder may say it does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from mediation.disputes import DisputeType

#: Reminders to the payer this many days before a due date, at ``REMIND_AT`` local time.
REMIND_DAYS_BEFORE = (3, 1)
REMIND_AT = time(9, 0)
#: The morning after the due date, an unconfirmed payment is "missed": the payer is reminded
#: and the payee is told it was noted.
MISSED_AFTER_DAYS = 1
#: This many days after the due date, still unpaid: the mediator is alerted and the payee is
#: told about 司法确认 (第三十三条) and 申请执行.
ESCALATE_AFTER_DAYS = 3
#: This many days after the payer said "paid" with no answer from the payee: the payer is told
#: the payee has not confirmed, and the mediator is asked to check (silence is not receipt).
SILENCE_DAYS = 3
#: 民事诉讼法 第二百五十条: two years to apply for enforcement.
ENFORCEMENT_YEARS = 2


class InstalmentStatus(StrEnum):
    DUE = "due"  # not yet paid
    MARKED_PAID = "marked_paid"  # the payer says it is paid; the payee has not confirmed
    CONFIRMED = "confirmed"  # the payee confirmed receipt (or a transfer record is on file)
    DISPUTED = "disputed"  # the payee says nothing arrived
    MISSED = "missed"  # past due and not confirmed
    CANCELLED = "cancelled"  # the schedule was replaced


SETTLED = frozenset({InstalmentStatus.CONFIRMED, InstalmentStatus.CANCELLED})


class TimerStep(StrEnum):
    REMIND = "remind"
    MISSED = "missed"
    ESCALATE = "escalate"
    SILENCE = "silence"  # the payee has not answered "paid" for SILENCE_DAYS days


@dataclass(frozen=True)
class Step:
    step: TimerStep
    at: datetime
    days_before: int = 0


def local_moment(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, REMIND_AT, tzinfo=tz)


def timeline(due: date, tz: ZoneInfo, now: datetime) -> list[Step]:
    """The reminder, missed and escalation moments of one instalment, skipping those already
    past at ``now`` except the missed/escalation ones (they still matter late)."""
    steps = [
        Step(TimerStep.REMIND, local_moment(due - timedelta(days=d), tz), d)
        for d in REMIND_DAYS_BEFORE
    ]
    steps = [s for s in steps if s.at > now]
    steps.append(Step(TimerStep.MISSED, local_moment(due + timedelta(days=MISSED_AFTER_DAYS), tz)))
    steps.append(
        Step(TimerStep.ESCALATE, local_moment(due + timedelta(days=ESCALATE_AFTER_DAYS), tz))
    )
    return steps


def after_mark_paid(status: InstalmentStatus) -> InstalmentStatus | None:
    """The payer says it paid; None when that makes no sense now."""
    if status in (InstalmentStatus.DUE, InstalmentStatus.MISSED, InstalmentStatus.DISPUTED):
        return InstalmentStatus.MARKED_PAID
    return None


def after_confirm(status: InstalmentStatus) -> InstalmentStatus | None:
    """The payee confirms receipt: possible whenever it is not settled already."""
    return None if status in SETTLED else InstalmentStatus.CONFIRMED


def after_dispute(status: InstalmentStatus) -> InstalmentStatus | None:
    """The payee says nothing arrived after the payer marked it paid."""
    return InstalmentStatus.DISPUTED if status is InstalmentStatus.MARKED_PAID else None


def on_missed(status: InstalmentStatus) -> InstalmentStatus | None:
    """The missed-payment moment: only a payment nobody has confirmed is missed. A payment the
    payer marked as paid stays marked (the payee is asked again), it is not called missed."""
    if status in (InstalmentStatus.DUE, InstalmentStatus.DISPUTED):
        return InstalmentStatus.MISSED
    return None


def needs_escalation(status: InstalmentStatus) -> bool:
    """Still not confirmed at the escalation moment (第三十一条: the committee urges)."""
    return status not in SETTLED


def recovered_fen(rows: Iterable[tuple[InstalmentStatus, int]]) -> int:
    """What reached the payee: confirmed instalments only (a payer's word is not receipt)."""
    return sum(fen for status, fen in rows if status is InstalmentStatus.CONFIRMED)


def complete(statuses: Iterable[InstalmentStatus]) -> bool:
    items = list(statuses)
    return (
        bool(items)
        and all(s in SETTLED for s in items)
        and any(s is InstalmentStatus.CONFIRMED for s in items)
    )


def enforcement_deadline(last_due: date) -> date:
    """民事诉讼法 第二百五十条: two years from the last instalment's due date."""
    try:
        return last_due.replace(year=last_due.year + ENFORCEMENT_YEARS)
    except ValueError:  # 29 February
        return last_due.replace(year=last_due.year + ENFORCEMENT_YEARS, day=28)


# ---------------------------------------------------------------------------- what the payee can do


class Remedy(StrEnum):
    """One thing the payee can still do about a missed payment; catalog keys under
    ``negotiation.remedy_``. Which ones apply is :func:`remedies`' choice, from the facts."""

    ENFORCE = "enforce"  # confirmed by a court: 申请强制执行 (第三十三条; period 第二百五十条)
    CONFIRM_JOINTLY = "confirm_jointly"  # the 30 days run: apply together (第三十三条)
    AWAIT_COURT = "await_court"  # applied: the court rules (民事诉讼法 第二百零六条)
    COURT = "court"  # a court-entrusted case: the court makes a 调解书
    SUE = "sue"  # 人民调解法 第三十二条
    SUE_WAGES = "sue_wages"  # 劳动争议解释（一）第五十一条
    LABOUR_ARBITRATION = "labour_arbitration"  # 劳动争议调解仲裁法 第十五条
    LABOUR_PAYMENT_ORDER = "labour_payment_order"  # 劳动争议调解仲裁法 第十六条
    PAYMENT_ORDER = "payment_order"  # 民事诉讼法 第二百二十五条
    MEDIATE_OR_SUE = "mediate_or_sue"  # ruled invalid: 人民调解法 第三十三条第三款


#: ``stage``: ``mediation.agreement.ConfirmationStage`` values, and ``confirmed`` once a court
#: has ruled the agreement valid.
CONFIRMED = "confirmed"
#: ``stage`` once a court has ruled the agreement invalid (人民调解法 第三十三条第三款): nothing
#: rests on the agreement any more — a new mediation, or the claim itself in arbitration or court.
INVALID = "invalid"


def remedies(stage: str, dispute_type: str, *, written: bool) -> tuple[Remedy, ...]:
    """What the payee is told they can do, from the case's real state: the 司法确认 stage,
    the dispute type, and whether the agreement is written (第十六条 needs 调解协议书)."""
    if stage == CONFIRMED:
        return (Remedy.ENFORCE,)
    if stage == INVALID:
        return (Remedy.MEDIATE_OR_SUE,)
    if stage == "court":
        return (Remedy.COURT,)
    if stage == "applied":
        return (Remedy.AWAIT_COURT,)
    first = (Remedy.CONFIRM_JOINTLY,) if stage == "open" else ()
    if dispute_type == DisputeType.LABOUR_WAGES.value:
        order = Remedy.LABOUR_PAYMENT_ORDER if written else Remedy.PAYMENT_ORDER
        return (*first, Remedy.LABOUR_ARBITRATION, order, Remedy.SUE_WAGES)
    if dispute_type == DisputeType.PRIVATE_LENDING.value:
        return (*first, Remedy.SUE, Remedy.PAYMENT_ORDER)
    return (*first, Remedy.SUE)


# ---------------------------------------------------------------------------- undertakings


class ObligationStatus(StrEnum):
    """A non-money undertaking (修复、搬离、道歉…) of the accepted terms."""

    WAITING = "waiting"  # accepted, but no agreement is effective yet: nothing is tracked
    DUE = "due"
    DONE = "done"  # the obliged side says it is done; the other side has not confirmed
    CONFIRMED = "confirmed"
    OVERDUE = "overdue"  # its day passed without a confirmation
    CANCELLED = "cancelled"  # other terms were accepted


def obligation_done(status: ObligationStatus) -> ObligationStatus | None:
    """The obliged side says it is done."""
    if status in (ObligationStatus.DUE, ObligationStatus.OVERDUE):
        return ObligationStatus.DONE
    return None


def obligation_answer(
    status: ObligationStatus, *, confirmed: bool, late: bool
) -> ObligationStatus | None:
    """The other side confirms it is done, or says it is not (back to due, or overdue)."""
    if status is not ObligationStatus.DONE:
        return None
    if confirmed:
        return ObligationStatus.CONFIRMED
    return ObligationStatus.OVERDUE if late else ObligationStatus.DUE


def obligation_timeline(due: date, tz: ZoneInfo, now: datetime) -> list[Step]:
    """Reminders before its day and the overdue check the morning after (no escalation step:
    the overdue check alerts the mediator and the unit at once)."""
    return [s for s in timeline(due, tz, now) if s.step is not TimerStep.ESCALATE]
