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
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np
from rapidfuzz import fuzz

from retrieval.backend import Collections, KeywordQuery, SearchBackend
from retrieval.dedupe import collapse
from retrieval.fusion import SHIPPED, FusionParams, hubness, rank, uses_hubness
from retrieval.index import Index
from retrieval.keyword import KeywordIndex
from retrieval.models import Hit, SpeakerInfo
from retrieval.question import ReadQuestion, read_question
from retrieval.scope import EVERYTHING, Scope, within
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
# "What did X say about T?": how well X's own quotes in a passage match T, added to its
# fused score (QUOTE_WEIGHT's role for "Who said …?"); a passage that only mentions T beside
# another quote of theirs no longer comes first. On the what-did questions
# (bench/qa_eval.py), weight 0 / 0.5 / 1 / 2: their name right 0.903 / 0.905 / 0.905 / 0.905
# (PolNeAR dev corpus) and 0.850 / 0.861 / 0.866 / 0.866 (train corpus, first 150
# articles); a top-5 passage holding their quote 0.991 / 0.991 / 0.989 / 0.989 and
# 0.956 / 0.966 / 0.966 / 0.966.
TOPIC_WEIGHT = 1.0
FOCUS_POOL = 50  # a named person's passages nearest the question, added to the candidates
KEYWORD_DIR = "keyword"
SCOPE_CACHE_MAX = 64  # scopes (Discord servers) whose allowed ids and speakers are kept
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


T = TypeVar("T")


class PerScope(Generic[T]):
    """What a search derives from the index for one scope (its allowed ids, its speakers),
    kept for the index generation it was built at: the `SCOPE_CACHE_MAX` scopes used last.
    So a question costs a dictionary look-up, and only the first question of a server after
    an ingest reads SQLite."""

    def __init__(self, build: Callable[[Scope], T], size: int = SCOPE_CACHE_MAX) -> None:
        self._build = build
        self._size = size
        self._items: OrderedDict[Scope, T] = OrderedDict()
        self._generation = -1

    def get(self, generation: int, scope: Scope) -> T:
        """Call with the searcher's lock held."""
        if generation != self._generation:
            self._items.clear()
            self._generation = generation
        if scope in self._items:
            self._items.move_to_end(scope)
            return self._items[scope]
        value = self._items[scope] = self._build(scope)
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return value


class Searcher:
    """Hybrid, speaker-aware search over an Index, within a `Scope` of collections."""

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
        self._registries = PerScope(self._build_registry)
        self._allowed = PerScope(self._build_allowed)

    # -- derived structures, rebuilt when the index generation moves ------------------------
    def keyword_index(self) -> KeywordIndex:
        gen = self.index.store.generation
        with self._lock:
            if self._kw is None or self._kw_generation != gen:
                folder = self.index.folder / KEYWORD_DIR
                self._kw = KeywordIndex.open(folder, gen, self.index.store.paragraph_texts)
                self._kw_generation = gen
            return self._kw

    def registry(self, scope: Scope = EVERYTHING) -> SpeakerRegistry:
        """The people quoted in `scope`, for reading the names in a question."""
        gen = self.index.store.generation
        with self._lock:
            return self._registries.get(gen, scope)

    def _build_registry(self, scope: Scope) -> SpeakerRegistry:
        ids: dict[str, list[int]] = {}
        for info in self.index.store.speakers(scope=scope):
            if info.kind == "person":
                ids.setdefault(info.name, []).append(info.speaker_id)
        return SpeakerRegistry(ids)

    def allowed(self, scope: Scope = EVERYTHING) -> np.ndarray | None:
        """The paragraph ids a search in `scope` may return (ascending), or None when it may
        return any: passed to `retrieve`, so the restriction happens inside the search and a
        small collection still gets its full top-k."""
        if scope.everything:
            return None
        gen = self.index.store.generation
        with self._lock:
            return self._allowed.get(gen, scope)

    def _build_allowed(self, scope: Scope) -> np.ndarray | None:
        ids = self.index.store.scope_paragraph_ids(scope)
        # A scope holding every paragraph restricts nothing: the usual one-collection index
        # pays nothing for scopes. (`_ranked` still drops a hit outside the scope, should an
        # ingest into another collection commit between this and the search.)
        if len(ids) == self.index.store.counts()["paragraphs"]:
            return None
        ids.flags.writeable = False  # shared by every question of the scope (and see rows_of)
        return ids

    def warm_up(self) -> None:
        """Load model, vectors and keyword index now rather than on the first question, run
        one search through every stage, then freeze what is loaded out of the garbage
        collector's sight: the model, its libraries, the index and the registry are millions of
        long-lived objects, and every full collection walked them all, holding the GIL ~300 ms
        on 2 cores in the middle of some later question (a p99 spike, and a stalled event loop
        in the bot: bench/load.py)."""
        self.index.search_backend(self.keyword_index)
        self.registry(EVERYTHING)
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
        scope: Scope = EVERYTHING,
    ) -> list[Hit]:
        """The best passages; [] when nothing answers (see `search_detailed`)."""
        return self.search_detailed(question, top_k, speaker, widen, scope).hits

    def search_detailed(
        self,
        question: str,
        top_k: int = 5,
        speaker: SpeakerInfo | None = None,
        widen: bool = True,
        scope: Scope = EVERYTHING,
    ) -> SearchResult:
        """The best passages for a question, or none when nothing answers.

        Only passages of `scope`'s collections are searched, and only people quoted there
        are recognised in the question. `speaker` (chosen by the user, resolved by the
        caller) restricts the search to where they are quoted; with `widen`, the whole scope
        is searched when none of their passages answers (`widened` then says so). Without
        it, a person the question names exactly is a preference: strong when it asks what
        they said, slight when it only names them.
        """
        question = question.strip()
        if not question or top_k <= 0:
            return SearchResult()
        read = read_question(question, self.registry(scope))
        if speaker is not None:
            theirs = self._paragraphs_of([speaker.speaker_id], scope)
            result = self._ranked(read, top_k, Focus(speaker.name, theirs, 0.0), scope, True)
            if result.no_answer and widen:
                result = self._ranked(read, top_k, None, scope)
                result.widened = True
            result.speaker = speaker.name
            return result
        return self._ranked(read, top_k, self._focus(read, scope), scope)

    def _focus(self, read: ReadQuestion, scope: Scope) -> Focus | None:
        person = read.subject
        if person is None:
            return None
        return Focus(person.name, self._paragraphs_of(person.speaker_ids, scope), SUBJECT_WEIGHT)

    def _paragraphs_of(self, speaker_ids: Sequence[int], scope: Scope) -> np.ndarray:
        ids: set[int] = set()
        for speaker_id in speaker_ids:
            ids.update(self.index.store.speaker_paragraphs(speaker_id))
        return within(np.array(sorted(ids), dtype=np.int64), self.allowed(scope))

    def _ranked(
        self,
        read: ReadQuestion,
        top_k: int,
        focus: Focus | None,
        scope: Scope,
        restrict: bool = False,
    ) -> SearchResult:
        """One hybrid search: within the focus' passages with `restrict`, else within
        `scope`, the focus (if any) only preferred."""
        result = SearchResult(who_said=read.who_said, question=read)
        query_text = read.search_text
        qvec = self.index.embedder.encode_query(query_text)
        backend = self.index.search_backend(self.keyword_index)
        allowed, collections = self._scoped(backend, scope)
        if focus is not None and restrict:
            allowed = focus.paragraphs
        verbatim = self._verbatim(read.phrases, backend, allowed, collections)
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
            collections,
        )
        hits = self.index.store.hits(list(zip(ids.tolist(), fused.tolist(), strict=True)))
        hits = [h for h in hits if scope.sees(h.collection)]  # see `_build_allowed`
        if not hits:
            result.no_answer = True
            return result
        if read.who_said:
            hits = _rank_by_quotes(hits, read.who_said)
        elif focus is not None and (topic := read.topic):
            hits = _rank_by_quotes(hits, topic, TOPIC_WEIGHT, focus.name)
        keep = collapse(backend.vectors_for([h.paragraph_id for h in hits]), [h.text for h in hits])
        hits = [hits[i] for i in keep][:top_k]
        cos_of = dict(zip(ids.tolist(), cos.tolist(), strict=True))
        result.best_cosine = max((cos_of.get(h.paragraph_id, 0.0) for h in hits), default=0.0)
        result.lexical = lexical_evidence(backend, keyword, allowed, collections)
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

    def _scoped(
        self, backend: SearchBackend, scope: Scope
    ) -> tuple[np.ndarray | None, Collections]:
        """How a search keeps to `scope`: (allowed ids, collections), None where it needs
        no restriction. FAISS restricts by the scope's paragraph ids (cached per scope); a
        backend that filters by collection itself (Milvus: its partition key) gets the
        names, so a big collection is never sent as a list of ids."""
        allowed = self.allowed(scope)  # None also when the scope holds every paragraph
        if backend.filters_collections:
            return None, scope.collections if allowed is not None else None
        return allowed, None

    def _verbatim(
        self,
        phrases: tuple[str, ...],
        backend: SearchBackend,
        allowed: np.ndarray | None,
        collections: Collections = None,
    ) -> np.ndarray:
        """Ids of the paragraphs that hold one of the quoted phrases word for word."""
        found: list[int] = []
        for phrase in phrases:
            wanted = _words(phrase)
            query = backend.keyword_query(phrase)
            ids, _ = backend.keyword(query, VERBATIM_POOL, allowed, collections)
            if len(ids) == 0 or not wanted:
                continue
            texts = self.index.store.texts(ids.tolist())
            found += [pid for pid in ids.tolist() if wanted in _words(texts.get(pid, ""))]
        return np.array(sorted(set(found)), dtype=np.int64)


def _words(text: str) -> str:
    """Text as lowercase words joined by single spaces, for verbatim comparison."""
    return " " + " ".join(_WORDS.findall(text.lower().replace("’", "'"))) + " "


def _rank_by_quotes(
    hits: list[Hit], content: str, weight: float = QUOTE_WEIGHT, speaker: str | None = None
) -> list[Hit]:
    """Re-rank by fused score + how well an attributed quote (of `speaker`, when given)
    matches the asked content."""
    scored = [
        (h.score + weight * _quote_match(h, content, speaker), i, h) for i, h in enumerate(hits)
    ]
    scored.sort(key=lambda t: (-t[0], t[1]))
    for score, _, hit in scored:
        hit.score = float(score)
    return [hit for _, _, hit in scored]


def _quote_match(hit: Hit, content: str, speaker: str | None = None) -> float:
    """How well the best attributed quote of a passage matches the asked content (0..1)."""
    best = 0.0
    for a in hit.attributions:
        if a.quote and (speaker is None or a.speaker == speaker):
            best = max(best, fuzz.token_set_ratio(content.lower(), a.quote.lower()))
    return best / 100.0
