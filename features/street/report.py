"""``/report``: a grid worker, officer or mediator registers a dispute from the phone, in the chat.

A guided dialogue, one question at a time, each answerable with what is known on the spot: the
type (buttons), the place, what happened, who is involved, the 110 警情 number (跳过 when the
police did not refer it), then the parties one by one — side, name (不知道 is an answer), phone
(不知道 / 跳过) — photos and voice notes (accepted at any step, kept as evidence), a summary and
确认提交. On submission each party's invitation is shown at once as a link, a code and a QR
code the party can scan from the reporter's screen.

A voice note goes through the voice feature's pipeline (``features.voice.dictation``, as the
intake's spoken answers do): the recording is kept as evidence, its transcript comes back to the
reporter alone with its confidence (a doubtful one flagged) and 确认/修改, and only the
confirmed — or corrected — text joins the facts, marked （语音转写） (or （本人输入） when
corrected). Spoken at "what happened", it answers that question.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import features.voice.dictation as dictation
from features.street import registration, sms
from features.street.config import street_directory
from i18n import translate
from mediation import intake
from mediation import invitations as inv
from mediation.disputes import DisputeType
from mediation.masking import mask_phone
from mediation.replies import Button, Msg, Reply, button, reply
from mediation.staff_permissions import Action, can
from mediation.street import is_unknown, party_name, police_ref
from mediation.validation import InvalidInput, clean_text, normalise_phone
from services import features, invites
from services.chat_state import record_slot
from services.features import Who
from services.inbound import Command
from services.outgoing import QrCode
from services.staff_alerts import Policy
from services.turn import Turn

STATE = "street_report"
features.awaits(STATE, __name__)

MAX_PARTIES = 20
MAX_EVIDENCE = 20
#: Voice notes in /report: transcripts whose 确认/修改 buttons are ``rv:ok:<id>``/``rv:edit:<id>``.
REPORT = dictation.declare(dictation.Dictation("report", "rv:", "street.voice_"))


@dataclass(frozen=True)
class Draft:
    step: str = "type"
    dispute_type: str = ""
    place: str = ""
    facts: str = ""
    involved: str | None = None
    police_ref: str | None = None
    parties: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    side: str = ""
    name: str | None = None
    #: Transcripts of this report's voice notes; the confirmed ones' texts as the facts keep
    #: them (marked); the transcript whose correction the next text is.
    voices: list[int] = field(default_factory=list)
    spoken: list[str] = field(default_factory=list)
    editing: int | None = None

    def all_facts(self) -> str:
        """What happened, as typed and as spoken (each confirmed transcript on its own line)."""
        return "\n".join(part for part in (self.facts, *self.spoken) if part)


DRAFT = record_slot(STATE, Draft)

TEXT_STEPS = ("place", "facts", "involved", "police", "name", "phone")


def question(draft: Draft) -> Reply:
    """The question of the step the draft stands at."""
    step = draft.step
    if step == "type":
        types = tuple((button(f"dispute.{t.value}", f"rp:type:{t.value}"),) for t in DisputeType)
        return Reply(Msg("street.ask_type"), buttons=types)
    if step in ("involved", "police", "evidence"):
        key = {"involved": "btn_skip", "police": "btn_skip", "evidence": "btn_next"}[step]
        return Reply(Msg(f"street.ask_{step}"), buttons=((button(f"street.{key}", "rp:next"),),))
    if step == "side":
        rows: list[tuple[Button, ...]] = [
            (
                button("street.btn_applicant", "rp:side:applicant"),
                button("street.btn_respondent", "rp:side:respondent"),
            )
        ]
        if draft.parties:
            rows.append((button("street.btn_parties_done", "rp:parties_done"),))
        return Reply(Msg("street.ask_side", {"count": len(draft.parties)}), buttons=tuple(rows))
    if step == "name":
        return Reply(Msg("street.ask_name", {"side": Msg(f"role.{draft.side}")}))
    if step == "phone":
        return Reply(Msg("street.ask_phone"), buttons=((button("street.btn_skip", "rp:next"),),))
    if step == "confirm":
        return summary(draft)
    return Reply(Msg(f"street.ask_{step}"))


def _party_line(p: dict[str, Any]) -> Msg:
    return Msg(
        "street.party_line",
        {
            "side": Msg(f"role.{p['side']}"),
            "name": p["name"] or Msg("street.name_unknown"),
            "phone": p["phone"] or Msg("street.phone_unknown"),
        },
    )


def summary(draft: Draft) -> Reply:
    return Reply(
        Msg(
            "street.summary",
            {
                "type": Msg(f"dispute.{draft.dispute_type}"),
                "place": draft.place,
                "facts": draft.all_facts(),
                "involved": draft.involved or Msg("street.not_given"),
                "police": draft.police_ref or Msg("street.not_given"),
                "parties": [_party_line(p) for p in draft.parties],
                "evidence": len(draft.evidence),
            },
        ),
        buttons=(
            (button("street.btn_submit", "rp:submit"),),
            (button("street.btn_cancel", "rp:cancel"),),
        ),
    )


def _may_report(who: Who) -> bool:
    return who.staff is not None and can(who.staff.role, Action.REGISTER_CASE)


@features.command("report")
async def start(turn: Turn, who: Who, cmd: Command) -> list[Reply] | None:
    if who.staff is None:
        return None  # parties: the core answers an unknown command
    if not _may_report(who):
        return [reply("street.not_allowed")]
    draft = Draft()
    turn.put(DRAFT, draft)
    return [reply("street.report_intro"), question(draft)]


@features.action("rp:")
async def on_button(turn: Turn, who: Who, data: str) -> list[Reply] | None:
    draft = turn.get(DRAFT)
    if draft is None or not _may_report(who):
        return [reply("bot.stale_button")]
    if draft.editing is not None:  # a button instead of the correction: 修改 is let go
        draft = replace(draft, editing=None)
    parts = data.split(":")
    if parts[1] == "cancel":
        turn.put(DRAFT, None)
        return [reply("street.report_cancelled")]
    if parts[1] == "type" and draft.step == "type" and len(parts) == 3:
        try:
            kind = DisputeType(parts[2])
        except ValueError:
            return [reply("bot.stale_button")]
        return _advance(turn, replace(draft, dispute_type=kind.value, step="place"))
    if parts[1] == "next" and draft.step in ("involved", "police", "phone", "evidence"):
        return _skip(turn, draft)
    if parts[1] == "side" and draft.step == "side" and len(parts) == 3:
        if parts[2] not in registration.SIDES:
            return [reply("bot.stale_button")]
        if len(draft.parties) >= MAX_PARTIES:
            return [reply("street.too_many_parties", max=MAX_PARTIES), question(draft)]
        return _advance(turn, replace(draft, side=parts[2], step="name"))
    if parts[1] == "parties_done" and draft.step == "side":
        missing = registration.ReportIn(
            DisputeType(draft.dispute_type), "", "", tuple(_parties(draft))
        ).missing_side()
        if missing is not None:
            return [reply("street.need_side", side=Msg(f"role.{missing}")), question(draft)]
        return _advance(turn, replace(draft, step="evidence"))
    if parts[1] == "submit" and draft.step == "confirm":
        return await _submit(turn, who, draft)
    return [reply("bot.stale_button"), question(draft)]


def _advance(turn: Turn, draft: Draft) -> list[Reply]:
    turn.put(DRAFT, draft)
    return [question(draft)]


def _skip(turn: Turn, draft: Draft) -> list[Reply]:
    if draft.step == "involved":
        return _advance(turn, replace(draft, involved=None, step="police"))
    if draft.step == "police":
        return _advance(turn, replace(draft, police_ref=None, step="side"))
    if draft.step == "phone":
        return _add_party(turn, draft, None)
    return _advance(turn, replace(draft, step="confirm"))


def _add_party(turn: Turn, draft: Draft, phone: str | None) -> list[Reply]:
    party = {"side": draft.side, "name": draft.name, "phone": phone}
    added = replace(draft, parties=[*draft.parties, party], side="", name=None, step="side")
    turn.put(DRAFT, added)
    return [reply("street.party_added", line=_party_line(party)), question(added)]


def _parties(draft: Draft) -> list[registration.PartyIn]:
    return [registration.PartyIn(p["side"], p["name"], p["phone"]) for p in draft.parties]


@features.message_hook
async def on_message(turn: Turn, who: Who) -> list[Reply] | None:
    draft = turn.get(DRAFT)
    if draft is None or who.staff is None:
        return None
    payload = turn.event.payload
    if isinstance(payload, intake.FileInput):
        if len(draft.evidence) >= MAX_EVIDENCE:
            return [reply("street.too_much_evidence", max=MAX_EVIDENCE), question(draft)]
        item = {
            "kind": payload.kind,
            "ref": payload.ref,
            "name": payload.name,
            "mime_type": payload.mime_type,
            "size": payload.size,
        }
        kept = replace(draft, evidence=[*draft.evidence, item])
        if payload.kind == "voice":  # kept, and transcribed: the notice says so
            t = await dictation.accept(turn, REPORT, draft.step, payload)
            kept = replace(kept, voices=[*kept.voices, t.id])
            turn.put(DRAFT, kept)
            return [question(kept)]
        turn.put(DRAFT, kept)
        return [reply("street.evidence_kept", count=len(kept.evidence)), question(kept)]
    if isinstance(payload, intake.TextInput) and draft.editing is not None:
        corrected = await _correction(turn, draft, payload.text)
        if corrected is not None:
            return corrected
        draft = replace(draft, editing=None)
    if not isinstance(payload, intake.TextInput) or draft.step not in TEXT_STEPS:
        return [reply("street.use_buttons"), question(draft)]
    try:
        return _answer(turn, draft, payload.text)
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params), question(draft)]


@features.action("rv:")
async def on_voice_button(turn: Turn, who: Who, data: str) -> list[Reply] | None:
    """确认/修改 under a voice note's transcript (``rv:ok:<id>``, ``rv:edit:<id>``)."""
    draft = turn.get(DRAFT)
    verb, _, raw_id = data.removeprefix("rv:").partition(":")
    if draft is None or not _may_report(who) or verb not in ("ok", "edit") or not raw_id.isdigit():
        return [reply("voice.gone")]
    t = await dictation.own(turn, REPORT, int(raw_id))
    if t is None or t.id not in draft.voices:
        return [reply("voice.gone"), question(draft)]
    if t.status == "confirmed":
        return [reply("voice.already_confirmed"), question(draft)]
    if t.status != "ready":
        return [reply("voice.gone"), question(draft)]
    if verb == "edit":
        turn.put(DRAFT, replace(draft, editing=t.id))
        return [reply("street.voice_edit_prompt", text=t.text or "")]
    dictation.confirm(turn, t)
    return _spoken(turn, draft, dictation.record_text(t))


async def _correction(turn: Turn, draft: Draft, text: str) -> list[Reply] | None:
    """The corrected transcript typed after 修改; None when it is no longer open (the text is
    then an ordinary answer)."""
    assert draft.editing is not None
    t = await dictation.own(turn, REPORT, draft.editing)
    if t is None or t.status != "ready" or t.id not in draft.voices:
        return None
    try:
        cleaned = clean_text(text, max_len=2000, min_len=2)
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)]  # still correcting
    dictation.correct(turn, t, cleaned)
    return _spoken(turn, replace(draft, editing=None), dictation.record_text(t))


def _spoken(turn: Turn, draft: Draft, marked: str) -> list[Reply]:
    """A confirmed transcript joins the facts; spoken at "what happened", it answers it."""
    added = replace(draft, spoken=[*draft.spoken, marked])
    if added.step == "facts":
        added = replace(added, step="involved")
    turn.put(DRAFT, added)
    return [reply("street.voice_confirmed"), question(added)]


def _answer(turn: Turn, draft: Draft, text: str) -> list[Reply]:
    step = draft.step
    if step == "place":
        return _advance(turn, replace(draft, place=clean_text(text, max_len=200), step="facts"))
    if step == "facts":
        facts = clean_text(text, max_len=2000, min_len=4)
        return _advance(turn, replace(draft, facts=facts, step="involved"))
    if step == "involved":
        involved = clean_text(text, max_len=500)
        return _advance(turn, replace(draft, involved=involved, step="police"))
    if step == "police":
        return _advance(turn, replace(draft, police_ref=police_ref(text), step="side"))
    if step == "name":
        return _advance(turn, replace(draft, name=party_name(text), step="phone"))
    return _add_party(turn, draft, None if is_unknown(text) else normalise_phone(text))


async def _submit(turn: Turn, who: Who, draft: Draft) -> list[Reply]:
    assert who.staff is not None
    recordings = await dictation.kept(turn.session, draft.voices)
    report = registration.ReportIn(
        dispute_type=DisputeType(draft.dispute_type),
        place=draft.place,
        facts=draft.all_facts(),
        parties=tuple(_parties(draft)),
        involved=draft.involved,
        police_ref=draft.police_ref,
        evidence=tuple(
            registration.EvidenceIn(
                str(e["kind"]),
                str(e["ref"]),
                e.get("name"),
                e.get("mime_type"),
                e.get("size"),
                stored=recordings.get(str(e["ref"])),
            )
            for e in draft.evidence
        ),
    )
    settings = turn.settings
    done = await registration.register(
        turn.session,
        report,
        reporter=who.staff,
        channel=turn.event.channel,
        units=turn.units,
        street=street_directory(settings.units_file, turn.units),
        out=turn.out,
        now=turn.now,
        local_year=turn.now.astimezone(settings.tz).year,
        invite_ttl=turn.invite_ttl,
        tz=settings.tz,
        quiet=Policy.of(settings),
    )
    turn.put(DRAFT, None)
    case = done.case
    await dictation.attach(turn.session, draft.voices, case.id)
    unit_name = turn.units.by_code[case.unit_code].name
    turn.out.reply(
        reply("street.registered", number=case.number, unit=unit_name, count=len(done.invitations))
    )
    gateway = sms.usable(turn.shared.sms_gateway)
    texts: list[sms.SmsInvite] = []
    for party, issued in done.invitations:
        if gateway is not None and party.phone:
            texts.append(sms.SmsInvite(party.phone, unit_name, issued.code))
        link = turn.deep_link(issued.token)
        who_line = _party_line(
            {"side": party.side, "name": party.name or None, "phone": party.phone}
        )
        params = {"who": who_line, **invite_params(issued)}
        if link is None:
            turn.out.reply(Reply(Msg("street.invite_code_only", params)))
            continue
        turn.out.reply(Reply(Msg("street.invite_party", {**params, "link": link})))
        caption = translate(turn.conv.language, Msg("street.qr_caption", {"who": who_line}))
        turn.out.send_message(turn.out.sender, QrCode(link, caption))
    if gateway is not None and texts:
        phones = "、".join(mask_phone(t.phone) for t in texts)
        turn.out.reply(reply("street.sms_sent", phones=phones))
        turn.after_commit.append(sms.after_commit(gateway, texts))
    return []


def invite_params(issued: invites.IssuedInvite) -> dict[str, object]:
    return {"code": inv.format_code(issued.code)}
