"""The chat side of written agreements, registered on the conversation's extension points.

Commands: ``/agreement`` (mediator: draft, or the state of the version being signed; party: the
current version or the signed PDF again), ``/comment TEXT`` (a party's comment on the version),
``/confirm`` (the 司法确认 offer again), ``/documents`` (mediator: 申请书 and 笔录 as PDFs).
Buttons: ``ag:…``, plus one extra button on the mediator's outcome step ("written agreement")
added to the core's ``m:close`` reply. Free text is taken only while one of our questions is
pending (``ag_draft`` for the mediator, ``ag_input`` for anyone).
"""

from __future__ import annotations

from features.agreements import (
    confirmation,
    confirmation_answers,
    drafting,
    evidence,
    oral,
    record_check,
    records,
    signing,
    versions,
)
from features.agreements.common import (
    AGREEMENT,
    DRAFTING,
    INPUT,
    PENDING,
    AwaitComment,
    AwaitCourtName,
    AwaitDeclineReason,
    AwaitObjection,
    AwaitOralTerms,
    AwaitPhone,
    AwaitServiceAddress,
    AwaitTypedName,
    Btn,
    file_message,
    mediated_room,
    question,
    send,
    services_of,
    short_sha,
    wake_after_commit,
)
from features.agreements.signing import SignRefusedError, sign_rows, signing_prompt
from features.agreements.store import filename_of, latest_agreement, log_download, signatures_of
from features.room.staff import action as room_action
from mediation import intake
from mediation.case_state import CaseStatus
from mediation.masking import mask_name
from mediation.parties import parse_signer_id
from mediation.replies import Msg, Reply, button, reply
from mediation.signing import SignerRole
from mediation.validation import InvalidInput, clean_text
from services import features, mediators
from services.inbound import Command
from services.party_flow import JOINING
from services.room import Room, label_of, load_room
from services.slots import STAFF_INPUT
from services.turn import Turn, active_room
from storage.document_models import Document, DocumentComment
from storage.models import User

features.awaits(INPUT, __name__)
_DRAFT_VERBS = frozenset({"use", "cl", "td", "tu", "tc", "cp", "ed", "send", "x", "pt"})


# ---------------------------------------------------------------------------- commands


@features.command("agreement")
async def agreement_command(turn: Turn, who: features.Who, cmd: Command) -> list[Reply] | None:
    if who.staff is not None:
        found = await active_room(turn, staff_id=who.staff.id)
        if found is None:
            return [mediators.no_case(who.staff)]
        room = found[0]
        if room.case.status == CaseStatus.SIGNING.value:
            return await _status(turn, room)
        return await drafting.start(turn, who.staff, room)
    found = await active_room(turn, user_id=who.user_id, include_closed=True)
    if found is None:
        return [reply("room.no_active_case")]
    room, member = found
    doc = await latest_agreement(turn.session, room.case.id)
    if doc is None or doc.status in ("superseded", "void"):
        return await oral.effective_view(turn, room) or [reply("agreements.none_yet")]
    address = room.addresses.get(member.id)
    if address is None:
        return []
    if doc.status == "effective" and doc.file_path:
        turn.out.send_message(address, file_message(address, doc.file_path, filename_of(doc)))
        log_download(
            turn.session, doc, actor=f"member:{member.id}", channel=address.channel, at=turn.now
        )
        return []
    return _resend(turn, room, doc, member.id)


async def _status(turn: Turn, room: Room) -> list[Reply]:
    """The version being signed: who signed, who declined, who is still to sign."""
    doc = await latest_agreement(turn.session, room.case.id)
    if doc is None:
        return [reply("agreements.none_yet")]
    rows = [r for r in await signatures_of(turn.session, doc.id) if r.version_sha == doc.sha256]
    named: dict[int | None, Msg | str] = {
        parse_signer_id(str(e.get("signer", "")))[0]: str(e.get("role", ""))
        for e in doc.content.get("parties", [])
    }
    lines = []
    for signer in [*doc.signers, f"s{doc.mediator_staff_id}"]:
        party_id, member_id = parse_signer_id(signer)
        member = (
            room.of_staff(int(signer[1:]))
            if signer.startswith("s")
            else room.by_id(member_id)
            if member_id is not None
            else None
        )
        if member is None:
            continue
        label = named.get(party_id, label_of(member)) if party_id is not None else label_of(member)
        mine = [r for r in rows if r.signer_id == signer]
        state = (
            "signed"
            if any(r.decision == "signed" for r in mine)
            else ("declined" if mine else "waiting")
        )
        lines.append(
            Msg(
                "agreements.status_line",
                {"who": label, "state": Msg(f"agreements.state_{state}")},
            )
        )
    buttons = [(button("agreements.btn_revise", f"ag:rv:{doc.id}"),)]
    if doc.render_status == "failed":
        buttons.append((button("agreements.btn_retry", f"ag:rt:{doc.id}"),))
    elif doc.preview_path:
        buttons.append((button("agreements.btn_resend", f"ag:rs:{doc.id}"),))
    return [
        Reply(
            Msg(
                "agreements.status",
                {
                    "number": room.case.number,
                    "version": doc.version,
                    "sha": doc.sha256,
                    "lines": lines,
                },
            ),
            buttons=tuple(buttons),
        )
    ]


def _resend(turn: Turn, room: Room, doc: Document, member_id: int) -> list[Reply]:
    address = room.addresses.get(member_id)
    if address is None:
        return []
    if doc.preview_path:
        caption = Msg(
            "agreements.preview_caption",
            {"number": room.case.number, "version": doc.version, "sha": short_sha(doc.sha256)},
        )
        turn.out.send_message(
            address, file_message(address, doc.preview_path, filename_of(doc), caption)
        )
        log_download(
            turn.session, doc, actor=f"member:{member_id}", channel=address.channel, at=turn.now
        )
    member = room.by_id(member_id)
    role = None
    if signing.seats_of_member(doc, member_id):
        role = SignerRole.PARTY
    elif member is not None and member.staff_id == doc.mediator_staff_id:
        role = SignerRole.MEDIATOR
    if role is not None and doc.status == "signing":
        send(
            turn.out,
            address,
            signing_prompt(doc, room.case.number),
            sign_rows(turn.settings, doc, role),
        )
    return []


@features.command("comment")
async def comment_command(turn: Turn, who: features.Who, cmd: Command) -> list[Reply] | None:
    found = await active_room(turn, user_id=who.user_id)
    if found is None or who.staff is not None:
        return None  # staff comment by revising; not in a room: not ours
    doc = await latest_agreement(turn.session, found[0].case.id)
    if doc is None or doc.status != "signing":
        return [reply("agreements.none_yet")]
    text = " ".join(cmd.args).strip()
    if not text:
        turn.put(PENDING, AwaitComment(doc.id))
        return [question("agreements.ask_comment", version=doc.version)]
    return await _comment(turn, who, doc.id, text)


async def _comment(turn: Turn, who: features.Who, doc_id: int, text: str) -> list[Reply]:
    turn.put(PENDING, None)
    doc = await turn.session.get(Document, doc_id)
    room = await load_room(turn.session, doc.case_id) if doc else None
    member = room.of_user(who.user_id) if room else None
    if doc is None or room is None or member is None:
        return [reply("bot.stale_button")]
    if doc.status != "signing":
        return [reply("agreements.version_not_open", version=doc.version)]
    try:
        body = clean_text(text, max_len=2000, min_len=2)
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)]
    turn.session.add(
        DocumentComment(
            document_id=doc.id,
            case_id=room.case.id,
            member_id=member.id,
            version=doc.version,
            text=body,
            created_at=turn.now,
        )
    )
    mediator = room.of_staff(doc.mediator_staff_id) if doc.mediator_staff_id else None
    address = room.addresses.get(mediator.id) if mediator else None
    if address is not None:
        send(
            turn.out,
            address,
            Msg(
                "agreements.comment_to_mediator",
                {
                    "number": room.case.number,
                    "who": label_of(member),
                    "version": doc.version,
                    "text": body,
                },
            ),
            [[Btn(Msg("agreements.btn_revise"), f"ag:rv:{doc.id}")]],
        )
    return [reply("agreements.comment_sent", version=doc.version)]


@features.command("confirm")
async def confirm_command(turn: Turn, who: features.Who, cmd: Command) -> list[Reply] | None:
    if who.staff is not None:
        return None
    return await confirmation.resend_offer(turn, who.user_id)


@features.command("documents")
async def documents_command(turn: Turn, who: features.Who, cmd: Command) -> list[Reply] | None:
    if who.staff is None:
        return None
    room = await mediated_room(turn, who.staff)
    if isinstance(room, Reply):
        return [room]
    return await records.issue_records(turn, who.staff, room)


# ---------------------------------------------------------------------------- buttons


@features.action("m:close", extends="m:")
async def outcome_step(turn: Turn, who: features.Who, data: str) -> list[Reply] | None:
    """The core's outcome choice, plus "written agreement" while the case is being mediated
    (人民调解法 第二十八条: a written agreement, or an oral one the mediator records)."""
    if who.staff is None or data != "m:close":
        return None
    replies = await room_action(turn, who.staff, data) or []
    found = await active_room(turn, staff_id=who.staff.id)
    if (
        found is not None
        and found[0].case.status == CaseStatus.MEDIATING.value
        and replies
        and replies[-1].text.key == "staff.choose_outcome"
    ):
        last = replies[-1]
        extra = (button("agreements.btn_written", "ag:new"),)
        replies[-1] = Reply(last.text, buttons=(extra, *last.buttons))
    return replies


@features.action("ag:")
async def on_button(turn: Turn, who: features.Who, data: str) -> list[Reply] | None:
    parts = data.split(":")[1:]
    verb, args = parts[0], parts[1:]
    if verb == "ic":
        turn.put(PENDING, None)
        return [reply("agreements.input_cancelled")]
    if verb == "jc":
        return await confirmation_answers.on_action(turn, who, args)
    if verb == "pq":  # 请当事人补填 under the 申请书's missing particulars
        if who.staff is None or not args or not args[0].isdigit():
            return [reply("bot.stale_button")]
        return await records.ask_parties(turn, who.staff, int(args[0]))
    if verb in ("oc", "rc"):
        if len(args) != 2 or args[0] not in ("y", "n") or not args[1].isdigit():
            return [reply("bot.stale_button")]
        handler = oral.on_action if verb == "oc" else record_check.on_action
        return await handler(turn, who, args[0], int(args[1]))
    if verb in _DRAFT_VERBS or verb in ("new", "rv", "rt"):
        if who.staff is None:
            return [reply("staff.not_allowed")]
        if verb in _DRAFT_VERBS:
            return await drafting.on_action(turn, who.staff, data)
        if verb == "new":
            found = await active_room(turn, staff_id=who.staff.id)
            if found is None:
                return [mediators.no_case(who.staff)]
            return await drafting.start(turn, who.staff, found[0])
        if not args or not args[0].isdigit():
            return [reply("bot.stale_button")]
        if verb == "rv":
            return await versions.revise(turn, who.staff, int(args[0]))
        return await _retry(turn, who, int(args[0]))
    if not args or not args[0].isdigit():
        return [reply("bot.stale_button")]
    doc = await turn.session.get(Document, int(args[0]))
    room = await load_room(turn.session, doc.case_id) if doc and doc.kind == AGREEMENT else None
    if doc is None or room is None:
        return [reply("bot.stale_button")]
    try:
        signer = await signing.resolve_signer(
            turn.session, doc, room, user_id=who.user_id, staff=who.staff
        )
        if verb == "rs":
            return _resend(turn, room, doc, signer.member.id)
        signing.check_open(doc, room, args[1] if verb == "ty" and len(args) > 1 else None)
        if verb == "ty":
            await signing.precheck(turn.session, doc, signer)
    except SignRefusedError as exc:
        return [Reply(exc.msg)]
    if verb == "ty":
        turn.put(PENDING, AwaitTypedName(doc.id, doc.sha256))
        hint = mask_name(signer.expected_name)
        return [
            question("agreements.ask_typed_name", version=doc.version, sha=doc.sha256, hint=hint)
        ]
    if verb == "no":
        turn.put(PENDING, AwaitDeclineReason(doc.id))
        return [question("agreements.ask_decline_reason", version=doc.version)]
    if verb == "cm":
        turn.put(PENDING, AwaitComment(doc.id))
        return [question("agreements.ask_comment", version=doc.version)]
    return [reply("bot.stale_button")]


async def _retry(turn: Turn, who: features.Who, doc_id: int) -> list[Reply]:
    doc = await turn.session.get(Document, doc_id, with_for_update=True)
    if doc is None or doc.render_status != "failed":
        return [reply("bot.stale_button")]
    room = await load_room(turn.session, doc.case_id)
    if room is None or who.staff is None or room.case.mediator_id != who.staff.id:
        return [reply("staff.not_allowed")]
    doc.render_status, doc.render_error = "pending", None
    wake_after_commit(turn.session, turn.shared)
    return [reply("agreements.retrying")]


# ---------------------------------------------------------------------------- free text


@features.message_hook
async def on_text(turn: Turn, who: features.Who) -> list[Reply] | None:
    payload = turn.event.payload
    if not isinstance(payload, intake.TextInput):
        return None
    if turn.get(STAFF_INPUT) or turn.get(JOINING):
        return None  # the core asked something first
    draft = turn.get(DRAFTING)
    if who.staff is not None and draft:
        return await drafting.on_text(turn, who.staff, draft, payload.text)
    pending = turn.get(PENDING)
    if pending is None:
        if turn.state(INPUT) is not None:
            turn.put(PENDING, None)  # a wait that no longer reads: over
        return None
    if isinstance(pending, AwaitServiceAddress | AwaitPhone | AwaitCourtName):
        return await confirmation_answers.on_text(turn, who, pending, payload.text)
    if isinstance(pending, AwaitOralTerms):
        if who.staff is None:
            turn.put(PENDING, None)
            return None
        return await oral.record_terms(turn, who.staff, pending, payload.text)
    if isinstance(pending, AwaitObjection):
        return await oral.objection(turn, who, pending.doc, payload.text)
    if isinstance(pending, AwaitComment):
        return await _comment(turn, who, pending.doc, payload.text)
    return await _sign_text(turn, who, pending, payload.text)


async def _sign_text(
    turn: Turn, who: features.Who, pending: AwaitTypedName | AwaitDeclineReason, text: str
) -> list[Reply]:
    doc = await turn.session.get(Document, pending.doc, with_for_update=True)
    room = await load_room(turn.session, doc.case_id, lock=True) if doc else None
    if doc is None or room is None:
        turn.put(PENDING, None)
        return [reply("bot.stale_button")]
    try:
        signer = await signing.resolve_signer(
            turn.session, doc, room, user_id=who.user_id, staff=who.staff
        )
        if isinstance(pending, AwaitDeclineReason):
            reason = clean_text(text, max_len=1000, min_len=2)
            await signing.decline(
                turn.session,
                doc,
                room,
                signer,
                reason,
                now=turn.now,
                out=turn.out,
                channel="telegram",
            )
            turn.put(PENDING, None)
            return [reply("agreements.declined_ok", version=doc.version)]
        sealing = await signing.sign(
            turn.session,
            services_of(turn.shared),
            doc,
            room,
            signer,
            sha=pending.sha,
            now=turn.now,
            out=turn.out,
            channel="telegram",
            typed_name=text,
            evidence=evidence.of_chat(
                turn.event, await turn.session.get(User, who.user_id), who.staff
            ),
        )
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)]
    except SignRefusedError as exc:
        if exc.key != "agreements.name_mismatch":
            turn.put(PENDING, None)
        return [Reply(exc.msg)]
    turn.put(PENDING, None)
    if sealing:
        wake_after_commit(turn.session, turn.shared)
    return []
