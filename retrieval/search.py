"""Answering a question: the best passages, with who said what in them.

Pipeline (each step measured in bench/retrieval_eval.py or bench/perf.py):
1. "Who said ...?" questions search with the quoted content only, then re-rank candidates by how
   well each paragraph's attributed quotes match that content (rapidfuzz).
2. A question naming a known speaker (speaker_match) is restricted to that speaker's passages.
3. Hybrid retrieval: dense top-50 and BM25 top-50, every candidate scored exactly by both, fused
   with retrieval.fusion.SHIPPED (z-score convex, 0.8 dense, dense corrected for hubness
   among the candidates).
4. Near-duplicates collapse (retrieval.dedupe); if the best passage's cosine is under
   NO_ANSWER_COSINE the Searcher answers nothing.
"""

from __future__ import annotations

import gc
import logging
import threading
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz

from retrieval.dedupe import collapse
from retrieval.fusion import SHIPPED, FusionParams, hubness, rank, uses_hubness
from retrieval.index import Index
from retrieval.keyword import KeywordIndex
from retrieval.models import Hit
from retrieval.speaker_match import SpeakerRegistry, who_said_content
from retrieval.vectors import VectorIndex

log = logging.getLogger(__name__)

# Best-passage cosine under which nothing answers. Calibrated by bench/retrieval_eval.py
# --calibrate on RealTimeQA dev: answerable questions vs their gold evidence, against XQuAD
# (Wikipedia) questions asked of the same news corpus as the off-topic set: at 0.35, 99.2% of
# answerable questions keep their best passage and 40% of off-topic ones are refused (0.30:
# 99.7% / 16%; 0.40: 97.5% / 66%).
NO_ANSWER_COSINE = 0.35
QUOTE_WEIGHT = 2.0  # fused scores are z-scores (~ -1..3); a perfect quote match adds 2
EXACT_ALLOWED_MAX = 5000  # restricted searches score allowed ids exactly below this many
KEYWORD_DIR = "keyword"


def retrieve(
    query_vec: np.ndarray,
    query_text: str,
    vectors: VectorIndex,
    keyword: KeywordIndex | None,
    k: int,
    params: FusionParams = SHIPPED,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hybrid ranking: (ids, fused scores, dense cosines), best first, at most k.

    The benchmark calls this very function, so what is measured is what ships.
    """
    pool = max(params.pool, k)
    q = np.ascontiguousarray(query_vec, dtype=np.float32).reshape(1, -1)
    if allowed is not None:
        allowed = np.asarray(allowed, dtype=np.int64)
        if len(allowed) == 0:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        if len(allowed) <= EXACT_ALLOWED_MAX:
            cos = vectors.vectors_for(allowed) @ q[0]
            top = np.argsort(-cos, kind="stable")[:pool]
            d_ids = allowed[top]
        else:
            # a big speaker: search deeper and keep theirs
            depth = min(vectors.ntotal, pool * max(1, vectors.ntotal // len(allowed)) * 2)
            d_ids, _ = vectors.search_arrays(q, depth)
            d_ids = d_ids[np.isin(d_ids, allowed)][:pool]
    else:
        d_ids, _ = vectors.search_arrays(q, pool)
    use_kw = keyword is not None and len(keyword) and params.method != "dense"
    bm25 = None
    if use_kw:
        bm25 = keyword.all_scores(query_text)  # once: top-k and re-scoring both read it
        k_ids, _ = keyword.top(bm25, pool, allowed=allowed)
        ids = np.concatenate([d_ids, k_ids[~np.isin(k_ids, d_ids)]])
    else:
        ids = d_ids
    if len(ids) == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    # exact cosines for every candidate (BM25 ones were not in the dense list)
    cand = vectors.vectors_for(ids)
    dense = cand @ q[0]
    kw = keyword.scores_at(bm25, ids) if bm25 is not None else np.zeros(len(ids), np.float32)
    hub = hubness(cand, params.hub_k) if uses_hubness(params) else None
    order_ids, fused = rank(ids, dense, kw, params, hub)
    cos_of = dict(zip(ids.tolist(), dense.tolist(), strict=True))
    order_ids, fused = order_ids[:k], fused[:k]
    return order_ids, fused, np.array([cos_of[int(i)] for i in order_ids])


@dataclass
class SearchResult:
    hits: list[Hit] = field(default_factory=list)
    no_answer: bool = False  # True when nothing in the index answers the question
    speaker: str | None = None  # the speaker the search was restricted to
    who_said: str | None = None  # the content of a "Who said ...?" question
    best_cosine: float = 0.0


class Searcher:
    """Hybrid, speaker-aware search over an Index."""

    def __init__(
        self,
        index: Index,
        params: FusionParams = SHIPPED,
        no_answer_cosine: float = NO_ANSWER_COSINE,
    ):
        self.index = index
        self.params = params
        self.no_answer_cosine = no_answer_cosine
        self._lock = threading.RLock()
        self._kw: KeywordIndex | None = None
        self._kw_generation = -1
        self._registry: SpeakerRegistry | None = None
        self._reg_generation = -1

    # -- derived structures, rebuilt when the index generation moves ------------------------
    def keyword_index(self) -> KeywordIndex:
        gen = self.index.store.generation
        with self._lock:
            if self._kw is None or self._kw_generation != gen:
                folder = self.index.folder / KEYWORD_DIR
                self._kw = KeywordIndex.open(folder, gen, self.index.store.paragraph_texts)
                self._kw_generation = gen
            return self._kw

    def registry(self) -> SpeakerRegistry:
        gen = self.index.store.generation
        with self._lock:
            if self._registry is None or self._reg_generation != gen:
                names = [s.name for s in self.index.store.speakers() if s.kind == "person"]
                self._registry = SpeakerRegistry(names)
                self._reg_generation = gen
            return self._registry

    def warm_up(self) -> None:
        """Load model, vectors and keyword index now rather than on the first question, run
        one search through every stage, then freeze what is loaded out of the garbage
        collector's sight: the model, its libraries, the index and the registry are millions of
        long-lived objects, and every full collection walked them all, holding the GIL ~300 ms
        on 2 cores in the middle of some later question (a p99 spike, and a stalled event loop
        in the bot: bench/load.py)."""
        _ = self.index.vectors
        self.keyword_index()
        self.registry()
        self.search_detailed("What did the minister say about the warm up?")
        gc.collect()
        gc.freeze()

    # -- searching ------------------------------------------------------------------------
    def search(self, question: str, top_k: int = 5, speaker: str | None = None) -> list[Hit]:
        """The best passages; [] when nothing answers (see `search_detailed`)."""
        return self.search_detailed(question, top_k, speaker).hits

    def search_detailed(
        self, question: str, top_k: int = 5, speaker: str | None = None
    ) -> SearchResult:
        question = question.strip()
        result = SearchResult()
        if not question or top_k <= 0:
            return result
        store = self.index.store
        content = who_said_content(question)
        query_text = content or question
        allowed = None
        if content is None:
            name = self._resolve_speaker(speaker, question)
            if name is not None:
                allowed = self._speaker_paragraphs(name)
                if allowed is not None and len(allowed):
                    result.speaker = name
                else:
                    allowed = None
        result.who_said = content
        qvec = self.index.embedder.encode_query(query_text)
        vectors = self.index.vectors
        depth = max(top_k * 3, 15)  # room for dedupe and quote re-ranking
        ids, fused, cos = retrieve(
            qvec, query_text, vectors, self.keyword_index(), depth, self.params, allowed
        )
        if len(ids) == 0:
            result.no_answer = True
            return result
        hits = store.hits(list(zip(ids.tolist(), fused.tolist(), strict=True)))
        cos_of = dict(zip(ids.tolist(), cos.tolist(), strict=True))
        if content is not None:
            hits = self._rank_by_quotes(hits, content)
        keep = collapse(vectors.vectors_for([h.paragraph_id for h in hits]), [h.text for h in hits])
        hits = [hits[i] for i in keep][:top_k]
        result.best_cosine = max((cos_of.get(h.paragraph_id, 0.0) for h in hits), default=0.0)
        if result.best_cosine < self.no_answer_cosine:
            result.no_answer = True
            return result
        result.hits = hits
        return result

    def _resolve_speaker(self, speaker: str | None, question: str) -> str | None:
        reg = self.registry()
        if speaker:
            exact = [n for n in reg.names if n.lower() == speaker.strip().lower()]
            if exact:
                return exact[0]
            m = reg.match(speaker)
            return m.name if m else speaker.strip()
        m = reg.match(question)
        return m.name if m else None

    def _speaker_paragraphs(self, name: str) -> np.ndarray | None:
        store = self.index.store
        ids: set[int] = set()
        for info in store.speakers(name):
            if info.name.lower() == name.lower():
                ids.update(store.speaker_paragraphs(info.speaker_id))
        return np.array(sorted(ids), dtype=np.int64) if ids else None

    @staticmethod
    def _rank_by_quotes(hits: list[Hit], content: str) -> list[Hit]:
        """Re-rank by fused score + how well an attributed quote matches the asked content."""

        def quote_match(hit: Hit) -> float:
            best = 0.0
            for a in hit.attributions:
                if a.quote:
                    best = max(best, fuzz.token_set_ratio(content.lower(), a.quote.lower()))
            return best / 100.0

        scored = [(h.score + QUOTE_WEIGHT * quote_match(h), i, h) for i, h in enumerate(hits)]
        scored.sort(key=lambda t: (-t[0], t[1]))
        out = []
        for s, _, h in scored:
            h.score = float(s)
            out.append(h)
        return out
