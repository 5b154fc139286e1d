"""The statute hints a party gets right after filing (issue 4), shown only when likely right
(issue 19).

Why so strict: a hint is read as "the law says this about my case". Before issue 19 the three
best search hits were always shown, and they were wrong more often than right (a 装修 dispute got
民法典 第九百六十七条 合伙合同 and 第三百零一条 共有). Now an article is shown only if it is

* in the dispute's own field of law (:data:`legal_kb.disputes.HINT_FIELDS`: a 装修 dispute gets
  承揽/建设工程 and breach of contract, never 合伙; "其他" gets none), and
* found with enough confidence (:func:`confidence` ≥ :data:`MIN_CONFIDENCE`, a threshold
  measured by ``benchmarks/intake_hints.py``, docs/benchmarks.md), or it is the article holding a
  rule the facts ask about (:mod:`legal_kb.rules`: 利息上限, 赔偿标准…).

None is better than a wrong one: the party can always ask with ``/law`` or ``/ask``.

Sent after the filing transaction commits, in a transaction of its own (the search must not
hold the write lock), and only when the knowledge base is ready. Only articles in force are
shown, and every citation shown comes from the knowledge base itself.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from legal_kb.disputes import HINT_FIELDS
from legal_kb.records import Hit
from mediation.replies import Msg, Reply
from services.delivery import Address, Outgoing
from services.outbox import QueuedMessage
from storage.db import Database

log = logging.getLogger(__name__)
SNIPPET = 80
#: At most this many articles are shown.
MAX_SHOWN = 1
#: How many of the search's best hits are considered at all.
CANDIDATES = 10
#: The least :func:`confidence` of a hit shown (measured: docs/benchmarks.md, issue 19).
MIN_CONFIDENCE = 0.9


def in_field(dispute_type: str, hit: Hit) -> bool:
    """Whether ``hit`` is in the dispute type's own field of law."""
    scopes = HINT_FIELDS.get(dispute_type, ())
    return any(s.law == hit.law_short and s.covers(hit.number) for s in scopes)


def confidence(hit: Hit, hits: Sequence[Hit], summary: str) -> float:
    """How sure the search is of ``hit`` for this summary, 0–1: its score against the best
    hit's (scores are comparable only within one search), discounted when the article shares
    fewer than two distinct words with what the party wrote."""
    best = max((h.score for h in hits), default=0.0)
    if best <= 0:
        return 0.0
    words = {hit.text[s:e] for s, e in hit.highlights}
    shared = min(len(words), 2) / 2
    return max(hit.score, 0.0) / best * shared


async def select_articles(kb: Any, dispute_type: str, summary: str) -> list[Hit]:
    """The articles to show for a new case: the topic rules the facts ask about, then the
    confident hits, all in force and in the dispute's field; possibly none."""
    hits = [
        h
        for h in await kb.articles_for_dispute(dispute_type, summary, top=CANDIDATES)
        if h.in_force
    ]
    rules = [r for r in await kb.key_rules(summary, dispute_type) if in_field(dispute_type, r)]
    sure = [
        h
        for h in hits
        if in_field(dispute_type, h) and confidence(h, hits, summary) >= MIN_CONFIDENCE
    ]
    chosen = rules + [h for h in sure if all(h.id != r.id for r in rules)]
    return chosen[:MAX_SHOWN]


async def suggest_law(
    db: Database, kb: Any, to: Address, dispute_type: str, summary: str
) -> list[QueuedMessage]:
    if kb is None or not kb.status().keyword_ready:
        return []
    hits = await select_articles(kb, dispute_type, summary)
    if not hits:  # typical cases alone are not sent either: they were chosen as loosely
        log.info("no statute hint confident enough for a %s case", dispute_type)
        return []
    cases = await kb.similar_cases(summary, dispute_type=dispute_type, top=2)
    lines: list[Msg] = [Msg("hints.articles_header")]
    for hit in hits:
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
