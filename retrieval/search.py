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
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz

from retrieval.backend import Collections, KeywordQuery, SearchBackend
from retrieval.dedupe import collapse
from retrieval.fusion import SHIPPED, FusionParams, hubness, rank, uses_hubness
from retrieval.index import Index
from retrieval.keyword import KeywordIndex
from retrieval.models import Hit, SpeakerInfo
from retrieval.question import ReadQuestion, read_question
from retrieval.speaker_match import SpeakerRegistry

log = logging.getLogger(__name__)

# No answer: best cosine + LEXICAL_WEIGHT x lexical evidence under NO_ANSWER_SCORE. Chosen by
# bench/qa_eval.py --calibrate through the shipped path (RealTimeQA 2020+2021 and PolNeAR dev
# quote questions vs half the XQuAD questions; checked on RealTimeQA 2022, the other half
# and PolNeAR train): 99.9% / 99.6% of answerable questions keep their passages and 43% /
# 51% of off-topic ones are refused. The cosine alone could not do both (0.35: 99.2% kept
# on 2022, 32% refused; 0.375: 98.4%, 42%).
NO_ANSWER_SCORE = 0.72
LEXICAL_WEIGHT = 0.5
QUOTE_WEIGHT = 2.0  # fused scores are z-scores (~ -1..3); a perfect quote match adds 2
VERBATIM_WEIGHT = 3.0  # a passage holding the question's quoted words, word for word
VERBATIM_POOL = 20  # BM25 candidates checked for each quoted phrase
# The passages of the person a question asks the words of ("What did X say about Y?"). On
# the what-did questions (bench/qa_eval.py), weight 1.0 vs 3.0: a top-5 passage holding their
# quote 0.970 vs 0.933 (PolNeAR dev corpus), 0.956 vs 0.895 (train corpus); their name right
# 0.68 vs 0.71 and 0.72 vs 0.73. A person only named ("Where is X held?") gets nothing more
# than the words of the name: 0.15 to 0.3 moved RealTimeQA Recall@5 by nothing (0.867).
SUBJECT_WEIGHT = 1.0
FOCUS_POOL = 50  # a named person's passages nearest the question, added to the candidates
KEYWORD_DIR = "keyword"
_WORDS = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def retrieve(
    query_vec: np.ndarray,
    query_text: str,
    backend: SearchBackend,
    k: int,
    params: FusionParams = SHIPPED,
    allowed: np.ndarray | None = None,
    boosts: Sequence[Boost] = (),
    keyword: KeywordQuery | None = None,
    collections: Collections = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hybrid ranking: (ids, fused scores, dense cosines), best first, at most k.

    `allowed` restricts the search to those ids, `collections` to those collections (the
    backend filters inside its search). Each `Boost` (passages holding the question's
    quoted words, passages of the person it asks about) joins the candidates, which both
    retrievers then score, and adds its weight to their fused scores, so they are ranked on
    one scale with the rest. `keyword` is `backend.keyword_query(query_text)` when the
    caller has it already.
    The benchmark calls this very function, so what is measured is what ships.
    """
    pool = max(params.pool, k)
    q = np.ascontiguousarray(query_vec, dtype=np.float32).reshape(1, -1)
    if allowed is not None:
        allowed = np.asarray(allowed, dtype=np.int64)
        if len(allowed) == 0:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    d_ids, _ = backend.dense(q[0], pool, allowed, collections)
    for boost in boosts:
        joining = boost.ids if boost.join <= 0 else backend.dense(q[0], boost.join, boost.ids)[0]
        d_ids = np.concatenate([d_ids, joining[~np.isin(joining, d_ids)]])
    if not backend.keyword_size or params.method == "dense":
        keyword = None
    elif keyword is None:
        keyword = backend.keyword_query(query_text)  # once: top-k and re-scoring both read it
    ids = d_ids
    if keyword is not None:
        k_ids, _ = backend.keyword(keyword, pool, allowed, collections)
        ids = np.concatenate([d_ids, k_ids[~np.isin(k_ids, d_ids)]])
    if len(ids) == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    # exact cosines for every candidate (BM25 ones were not in the dense list)
    cand = backend.vectors_for(ids)
    dense = cand @ q[0]
    kw = (
        backend.keyword_scores(keyword, ids)
        if keyword is not None
        else np.zeros(len(ids), np.float32)
    )
    hub = hubness(cand, params.hub_k) if uses_hubness(params) else None
    bonus = sum((b.weight * np.isin(ids, b.ids) for b in boosts), np.zeros(len(ids)))
    order_ids, fused = rank(ids, dense, kw, params, hub, bonus if boosts else None)
    cos_of = dict(zip(ids.tolist(), dense.tolist(), strict=True))
    order_ids, fused = order_ids[:k], fused[:k]
    return order_ids, fused, np.array([cos_of[int(i)] for i in order_ids])


def lexical_evidence(
    backend: SearchBackend,
    keyword: KeywordQuery | None,
    allowed: np.ndarray | None,
    collections: Collections = None,
) -> float:
    """How much of the question's rare vocabulary one passage holds: the best BM25 score
    divided by log(1 + paragraphs), the idf of a word only one paragraph has. About 1 when
    the best passage holds one word as rare as can be, 2 for two; scaled so, the number
    means the same in a small corpus and a large one. It told answerable news questions
    from off-topic ones better than the cosine did (AUC 0.963 vs 0.931, bench/qa_eval.py
    --calibrate on RealTimeQA + PolNeAR dev vs XQuAD)."""
    if keyword is None or not backend.keyword_size:
        return 0.0
    best = backend.keyword_best(keyword, allowed, collections)
    return best / float(np.log1p(backend.keyword_size))


@dataclass(frozen=True, slots=True)
class Boost:
    """Passages with evidence the retrievers do not see, and how much it weighs (in the
    fused score's z units)."""

    ids: np.ndarray  # ascending paragraph ids
    weight: float
    join: int = 0  # how many of them, nearest the question, join the candidates (0: all)


@dataclass
class SearchResult:
    hits: list[Hit] = field(default_factory=list)
    no_answer: bool = False  # True when nothing in the index answers the question
    speaker: str | None = None  # the person the search centred on (named or chosen)
    who_said: str | None = None  # the content of a "Who said ...?" question
    best_cosine: float = 0.0
    lexical: float = 0.0  # best BM25 score in the corpus / log(1 + paragraphs): see below
    widened: bool = False  # the chosen speaker's passages did not answer: all were searched
    question: ReadQuestion | None = None
    verbatim: set[int] = field(default_factory=set)  # ids of hits holding quoted words


@dataclass(frozen=True, slots=True)
class Focus:
    """Who a search is about, and how strongly their passages are preferred."""

    name: str
    paragraphs: np.ndarray  # ids of the paragraphs where they are quoted
    weight: float


class Searcher:
    """Hybrid, speaker-aware search over an Index."""

    def __init__(
        self,
        index: Index,
        params: FusionParams = SHIPPED,
        no_answer_score: float = NO_ANSWER_SCORE,
    ):
        self.index = index
        self.params = params
        self.no_answer_score = no_answer_score
        self.refuse = True  # bench/qa_eval.py --calibrate turns refusal off to measure it
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
                people = [s for s in self.index.store.speakers() if s.kind == "person"]
                ids: dict[str, list[int]] = {}
                for info in people:
                    ids.setdefault(info.name, []).append(info.speaker_id)
                self._registry = SpeakerRegistry(ids)
                self._reg_generation = gen
            return self._registry

    def warm_up(self) -> None:
        """Load model, vectors and keyword index now rather than on the first question, run
        one search through every stage, then freeze what is loaded out of the garbage
        collector's sight: the model, its libraries, the index and the registry are millions of
        long-lived objects, and every full collection walked them all, holding the GIL ~300 ms
        on 2 cores in the middle of some later question (a p99 spike, and a stalled event loop
        in the bot: bench/load.py)."""
        self.index.search_backend(self.keyword_index)
        self.registry()
        self.search_detailed("What did the minister say about the warm up?")
        gc.collect()
        gc.freeze()

    # -- searching ------------------------------------------------------------------------
    def search(
        self,
        question: str,
        top_k: int = 5,
        speaker: SpeakerInfo | None = None,
        widen: bool = True,
    ) -> list[Hit]:
        """The best passages; [] when nothing answers (see `search_detailed`)."""
        return self.search_detailed(question, top_k, speaker, widen).hits

    def search_detailed(
        self,
        question: str,
        top_k: int = 5,
        speaker: SpeakerInfo | None = None,
        widen: bool = True,
    ) -> SearchResult:
        """The best passages for a question, or none when nothing answers.

        `speaker` (chosen by the user, resolved by the caller) restricts the search to where
        they are quoted; with `widen`, the whole corpus is searched when none of their passages
        answers (`widened` then says so). Without it, a person the question names exactly
        is a preference: strong when it asks what they said, slight when it only names them.
        """
        question = question.strip()
        if not question or top_k <= 0:
            return SearchResult()
        read = read_question(question, self.registry())
        if speaker is not None:
            chosen = Focus(speaker.name, self._paragraphs_of([speaker.speaker_id]), 0.0)
            result = self._ranked(read, top_k, chosen, restrict=True)
            if result.no_answer and widen:
                result = self._ranked(read, top_k, None)
                result.widened = True
            result.speaker = speaker.name
            return result
        return self._ranked(read, top_k, self._focus(read))

    def _focus(self, read: ReadQuestion) -> Focus | None:
        person = read.subject
        if person is None:
            return None
        return Focus(person.name, self._paragraphs_of(person.speaker_ids), SUBJECT_WEIGHT)

    def _paragraphs_of(self, speaker_ids: Sequence[int]) -> np.ndarray:
        ids: set[int] = set()
        for speaker_id in speaker_ids:
            ids.update(self.index.store.speaker_paragraphs(speaker_id))
        return np.array(sorted(ids), dtype=np.int64)

    def _ranked(
        self, read: ReadQuestion, top_k: int, focus: Focus | None, restrict: bool = False
    ) -> SearchResult:
        result = SearchResult(who_said=read.who_said, question=read)
        query_text = read.search_text
        qvec = self.index.embedder.encode_query(query_text)
        backend = self.index.search_backend(self.keyword_index)
        allowed = focus.paragraphs if focus is not None and restrict else None
        verbatim = self._verbatim(read.phrases, backend, allowed)
        boosts = [Boost(verbatim, VERBATIM_WEIGHT)] if len(verbatim) else []
        if focus is not None and not restrict and len(focus.paragraphs):
            boosts.append(Boost(focus.paragraphs, focus.weight, FOCUS_POOL))
        depth = max(top_k * 3, 15)  # room for dedupe and re-ranking
        keyword = backend.keyword_query(query_text) if backend.keyword_size else None
        ids, fused, cos = retrieve(
            qvec,
            query_text,
            backend,
            depth,
            self.params,
            allowed,
            boosts,
            keyword,
        )
        if len(ids) == 0:
            result.no_answer = True
            return result
        hits = self.index.store.hits(list(zip(ids.tolist(), fused.tolist(), strict=True)))
        if read.who_said:
            hits = _rank_by_quotes(hits, read.who_said)
        keep = collapse(backend.vectors_for([h.paragraph_id for h in hits]), [h.text for h in hits])
        hits = [hits[i] for i in keep][:top_k]
        cos_of = dict(zip(ids.tolist(), cos.tolist(), strict=True))
        result.best_cosine = max((cos_of.get(h.paragraph_id, 0.0) for h in hits), default=0.0)
        result.lexical = lexical_evidence(backend, keyword, allowed)
        result.verbatim = {h.paragraph_id for h in hits} & set(verbatim.tolist())
        if focus is not None:
            result.speaker = focus.name
        if self.refuse and not self._answers(result, read, restrict):
            result.no_answer = True
            return result
        result.hits = hits
        return result

    def _answers(self, result: SearchResult, read: ReadQuestion, chosen: bool) -> bool:
        """Whether the best passages answer at all. Quoted words found verbatim, or a speaker
        of the corpus named exactly, always do; so do a chosen speaker's passages that hold a
        word of the question ("library", speaker Achterberg); otherwise the dense and the
        lexical evidence decide together: cosine + LEXICAL_WEIGHT x lexical >= NO_ANSWER_SCORE."""
        if result.verbatim or read.people or (chosen and result.lexical > 0):
            return True
        score = result.best_cosine + LEXICAL_WEIGHT * result.lexical
        return score >= self.no_answer_score

    def _verbatim(
        self, phrases: tuple[str, ...], backend: SearchBackend, allowed: np.ndarray | None
    ) -> np.ndarray:
        """Ids of the paragraphs that hold one of the quoted phrases word for word."""
        found: list[int] = []
        for phrase in phrases:
            wanted = _words(phrase)
            ids, _ = backend.keyword(backend.keyword_query(phrase), VERBATIM_POOL, allowed)
            if len(ids) == 0 or not wanted:
                continue
            texts = self.index.store.texts(ids.tolist())
            found += [pid for pid in ids.tolist() if wanted in _words(texts.get(pid, ""))]
        return np.array(sorted(set(found)), dtype=np.int64)


def _words(text: str) -> str:
    """Text as lowercase words joined by single spaces, for verbatim comparison."""
    return " " + " ".join(_WORDS.findall(text.lower().replace("’", "'"))) + " "


def _rank_by_quotes(hits: list[Hit], content: str) -> list[Hit]:
    """Re-rank by fused score + how well an attributed quote matches the asked content."""
    scored = [(h.score + QUOTE_WEIGHT * _quote_match(h, content), i, h) for i, h in enumerate(hits)]
    scored.sort(key=lambda t: (-t[0], t[1]))
    for score, _, hit in scored:
        hit.score = float(score)
    return [hit for _, _, hit in scored]


def _quote_match(hit: Hit, content: str) -> float:
    """How well the best attributed quote of a passage matches the asked content (0..1)."""
    best = 0.0
    for a in hit.attributions:
        if a.quote:
            best = max(best, fuzz.token_set_ratio(content.lower(), a.quote.lower()))
    return best / 100.0
