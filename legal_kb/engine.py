"""The search engine proper: synchronous, CPU-bound, thread-safe for concurrent searches.

Pipeline for a question (each step is a general method, none is tuned to particular questions):

1. Citations in the question (民法典第1084条) are looked up directly and put first.
2. Query understanding (:mod:`legal_kb.query`): sub-questions, weighted keyword terms.
3. Two retrievers: BM25 over article body + context (law title, chapter, section), and dense
   e5 similarity of the whole question and of each sub-question (once the dense index is ready).
4. Reranking (:mod:`legal_kb.rerank`): the union of the top 100 of each ranking is scored by
   a linear model over general features (score gaps, law- and chapter-level evidence,
   neighbouring articles, keyword coverage, a prior for large laws). Before the dense index is
   ready, the keyword ranking is used as it is.
5. Kind prior and region (issue 22): the score of an article of a judicial interpretation,
   regulation, ministry rule or local regulation is lowered by :data:`KIND_PRIOR` (the hierarchy
   of norms), and local regulations outside the units' regions are never candidates.
6. Highlights: spans of the article text that contain the question's terms.

The service calls this from a worker thread (:mod:`legal_kb.service`); the CLI calls it
directly. Numpy work releases the GIL; the dense encoder runs in C.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from legal_kb import index, query, rerank, segment
from legal_kb.citations import extract_citations
from legal_kb.dense import Encoder, passage_text
from legal_kb.dense_scan import REFINE, DenseMatrix
from legal_kb.disputes import dispute_type
from legal_kb.keyword import KeywordIndex
from legal_kb.lay import LayEvidence
from legal_kb.names import NameResolver, short_title
from legal_kb.records import Hit, IndexDoc

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

#: A long description (an intake summary) is cut for the encoder: its cost grows with length.
MAX_QUERY_CHARS = 256
QUERY_CACHE_SIZE = 256

#: Prior on an article's score by the kind of its document, following the hierarchy of norms
#: (立法法): the law itself first, then the courts' interpretations, then State Council
#: regulations, then ministry rules and local regulations. Added to the reranker's logit (a
#: fixed structural prior, not fitted to any question); scaled by ``RankParams.kind_prior``.
KIND_PRIOR: dict[str, float] = {
    "宪法": 0.0,
    "法律": 0.0,
    "立法解释": 0.0,
    "司法解释": -0.5,
    "行政法规": -1.0,
    "监察法规": -1.0,
    "部门规章": -1.5,
    "地方性法规": -1.5,
}
_OTHER_KIND_PRIOR = -1.5


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions on a search: laws (any written form), a dispute type code, document kinds."""

    laws: tuple[str, ...] = ()
    dispute_type: str | None = None
    kinds: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.laws or self.dispute_type or self.kinds)


@dataclass(frozen=True)
class RankParams:
    """Settings of the ranking (the reranker's weights live in ``ranker.json``)."""

    #: Use the dense retriever when its index is attached (off: keyword only, for ablations).
    use_dense: bool = True
    #: Use the learned reranker when the dense index is ready (off: reciprocal-rank fusion).
    use_reranker: bool = True
    ctx_weight: float = 0.4
    sub_word_weight: float = 0.5
    #: Weight of the best sub-question against the whole question in the dense "part" score.
    part_weight: float = 0.5
    #: Add the statutes' words for everyday terms to the keyword query (legal_kb.lexicon)
    #: when ranking by keywords alone.
    expand_terms: bool = True
    #: Encode sub-questions too. Measured on STARD dev: no gain over the whole question once
    #: the reranker is used, for one more encoder pass per part; off by default.
    encode_parts: bool = False
    #: Weight of :data:`KIND_PRIOR` (0: every kind ranked alike). In keyword-only ranking the
    #: BM25 score is multiplied by ``exp(kind_prior_keyword × prior)`` instead.
    #: Measured on STARD dev with laws and interpretations (docs/benchmarks.md, issue 22): 2.0
    #: keeps the national-law questions where they were (R@5 0.552 → 0.549; 1.0: 0.539).
    kind_prior: float = 2.0
    kind_prior_keyword: float = 1.0
    #: Weight of the written lay questions' evidence in the "part" score (:func:`with_lay`;
    #: 0: not used). Measured on STARD dev (docs/benchmarks.md, "Written lay questions as
    #: evidence"): 0.5, 1 and 2 all raise every figure; 0.5 is shipped.
    lay_weight: float = 0.5


@dataclass
class _Dense:
    encoder: Encoder
    matrix: DenseMatrix
    lay: LayEvidence | None = None


@dataclass(frozen=True)
class DenseScores:
    """Similarity of every article to the whole question, and the second dense view ``part``:
    the whole score plus the written lay questions' evidence (:mod:`legal_kb.lay`), or the best
    sub-question's score (``encode_parts``), or the whole score itself. Exact where the ranking
    reads it (see :mod:`legal_kb.dense_scan`); :meth:`refine` makes more rows exact."""

    whole: FloatArray
    part: FloatArray
    vectors: FloatArray
    matrix: DenseMatrix
    #: Each article's best similarity among its written lay questions (``None``: not used).
    lay: FloatArray | None = None
    lay_weight: float = 0.0
    #: Every score already exact (the sub-question path).
    exact: bool = False

    def refine(self, rows: IntArray) -> None:
        self.matrix.refine(self.vectors[0], self.whole, rows)
        if self.lay is not None:
            self.part[rows] = with_lay(self.whole[rows], self.lay[rows], self.lay_weight)


def with_lay(whole: FloatArray, lay: FloatArray, weight: float) -> FloatArray:
    """The second dense view: the article's own score, plus ``weight`` × the better of it and
    its best written question's (an article without questions gets ``(1 + weight) × whole``,
    so only a question closer than the article itself moves it)."""
    out: FloatArray = (whole + weight * np.maximum(lay, whole)).astype(np.float32)
    return out


@dataclass(frozen=True)
class Ranking:
    """Candidates best first, their scores, and the raw keyword scores (for ``via``)."""

    order: IntArray
    scores: FloatArray
    keyword: FloatArray
    dense_used: bool


@dataclass
class SearchEngine:
    """Loaded index of one content version, optionally with dense vectors attached."""

    directory: Path
    params: RankParams = field(default_factory=RankParams)

    def __post_init__(self) -> None:
        self.docs: list[IndexDoc] = index.load_docs(self.directory)
        self.keyword = KeywordIndex(self.directory / index.KEYWORD_FILE, len(self.docs))
        self.laws: list[str] = sorted({d.law for d in self.docs})
        law_pos = {name: i for i, name in enumerate(self.laws)}
        law_of_doc = np.array([law_pos[d.law] for d in self.docs], dtype=np.int64)
        law_size = np.bincount(law_of_doc, minlength=len(self.laws)).astype(np.float32)
        chapters: dict[tuple[str, str, str], int] = {}
        chapter_of_doc = np.array(
            [
                chapters.setdefault((d.law, d.chapter or "", d.section or ""), len(chapters))
                for d in self.docs
            ],
            dtype=np.int64,
        )
        same = law_of_doc[1:] == law_of_doc[:-1]
        self.context = rerank.Context(
            law_of_doc=law_of_doc,
            chapter_of_doc=chapter_of_doc,
            law_size_prior=rerank.size_prior(law_size)[law_of_doc],
            prev_same_law=np.r_[False, same],
            next_same_law=np.r_[same, False],
            length=np.log1p(np.array([len(d.text) for d in self.docs], dtype=np.float32)),
        )
        self._law_names = [short_title(name).removesuffix("法") for name in self.laws]
        segment.add_words(short_title(name) for name in self.laws)
        self.resolver = NameResolver(self.laws)
        self.model = rerank.load_model()
        self._by_citation = {(d.law, d.number, d.suffix): i for i, d in enumerate(self.docs)}
        self.kind_prior = np.array(
            [KIND_PRIOR.get(d.law_kind, _OTHER_KIND_PRIOR) for d in self.docs], dtype=np.float32
        )
        self.regions: tuple[str, ...] = ()
        self._region_mask: npt.NDArray[np.bool_] | None = None
        self._mask_cache: dict[SearchFilters, npt.NDArray[np.bool_] | None] = {}
        self.set_regions(())
        self._dense: _Dense | None = None
        self._query_cache: OrderedDict[tuple[str, ...], FloatArray] = OrderedDict()
        self._lock = threading.Lock()

    # -- dense ---------------------------------------------------------------------------
    def passages(self) -> list[str]:
        """The texts the dense index embeds, in index order."""
        return [passage_text(d.text) for d in self.docs]

    def attach_dense(
        self,
        encoder: Encoder,
        matrix: npt.NDArray[np.generic],
        refine: int = REFINE,
        lay: LayEvidence | None = None,
    ) -> None:
        """Start using dense vectors (``matrix`` rows in index order); ``refine``: how many of
        the int8 scan's best scores are made exact (:mod:`legal_kb.dense_scan`); ``lay``: the
        written lay questions' vectors (:mod:`legal_kb.lay`), if built."""
        if matrix.shape != (len(self.docs), encoder.dim):
            raise ValueError(f"dense matrix shape {matrix.shape} does not fit the index")
        if lay is not None and lay.n_docs != len(self.docs):
            raise ValueError("the written questions were placed on another index")
        self._dense = _Dense(encoder, DenseMatrix(matrix, refine), lay)

    def detach_dense(self) -> None:
        """Stop using dense vectors (keyword search only)."""
        self._dense = None

    @property
    def dense_ready(self) -> bool:
        return self._dense is not None

    # -- filters -------------------------------------------------------------------------
    def set_regions(self, regions: Sequence[str], kinds: Sequence[str] | None = None) -> None:
        """The regions whose local rules (地方性法规) may be found: the units' own. Local rules
        of other regions are never returned; with no region, none are. ``kinds``: only these
        kinds of document are searched at all (benchmark ablations; ``None``: every kind)."""
        self.regions = tuple(regions)
        allowed = np.array([d.region is None or d.region in self.regions for d in self.docs])
        if kinds is not None:
            allowed &= np.array([d.law_kind in kinds for d in self.docs], dtype=bool)
        self._region_mask = None if allowed.all() else allowed
        self._mask_cache = {}

    @property
    def region_mask(self) -> npt.NDArray[np.bool_] | None:
        """Articles allowed by the regions alone (``None``: all)."""
        return self._region_mask

    def _mask(self, filters: SearchFilters) -> npt.NDArray[np.bool_] | None:
        if filters.empty:
            return self._region_mask
        with self._lock:
            cached = self._mask_cache.get(filters)
        if cached is not None:
            return cached
        mask = (
            np.ones(len(self.docs), dtype=bool)
            if self._region_mask is None
            else self._region_mask.copy()
        )
        if filters.laws:
            names = {self.resolver.resolve(w) for w in filters.laws} - {None}
            mask &= np.array([d.law in names for d in self.docs])
        if filters.kinds:
            mask &= np.array([d.law_kind in filters.kinds for d in self.docs])
        if filters.dispute_type:
            scopes = dispute_type(filters.dispute_type).scopes
            mask &= np.array(
                [
                    any(s.law == short_title(d.law) and s.covers(d.number) for s in scopes)
                    for d in self.docs
                ]
            )
        with self._lock:
            self._mask_cache[filters] = mask
        return mask

    # -- ranking -------------------------------------------------------------------------
    def _dense_scores(
        self, parsed: query.ParsedQuery, mask: npt.NDArray[np.bool_] | None
    ) -> DenseScores | None:
        """Similarity of every article to the whole question, and to its best sub-question."""
        dense = self._dense
        if dense is None or not self.params.use_dense:
            return None
        parts = list(parsed.parts) if self.params.encode_parts else []
        vecs = self._query_vectors(dense.encoder, [parsed.text[:MAX_QUERY_CHARS], *parts])
        matrix = dense.matrix
        whole = matrix.similarities(vecs[0], mask)
        if len(vecs) == 1:
            weight = self.params.lay_weight
            if dense.lay is None or weight == 0:
                return DenseScores(whole, whole, vecs, matrix)
            lay = dense.lay.best_per_article(vecs[0])
            return DenseScores(whole, with_lay(whole, lay, weight), vecs, matrix, lay, weight)
        # Sub-questions (off by default): every score exact, as before the int8 scan.
        everything = np.arange(matrix.rows, dtype=np.int64)
        matrix.refine(vecs[0], whole, everything)
        sims = matrix.exact.astype(np.float32) @ vecs[1:].T
        w = self.params.part_weight
        part = ((1 - w) * whole + w * sims.max(axis=1)).astype(np.float32)
        return DenseScores(whole, part, vecs, matrix, exact=True)

    def _query_vectors(self, encoder: Encoder, texts: list[str]) -> FloatArray:
        """Encoded question texts, from a small LRU cache ("more results" asks again)."""
        key = (encoder.model_id, *texts)
        with self._lock:
            cached = self._query_cache.get(key)
            if cached is not None:
                self._query_cache.move_to_end(key)
                return cached
        vecs = encoder.encode_queries(texts)
        with self._lock:
            self._query_cache[key] = vecs
            if len(self._query_cache) > QUERY_CACHE_SIZE:
                self._query_cache.popitem(last=False)
        return vecs

    def clear_query_cache(self) -> None:
        """Forget encoded questions (benchmarks time each system from a cold cache)."""
        with self._lock:
            self._query_cache.clear()

    def candidates(
        self, parsed: query.ParsedQuery, mask: npt.NDArray[np.bool_] | None = None
    ) -> tuple[IntArray, FloatArray | None, FloatArray]:
        """Hybrid candidates with their reranking features (``None`` without dense).

        Returns ``(candidates, features, keyword scores)``; without the dense index the
        candidates are the keyword ranking, best first.
        """
        kw = self.keyword.scores(parsed.terms, {"body": 1.0, "ctx": self.params.ctx_weight})
        dense = self._dense_scores(parsed, mask)
        if dense is None:
            if self.params.kind_prior_keyword:
                kw = kw * np.exp(self.params.kind_prior_keyword * self.kind_prior)
            kw_top = rerank.top_of(
                np.where(kw > 0, kw, -np.inf).astype(np.float32), rerank.DEPTH, mask
            )
            return kw_top, None, kw
        kw_top = rerank.top_of(np.where(kw > 0, kw, -np.inf).astype(np.float32), rerank.DEPTH, mask)
        whole, part = dense.whole, dense.part
        dense_top = rerank.top_of(whole, rerank.DEPTH, mask)
        # Without lay questions or sub-questions "part" is the whole score: the same ranking.
        part_top = dense_top if part is whole else rerank.top_of(part, rerank.DEPTH, mask)
        cand = np.unique(np.concatenate([kw_top, dense_top, part_top]))
        if not dense.exact:  # the features read the candidates' and their neighbours' scores
            near = np.concatenate([cand, cand - 1, cand + 1])
            dense.refine(np.unique(near[(near >= 0) & (near < len(whole))]))
        idf = {t: w * self.keyword.idf(t) for t, w in parsed.terms.items()}
        # Whether the question names the law, for the candidates' laws only (a few dozen of
        # the thousands of laws: this was ~2 ms a search over all of them).
        laws, inverse = np.unique(self.context.law_of_doc[cand], return_inverse=True)
        named_law = np.array(
            [len(n) >= 2 and n in parsed.text for n in (self._law_names[i] for i in laws)],
            dtype=np.float32,
        )
        feats = rerank.features(
            self.context,
            cand,
            kw,
            kw_top,
            whole,
            dense_top,
            part,
            part_top,
            rerank.coverage([self.docs[i].text for i in cand], idf),
            named_law[inverse.reshape(-1)],
        )
        return cand, feats, kw

    def prior(self, cand: IntArray) -> FloatArray:
        """The kind prior of candidates, as added to the reranker's score."""
        out: FloatArray = (self.params.kind_prior * self.kind_prior[cand]).astype(np.float32)
        return out

    def rank(self, parsed: query.ParsedQuery, mask: npt.NDArray[np.bool_] | None = None) -> Ranking:
        """Candidates for ``parsed``, best first."""
        cand, feats, kw = self.candidates(parsed, mask)
        if feats is None:
            return Ranking(cand, kw[cand], kw, dense_used=False)
        if self.model is not None and self.params.use_reranker:
            scores = self.model.score(feats) + self.prior(cand)
        else:
            names = rerank.FEATURES
            scores = feats[:, names.index("kw_rrf")] + feats[:, names.index("dense_rrf")]
            # Rank fusion scores are ~1/60: the prior, on the logit scale, is scaled down.
            scores = scores + self.prior(cand) / 600.0
        order = np.argsort(-scores, kind="stable")
        return Ranking(cand[order], scores[order], kw, dense_used=True)

    # -- public --------------------------------------------------------------------------
    def search(
        self, question: str, top: int = 10, filters: SearchFilters | None = None
    ) -> list[Hit]:
        """The ``top`` articles for ``question``, best first."""
        filters = filters or SearchFilters()
        mask = self._mask(filters)
        cited = self.cited(question, mask)
        hits = [self._hit(i, 1.0, (), "citation") for i in cited]
        seen = set(cited)
        # The lexicon helps keyword ranking alone (R@5 0.391 → 0.408 on STARD dev) and is
        # neutral once dense vectors are used (0.565 → 0.562), so it serves the keyword-only
        # mode: before the dense index is built, or with KB_DENSE=0 (docs/benchmarks.md).
        expand = self.params.expand_terms and not (self.dense_ready and self.params.use_dense)
        parsed = query.parse(question, self.params.sub_word_weight, expand)
        if not parsed.terms and not parsed.text:
            return hits[:top]
        ranking = self.rank(parsed, mask)
        terms = list(parsed.terms)
        for i, score in zip(ranking.order, ranking.scores, strict=True):
            if len(hits) >= top:
                break
            if int(i) in seen:
                continue
            in_kw = ranking.keyword[i] > 0
            via = "keyword" if not ranking.dense_used else ("both" if in_kw else "dense")
            hits.append(self._hit(int(i), float(score), terms, via))
        return hits

    def cited(self, question: str, mask: npt.NDArray[np.bool_] | None = None) -> list[int]:
        """Positions of the articles ``question`` cites by number, in order, once each; a search
        puts them first."""
        found: list[int] = []
        for cited in extract_citations(question, self.resolver):
            i = self._by_citation.get((cited.law or "", cited.number, cited.suffix))
            if i is not None and i not in found and (mask is None or mask[i]):
                found.append(i)
        return found

    def _hit(self, i: int, score: float, terms: Sequence[str], via: str) -> Hit:
        d = self.docs[i]
        return Hit(
            id=d.id,
            law=d.law,
            law_short=short_title(d.law),
            law_kind=d.law_kind,
            article_no=d.article_no,
            number=d.number,
            suffix=d.suffix,
            chapter=d.chapter,
            section=d.section,
            text=d.text,
            status=d.status,
            score=round(score, 6),
            highlights=highlight(d.text, terms),
            via=via,
        )


def highlight(text: str, terms: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """Merged spans of ``text`` where any of ``terms`` (two characters or longer) occurs."""
    spans: list[tuple[int, int]] = []
    for term in sorted({t for t in terms if len(t) >= 2}, key=len, reverse=True):
        start = text.find(term)
        while start >= 0:
            spans.append((start, start + len(term)))
            start = text.find(term, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)
