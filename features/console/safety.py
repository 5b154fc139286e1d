"""Risk on every message: what parties write is assessed as they write it (issue 20).

The core announces a filed case and every party's words (``services.case_watch``); this module
listens (:func:`watch_filed`, :func:`watch_words`), so the console's rules, alerts and risk
tables stay in the console.

Why in the turn's own transaction: the case's level, the timeline entry saying which words
matched which rule, the console's alert rows, the mediator's chat message and the room's safety
notice are written together with the message itself — a threat is never stored without its
alert, and an alert never points at a message that was rolled back. The console's sweep
(``features.console.risk``) stays as the safety net for cases filed by other routes.

What is assessed: the intake's facts and claims when the case is filed, and every party's text
in the room on any channel — typed messages, captions of photos and files, and confirmed voice
transcripts. Staff messages are not (a mediator quoting a threat is not one).

What a match does:

* The case's level only goes up (a human lowers it); each match is a ``risk`` case event with the
  rules, the words that matched, where they were written and by whom — also when the level is
  already that high, so the timeline explains every signal.
* 较大 and above alert the case's mediator in the chat and the staff of the units the level
  reaches (``mediation.risk.alert_units``: the unit's chain up to the level that handles such a
  risk) in the console; a new alert is written when the level rises or when no alert of that
  level is still open for the case (so a second threat after staff handled the first alerts
  again, and a flurry of messages alerts once).
* The rule's safety notice (110 / 120 / 12338 / 12355 / 12348, ``risk.notice.*``) goes into
  the room — to everyone, only to the writer for self-harm and domestic violence, to the
  writer and the mediator in a back-to-back room — at most once a day per case and kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select

from features.console.alerts import AlertNotice, write_alerts
from features.console.models import Alert, CaseRiskAssessment
from features.console.risk import RiskService
from i18n import translate
from mediation import risk as domain
from mediation.masking import scrub_digits
from mediation.replies import Msg, Reply
from mediation.risk import RiskAssessment, RiskLevel, RiskRule
from mediation.room import PARTY_ROLES, Mode, Role
from services import case_watch
from services.case_watch import Scene, on_case_filed, on_party_words
from services.cases import add_event
from services.delivery import staff_addresses
from services.room import Room, announce, label_of
from storage.models import Case, CaseMember, CaseMessage, StaffAccount

#: Where the words were written (catalog ``risk.source.*``).
SOURCES = ("intake", "room", "caption", "voice")
#: A room gets the same kind of safety notice at most this often.
NOTICE_EVERY = timedelta(hours=24)
_PARTIES = frozenset(r.value for r in PARTY_ROLES)


@on_case_filed
async def watch_filed(scene: Scene, case: Case) -> None:
    """A case just filed: its facts and claims (and type and head count) against the rules."""
    await _watch(scene, case, [case.facts or "", case.claims or ""], "intake", None, None)


@on_party_words
async def watch_words(scene: Scene, room: Room, member: CaseMember, text: str, source: str) -> None:
    """A party's words in the room (``source``: room, caption or voice — a voice message as
    soon as its transcript is ready, before the speaker confirms it: a threat said aloud must
    not wait for a button press). Staff messages are not assessed."""
    if member.role in _PARTIES and text.strip():
        await _watch(scene, room.case, [text], source, room, member)


async def _watch(
    scene: Scene,
    case: Case,
    texts: Sequence[str],
    source: str,
    room: Room | None,
    author: CaseMember | None,
) -> RiskAssessment:
    session = scene.session
    rules = await RiskService.rules(session)
    result = domain.assess(case.dispute_type, texts, rules)
    if not result.matches and source != "intake":
        return result
    # Two parties may write at once: read the level under a row lock so neither lowers it.
    locked = await session.execute(
        select(Case)
        .where(Case.id == case.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    case = locked.scalar_one()
    codes = [m.code for m in result.matches]
    await _remember(scene, case.id, result, codes)
    if not result.matches:
        return result
    current = domain.parse_level(case.risk)
    level = domain.higher(current, result.level)
    words = _words(result)
    case.risk = level.value
    add_event(
        session,
        case.id,
        scene.now,
        _actor(author, case),
        kind="risk",
        data={
            "from": current.value,
            "to": level.value,
            "rules": codes,
            "evidence": [list(m.evidence) for m in result.matches],
            "source": source,
            "role": author.role if author is not None else "applicant",
        },
    )
    raised = domain.RANK[level] > domain.RANK[current]
    await case_watch.risk_raised(session, case, current, scene.now)
    if domain.needs_alert(result.level) and (raised or not await _open_alert(scene, case, level)):
        data = {"source": source, "words": words}
        notice = await write_alerts(
            session, scene.units, case, level, "risk", tuple(codes), scene.now, data=data
        )
        await _tell_staff(scene, notice, rules, words, author, source)
    await _safety_notices(scene, case, result, rules, room, author)
    return result


async def _remember(scene: Scene, case_id: int, result: RiskAssessment, codes: list[str]) -> None:
    """The assessment record the console's sweep reads ("assessed already")."""
    record = await scene.session.get(CaseRiskAssessment, case_id)
    if record is None:
        scene.session.add(
            CaseRiskAssessment(
                case_id=case_id, assessed_at=scene.now, level=result.level.value, rules=codes
            )
        )
        return
    record.assessed_at = scene.now
    record.rules = list(dict.fromkeys([*record.rules, *codes]))
    record.level = domain.higher(domain.parse_level(record.level), result.level).value


def _words(result: RiskAssessment) -> list[str]:
    """The words that matched (not the head counts), digits masked, each once."""
    found = [w for m in result.matches for w in m.evidence if not w.startswith("≥")]
    return [scrub_digits(w) for w in dict.fromkeys(found)]


def _actor(author: CaseMember | None, case: Case) -> str:
    if author is not None and author.user_id is not None:
        return f"user:{author.user_id}"
    return f"user:{case.created_by_user_id}" if case.created_by_user_id else "system"


async def _open_alert(scene: Scene, case: Case, level: RiskLevel) -> bool:
    """Whether a risk alert of this level or above is still waiting for staff on the case."""
    levels = [lv.value for lv in RiskLevel if domain.RANK[lv] >= domain.RANK[level]]
    found = await scene.session.execute(
        select(Alert.id)
        .where(
            Alert.case_id == case.id,
            Alert.kind == "risk",
            Alert.acknowledged_at.is_(None),
            Alert.level.in_(levels),
        )
        .limit(1)
    )
    return found.first() is not None


def _rule_name(rule: RiskRule, language: str) -> str:
    return rule.name or translate(language, f"console.rule.{rule.code}")


async def _tell_staff(
    scene: Scene,
    notice: AlertNotice,
    rules: Sequence[RiskRule],
    words: list[str],
    author: CaseMember | None,
    source: str,
) -> None:
    """The alert in the chat of every recipient the chat reaches — their linked Telegram, else
    the browser chat of their account's phone (``services.delivery.staff_addresses``), once
    each: the case, the level, who wrote what where, and which rules — never a party's name or
    phone number. Without the browser, a mediator who uses only it heard of a threat in the
    console alone."""
    if not notice.recipients:
        return
    rows = await scene.session.execute(
        select(StaffAccount).where(StaffAccount.id.in_([r.staff_id for r in notice.recipients]))
    )
    addresses = await staff_addresses(scene.session, rows.scalars())
    if not addresses:
        return
    by_code = {r.code: r for r in rules}
    base = scene.public_url
    link = f"{base.rstrip('/')}/staff/cases/{notice.case_id}" if base else ""
    who = label_of(author) if author is not None else Msg("role.applicant")
    for r in notice.recipients:
        address = addresses.get(r.staff_id)
        if address is None:
            continue
        language = address.language or "zh-CN"
        names = "、".join(_rule_name(by_code[c], language) for c in notice.reasons if c in by_code)
        message = Msg(
            "risk.alert",
            {
                "number": notice.case_number,
                "level": Msg(f"console.risk.{notice.level.value}"),
                "who": who,
                "source": Msg(f"risk.source.{source}"),
                "words": "、".join(f"「{w}」" for w in words) or "—",
                "rules": names or "—",
                "link": link,
            },
        )
        scene.out.send(address, Reply(message))


async def _safety_notices(
    scene: Scene,
    case: Case,
    result: RiskAssessment,
    rules: Sequence[RiskRule],
    room: Room | None,
    author: CaseMember | None,
) -> None:
    by_code = {r.code: r for r in rules}
    kinds = dict.fromkeys(by_code[m.code].notice for m in result.matches if by_code[m.code].notice)
    for kind in kinds:
        message = Msg(f"risk.notice.{kind}")
        if room is None:  # the intake: the person who filed is the one reading
            scene.out.reply(Reply(message))
            continue
        audience = _audience(room, kind, author)
        if await _noticed_lately(scene, case, message.key, [m.id for m in audience]):
            continue
        await announce(scene.session, room, message, scene.out, scene.now, audience=audience)


def _audience(room: Room, kind: str, author: CaseMember | None) -> list[CaseMember]:
    """Who reads the notice: the writer alone for self-harm and domestic violence; in a
    back-to-back room (the other side did not see the words) the writer and the mediator;
    otherwise everyone present but volunteer lawyers (the mediator sees what parties see)."""
    if author is not None and kind in domain.NOTICE_TO_SPEAKER_ONLY:
        return [author]
    present = [m for m in room.present() if m.role != Role.LAWYER.value]
    if author is not None and room.case.room_mode != Mode.JOINT.value:
        return [m for m in present if m.id == author.id or m.role == Role.MEDIATOR.value]
    return present


async def _noticed_lately(scene: Scene, case: Case, key: str, member_ids: list[int]) -> bool:
    """Whether these people were all given this notice in the last day (the record's text is
    encrypted, so the day's few room events are compared here, not in SQL)."""
    rows = await scene.session.execute(
        select(CaseMessage.text, CaseMessage.audience).where(
            CaseMessage.case_id == case.id,
            CaseMessage.kind == "event",
            CaseMessage.created_at >= scene.now - NOTICE_EVERY,
        )
    )
    told = {int(i) for text, audience in rows if text == key for i in audience}
    return set(member_ids) <= told
