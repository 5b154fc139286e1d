"""``/law``: article cards from the knowledge base, and posting them into the room.

Anyone may look up an article (``/law 民法典1084条``) or search (``/law 拖欠工资``); the card shows
the KB's text of the version in force today, after the KB's citation check. A lawyer (or the
case's mediator) in a room gets a button to post the card there: it goes to their current
audience, with their role label, and is kept in the record. The citation is checked again when
posted, so a card never carries a citation the KB does not vouch for.
"""

from __future__ import annotations

import logging

from features.lawyers import assistant
from features.lawyers.context import LAW_CARDS, context_of
from legal_kb.service import KnowledgeBase
from mediation.permissions import Action
from mediation.replies import Msg, Reply, button, reply
from mediation.room import RelayRefusal, route_message
from services import mediators
from services.features import Who
from services.room import Room
from services.slots import TARGET
from services.turn import Turn, active_room
from storage.models import CaseMember, CaseMessage

log = logging.getLogger(__name__)

PROBLEM_KEYS = frozenset(
    {
        "unknown_law",
        "no_such_article",
        "no_such_paragraph",
        "repealed",
        "historical",
        "not_yet_effective",
    }
)


async def _poster_room(turn: Turn, who: Who) -> tuple[Room, CaseMember] | None:
    """The room a staff member may post cards to (they can speak there), if any."""
    if who.staff is None:
        return None
    found = await active_room(turn, staff_id=who.staff.id)
    if found is None or not mediators.may(who.staff, found[0], Action.SPEAK, turn.units):
        return None
    return found


Card = tuple[str, str | None, str, str]  # citation, chapter, text, status


async def _find(kb: KnowledgeBase, query: str) -> list[Card] | Reply:
    """Cards for a citation (checked) or a question (search, then checked)."""
    check = await kb.lookup(query)
    if check is not None:
        if not (check.ok and check.in_force) or check.article is None:
            problem = check.problem if check.problem in PROBLEM_KEYS else "not_in_force"
            return reply(f"lawyers.cite_{problem}", citation=check.citation.short)
        return [
            (check.citation.short, check.article.chapter, check.article.text, check.article.status)
        ]
    hits = [h for h in await kb.search(query, top=assistant.TOP_ARTICLES) if h.in_force]
    return [(r.citation, r.chapter, r.text, r.status) for r in await assistant.verified(kb, hits)]


async def law(turn: Turn, who: Who, query: str) -> list[Reply]:
    ctx = context_of(turn.shared)
    if ctx is None or ctx.kb is None:
        return [reply("lawyers.assistant_unavailable")]
    query = query.strip()[:300]
    if not query:
        return [reply("lawyers.law_usage")]
    try:
        found = await _find(ctx.kb, query)
    except Exception:
        log.exception("the knowledge base could not answer a /law look-up")
        return [reply("lawyers.assistant_unavailable")]
    if isinstance(found, Reply):
        return [found]
    cards = found
    if not cards:
        return [reply("lawyers.law_nothing")]
    room = await _poster_room(turn, who)
    turn.put(LAW_CARDS, [c[0] for c in cards] if room else None)
    replies = []
    for i, (citation, chapter, text, status) in enumerate(cards):
        post = ((button("lawyers.btn_post", f"l:card:{i}", citation=citation),),) if room else ()
        replies.append(assistant.card_reply(citation, chapter, text, status, post))
    return replies


async def post(turn: Turn, who: Who, index: str) -> list[Reply]:
    """Post card ``index`` of the last ``/law`` into the room, to the current audience."""
    ctx = context_of(turn.shared)
    cited = turn.get(LAW_CARDS) or []
    if ctx is None or ctx.kb is None or not index.isdigit() or int(index) >= len(cited):
        return [reply("bot.stale_button")]
    found = await _poster_room(turn, who)
    if found is None:
        return [reply("room.no_active_case")]
    room, me = found
    check = await ctx.kb.lookup(cited[int(index)])
    if check is None or not (check.ok and check.in_force) or check.article is None:
        return [reply("lawyers.cite_not_in_force", citation=cited[int(index)])]
    citation, article = check.citation.short, check.article
    target = turn.get(TARGET)
    targets = target.members_in(room.case.id) if target is not None else None
    decision = route_message(room.state, me.id, targets)
    if decision is RelayRefusal.NO_TARGET:
        return [reply("lawyers.choose_target_first")]
    if isinstance(decision, RelayRefusal):
        return [reply(f"room.refused_{decision.value}")]
    turn.session.add(
        CaseMessage(
            case_id=room.case.id,
            author_member_id=me.id,
            kind="text",
            text=f"{citation}\n{article.text}",
            data={"card": citation},
            audience=list(decision.recipients),
            channel=turn.out.sender.channel,
            created_at=turn.now,
        )
    )
    card = assistant.card_reply(citation, article.chapter, article.text, article.status)
    for member_id in decision.recipients:
        address = room.addresses.get(member_id)
        if address is not None:
            turn.out.send(
                address,
                Reply(Msg("lawyers.card_posted", {"header": room.header(me), "card": card.text})),
            )
    return [reply("lawyers.card_sent", citation=citation)]
