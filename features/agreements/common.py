"""Small helpers shared by the agreement flows: where the feature's services live, links,
payloads with Mini App buttons and files, and waking the render job after a commit.

Messages here are built as raw outbox payloads (not :class:`~mediation.replies.Reply`) only where
a Reply cannot express them: a ``web_app`` button or a file. Text still comes from the catalogs,
translated for each recipient.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings, public_base
from i18n import translate
from mediation.replies import Msg, Reply, button, reply
from services import mediators
from services.chat_state import Slot, Variant, variant_slot
from services.delivery import Address, Outgoing
from services.outgoing import Button, StoredDocument, TextMessage
from services.room import Room
from services.shared import SharedServices
from services.turn import Turn, active_room
from storage.files import FileStore, local_store
from storage.models import StaffAccount

if TYPE_CHECKING:
    from documents.citations import StatuteSource
    from documents.pool import RenderPool
    from documents.seal import Sealer
    from features.agreements.jobs import DocumentJobs

#: The conversation-state key of what this feature waits for in a chat (see :data:`PENDING`).
INPUT = "ag_input"
AGREEMENT = "mediation_agreement"
APPLICATION = "judicial_confirmation_application"
#: An oral agreement (人民调解法 第二十八条、第三十条): its content and the parties' confirmations.
ORAL = "oral_agreement"
RECORD = "mediation_record"


@dataclass
class AgreementServices:
    """What the feature built at start-up (``shared.agreements``)."""

    settings: Settings
    pool: RenderPool
    sealer: Sealer
    statutes: StatuteSource
    jobs: DocumentJobs
    #: False when the pool was given (tests, the demo): then its owner closes it.
    owns_pool: bool = True
    #: Where PDFs and signature images are kept (``runtime.files``).
    files: FileStore | None = None

    def __post_init__(self) -> None:
        if self.files is None:
            self.files = local_store(self.settings)

    @property
    def store(self) -> FileStore:
        assert self.files is not None
        return self.files

    @property
    def base_url(self) -> str:
        return public_base(self.settings)

    @property
    def webapp_enabled(self) -> bool:
        return webapp_enabled(self.settings)


def services_of(shared: SharedServices) -> AgreementServices:
    if shared.agreements is None:
        raise RuntimeError("the agreements feature was not started (services.features.ON_START)")
    return shared.agreements


def webapp_enabled(settings: Settings) -> bool:
    """Telegram opens Mini Apps over https only; plain http is allowed for the local stand-in
    (``MEDIATION_WEBAPP_ALLOW_HTTP=1``: tests and the demo). Without a token nothing can check
    ``initData``."""
    if not settings.telegram_bot_token:
        return False
    if public_base(settings).startswith("https://"):
        return True
    return settings.extra.get("MEDIATION_WEBAPP_ALLOW_HTTP", "").strip() in ("1", "true", "yes")


def new_public_id() -> str:
    """The id in ``/verify/<id>``: 96 random bits, URL-safe."""
    return secrets.token_urlsafe(12)


def sign_url(base: str, public_id: str, sha: str) -> str:
    return f"{base}/webapp/sign?d={public_id}&v={sha}"


@dataclass(frozen=True)
class Btn:
    """A button for :func:`text_message`: a callback ``action`` or a Mini App ``web_app`` URL."""

    label: Msg
    action: str = ""
    web_app: str = ""


def text_message(address: Address, text: Msg, rows: Sequence[Sequence[Btn]] = ()) -> TextMessage:
    """A text message in the recipient's language, Mini App buttons included."""
    language = address.language
    return TextMessage(
        translate(language, text),
        buttons=tuple(
            tuple(Button(translate(language, b.label), b.action, b.web_app) for b in row)
            for row in rows
            if row
        ),
    )


def file_message(
    address: Address, path: str, filename: str, caption: Msg | None = None
) -> StoredDocument:
    """A file in the file store sent as a document."""
    text = translate(address.language, caption)[:1024] if caption is not None else None
    return StoredDocument(path, filename, text)


def send(out: Outgoing, address: Address, text: Msg, rows: Sequence[Sequence[Btn]] = ()) -> None:
    out.send_message(address, text_message(address, text, rows))


def wake_after_commit(session: AsyncSession, shared: SharedServices) -> None:
    """Wake the render job once this transaction commits (it may not see the rows before)."""
    if shared.agreements is None:
        return
    jobs = shared.agreements.jobs
    event.listen(session.sync_session, "after_commit", lambda _s: jobs.wake(), once=True)


def short_sha(sha: str) -> str:
    """The first 16 hex digits, grouped for reading aloud: ``ab12 cd34 ef56 7890``."""
    head = sha[:16]
    return " ".join(head[i : i + 4] for i in range(0, 16, 4))


def question(key: str, *rows: tuple[Any, ...], **params: object) -> Reply:
    """A question whose answer is the person's next text; a button takes it back, so a reply
    meant for the room is never swallowed as the answer."""
    cancel = (button("agreements.btn_input_cancel", "ag:ic"),)
    return Reply(Msg(key, params), buttons=(*rows, cancel))


# ---------------------------------------------------------------------------- awaited input


@dataclass(frozen=True)
class AwaitComment(Variant):
    """The next text is a party's comment on the draft (version ``doc``)."""

    KIND: ClassVar[str] = "comment"
    doc: int


@dataclass(frozen=True)
class AwaitTypedName(Variant):
    """The next text is the signer's full name, signing version ``sha`` of ``doc``."""

    KIND: ClassVar[str] = "typed"
    doc: int
    sha: str


@dataclass(frozen=True)
class AwaitDeclineReason(Variant):
    """The next text is why the signer will not sign ``doc``."""

    KIND: ClassVar[str] = "decline"
    doc: int


@dataclass(frozen=True)
class AwaitServiceAddress(Variant):
    """司法确认: the next text is this party's address for service (送达地址)."""

    KIND: ClassVar[str] = "jc_address"
    jc: int


@dataclass(frozen=True)
class AwaitPhone(Variant):
    """司法确认: the next text is this party's phone number (none on file)."""

    KIND: ClassVar[str] = "jc_phone"
    jc: int


@dataclass(frozen=True)
class AwaitCourtName(Variant):
    """司法确认: the next text is the court's name, chosen on ``basis`` (a CourtBasis value)."""

    KIND: ClassVar[str] = "jc_court"
    jc: int
    basis: str


@dataclass(frozen=True)
class AwaitOralTerms(Variant):
    """The mediator's next text is the content of the oral agreement of ``case`` (one clause a
    line; 人民调解法 第二十八条: the mediator records it)."""

    KIND: ClassVar[str] = "oral_terms"
    case: int
    #: While set, the text is this party's (``CaseParty.id``) address for the 笔录 first.
    party: int | None = None


@dataclass(frozen=True)
class AwaitObjection(Variant):
    """A party's next text is why they object to ``doc`` (an oral agreement or a 笔录)."""

    KIND: ClassVar[str] = "objection"
    doc: int


AgreementInput = (
    AwaitComment
    | AwaitTypedName
    | AwaitDeclineReason
    | AwaitServiceAddress
    | AwaitPhone
    | AwaitCourtName
    | AwaitOralTerms
    | AwaitObjection
)
#: What the agreements feature waits for in this chat.
PENDING: Slot[AgreementInput] = variant_slot(
    INPUT,
    AwaitComment,
    AwaitTypedName,
    AwaitDeclineReason,
    AwaitServiceAddress,
    AwaitPhone,
    AwaitCourtName,
    AwaitOralTerms,
    AwaitObjection,
)


@dataclass(frozen=True)
class Drafting:
    """The mediator's draft in progress: the agreement's terms (as JSON), what the next text
    answers (``waiting_for``: a Section, "address", "clause", "review" or nothing) and, for an
    address or a clause template being filled in, whose or which."""

    case: int
    terms: dict[str, Any]
    waiting_for: str = ""
    party: int | None = None
    clause: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"case": self.case, "await": self.waiting_for, "terms": self.terms}
        if self.party is not None:
            data["party"] = self.party
        if self.clause is not None:
            data["clause"] = self.clause
        return data

    @classmethod
    def from_json(cls, raw: Any) -> Drafting:
        if not isinstance(raw, dict):
            raise TypeError("ag_draft: not an object")
        party = raw.get("party")
        return cls(
            int(raw["case"]),
            dict(raw["terms"]),
            str(raw.get("await") or ""),
            int(party) if party is not None else None,
            raw.get("clause"),
        )


#: The draft lives in the mediator's conversation state, so a restart loses nothing.
DRAFTING: Slot[Drafting] = Slot("ag_draft", Drafting.from_json, Drafting.to_json)


async def mediated_room(turn: Turn, staff: StaffAccount) -> Room | Reply:
    """The room of the chat's case (the chosen one, else the newest; closed cases too) when
    ``staff`` mediates it, else the reply that says why not: the commands about a case's
    papers (``/documents``, ``/referral``) are its own mediator's."""
    found = await active_room(turn, staff_id=staff.id, include_closed=True)
    if found is None:
        return mediators.no_case(staff)
    room = found[0]
    if room.case.mediator_id != staff.id:
        return reply("staff.not_allowed")
    return room
