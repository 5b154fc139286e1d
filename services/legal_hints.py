"""After a dispute is filed: the articles and typical cases most relevant to it.

Runs after the filing transaction has committed (a search takes milliseconds to tens of
milliseconds and must not hold the write lock), and only when the knowledge base is ready;
otherwise nothing is sent — the party can always ask with ``/law`` or ``/ask``. Only articles in
force are shown, and every citation shown comes from the knowledge base itself.
"""

from __future__ import annotations

import logging
from typing import Any

from mediation.replies import Msg, Reply
from services.delivery import Address, Outgoing
from services.outbox import QueuedMessage
from storage.db import Database

log = logging.getLogger(__name__)
SNIPPET = 80


async def suggest_law(
    db: Database, kb: Any, to: Address, dispute_type: str, summary: str
) -> list[QueuedMessage]:
    if kb is None or not kb.status().keyword_ready:
        return []
    hits = [h for h in await kb.articles_for_dispute(dispute_type, summary, top=5) if h.in_force]
    # The interpretation holding the rule the summary asks about (利息上限, 赔偿标准…) first.
    rules = await kb.key_rules(summary, dispute_type)
    hits = rules + [h for h in hits if all(h.id != r.id for r in rules)]
    cases = await kb.similar_cases(summary, dispute_type=dispute_type, top=2)
    if not hits and not cases:
        return []
    lines: list[Msg] = [Msg("hints.articles_header")]
    for hit in hits[:3]:
        text = hit.text if len(hit.text) <= SNIPPET else hit.text[:SNIPPET] + "…"
        lines.append(Msg("hints.article", {"citation": hit.labelled_citation, "text": text}))
    if cases:
        lines.append(Msg("hints.cases_header"))
        lines += [Msg("hints.case", {"title": c.title}) for c in cases]
    lines.append(Msg("hints.footer"))
    out = Outgoing(to)
    out.reply(Reply(Msg("common.lines", {"lines": lines})))
    async with db.write() as session:
        return await out.flush(session)
