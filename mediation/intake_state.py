"""The intake dialogue's state and inputs: its steps, what a person can send, and the draft
that is stored between messages (JSON in the conversation row). The dialogue itself is
:mod:`mediation.intake`; kept apart so that the rules of each answer read on their own."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from mediation.replies import Reply


class Step(StrEnum):
    CONSENT = "consent"
    DISPUTE_TYPE = "dispute_type"
    FACTS = "facts"
    EVIDENCE = "evidence"
    CLAIMS = "claims"
    AMOUNT = "amount"
    PLACE = "place"
    NAME = "name"
    PHONE = "phone"
    ID_NUMBER = "id_number"
    OTHER_NAME = "other_name"
    OTHER_PHONE = "other_phone"
    CONFIRM = "confirm"


ORDER: tuple[Step, ...] = tuple(Step)
OPTIONAL: frozenset[Step] = frozenset({Step.AMOUNT, Step.ID_NUMBER, Step.OTHER_PHONE})
EDITABLE: tuple[Step, ...] = (
    Step.DISPUTE_TYPE,
    Step.FACTS,
    Step.EVIDENCE,
    Step.CLAIMS,
    Step.AMOUNT,
    Step.PLACE,
    Step.NAME,
    Step.PHONE,
    Step.ID_NUMBER,
    Step.OTHER_NAME,
    Step.OTHER_PHONE,
)
MAX_EVIDENCE = 20


class AmountStated(StrEnum):
    """How the applicant stated the amount when not as a plain figure (``Case.amount_stated``)."""

    APPROXIMATE = "approximate"  # 大概四千八, 5000左右: shown 约
    UNKNOWN = "unknown"  # 不知道: shown 不详


TEXT_LIMITS: dict[Step, tuple[int, int]] = {
    Step.FACTS: (10, 2000),
    Step.CLAIMS: (2, 1000),
    Step.PLACE: (2, 200),
}

# ---------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class ActionInput:
    """A button press; ``action`` is the button's action string."""

    action: str


@dataclass(frozen=True)
class ContactInput:
    phone: str
    is_own: bool


@dataclass(frozen=True)
class FileInput:
    """A photo, document, video or voice message; ``ref`` identifies it on its channel."""

    kind: str
    ref: str
    name: str | None = None
    mime_type: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class OtherInput:
    """Anything else (sticker, location, poll…): ``kind`` names it for the error message."""

    kind: str


Input = TextInput | ActionInput | ContactInput | FileInput | OtherInput

# ---------------------------------------------------------------------------------- state


@dataclass
class IntakeDraft:
    step: Step = Step.CONSENT
    answers: dict[str, Any] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    editing: bool = False
    confirming_cancel: bool = False
    #: What the party typed at the dispute-type question when it was a story: later questions
    #: offer back what it already answers (``mediation.earlier_answers``).
    story: str = ""
    #: The steps whose offered earlier answer the party said was wrong (不对，重新填).
    declined: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step.value,
            "answers": dict(self.answers),
            "evidence": list(self.evidence),
            "editing": self.editing,
            "confirming_cancel": self.confirming_cancel,
            "story": self.story,
            "declined": list(self.declined),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IntakeDraft:
        return cls(
            step=Step(data.get("step", Step.CONSENT.value)),
            answers=dict(data.get("answers", {})),
            evidence=list(data.get("evidence", [])),
            editing=bool(data.get("editing", False)),
            confirming_cancel=bool(data.get("confirming_cancel", False)),
            story=str(data.get("story", "")),
            declined=[str(s) for s in data.get("declined", [])],
        )

    @property
    def amount(self) -> Decimal | None:
        raw = self.answers.get("amount")
        return Decimal(raw) if raw else None

    def said_unknown(self, step: Step) -> bool:
        """The party answered this step 不知道 (不清楚, 忘了…), rather than skipping it."""
        return step.value in self.answers.get("unknown", [])

    def mark_unknown(self, step: Step, unknown: bool) -> None:
        """Record whether the step's answer was 不知道 (a later answer or a skip clears it)."""
        said = [s for s in self.answers.get("unknown", []) if s != step.value]
        if unknown or "unknown" in self.answers:
            self.answers["unknown"] = [*said, step.value] if unknown else said

    @property
    def amount_stated(self) -> AmountStated | None:
        """The amount as stated: approximate (约), not known (不详), or None (a figure as typed,
        or skipped)."""
        if self.amount is not None:
            return AmountStated.APPROXIMATE if self.answers.get("amount_approx") else None
        return AmountStated.UNKNOWN if self.said_unknown(Step.AMOUNT) else None


@dataclass
class IntakeResult:
    """``draft`` is None when the party cancelled; ``submitted`` asks the service to file it."""

    draft: IntakeDraft | None
    replies: list[Reply]
    submitted: bool = False
    #: :func:`answer_spoken` only: the text was taken as the step's answer.
    accepted: bool = False
