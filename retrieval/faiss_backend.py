"""The default search backend: FAISS vectors (retrieval/vectors.py) and a bm25s keyword index
(retrieval/keyword.py), in this process.

Each call is the code the search ran before the backend interface existed, moved here
unchanged: the FAISS path ranks and costs what it did (bench/perf.py, paired). Texts and
collections given to `add` are not kept: the keyword index is rebuilt from SQLite when the
database's generation moves (KeywordIndex.open), and callers restrict to a collection by
passing its paragraph ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np

from retrieval.backend import Collections, IdArray, KeywordQuery, SearchBackend
from retrieval.keyword import KeywordIndex
from retrieval.scope import members
from retrieval.vectors import VectorIndex

EXACT_ALLOWED_MAX = 5000  # restricted searches score allowed ids exactly below this many


class FaissBackend(SearchBackend):
    kind = "faiss"

    def __init__(self, vectors: VectorIndex, keyword: KeywordIndex | None = None) -> None:
        self.vectors = vectors
        self.keyword_index = keyword

    @property
    def ntotal(self) -> int:
        return self.vectors.ntotal

    @property
    def keyword_size(self) -> int:
        return len(self.keyword_index) if self.keyword_index is not None else 0

    def add(
        self,
        ids: Sequence[int] | IdArray,
        vectors: np.ndarray,
        texts: Sequence[str],
        collections: Sequence[str],
    ) -> None:
        self.vectors.add(cast(np.ndarray, ids), vectors)

    def remove(self, ids: Sequence[int] | IdArray) -> None:
        self.vectors.remove(list(ids))

    def dense(
        self, query: np.ndarray, k: int, ids: IdArray | None = None, collections: Collections = None
    ) -> tuple[IdArray, np.ndarray]:
        if ids is None:
            return self.vectors.search_arrays(np.asarray(query).reshape(1, -1), k)
        return top_within(self.vectors, query, ids, k)

    def keyword_query(self, text: str) -> KeywordQuery:
        kw = self.keyword_index
        return KeywordQuery(text, kw.all_scores(text) if kw is not None else None)

    def keyword(
        self,
        query: KeywordQuery,
        k: int,
        ids: IdArray | None = None,
        collections: Collections = None,
    ) -> tuple[IdArray, np.ndarray]:
        if self.keyword_index is None or query.state is None:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return self.keyword_index.top(query.state, k, allowed=ids)

    def keyword_scores(self, query: KeywordQuery, ids: IdArray) -> np.ndarray:
        if self.keyword_index is None or query.state is None:
            return np.zeros(len(ids), np.float32)
        return self.keyword_index.scores_at(query.state, ids)

    def keyword_best(
        self, query: KeywordQuery, ids: IdArray | None = None, collections: Collections = None
    ) -> float:
        bm25 = query.state
        if self.keyword_index is None or bm25 is None or not len(bm25):
            return 0.0
        if ids is not None:
            rows = self.keyword_index.rows_of(ids)
            bm25 = bm25[rows[rows >= 0]]
        return float(bm25.max()) if len(bm25) else 0.0

    def vectors_for(self, ids: Sequence[int] | IdArray) -> np.ndarray:
        return self.vectors.vectors_for(cast(np.ndarray, ids))


def top_within(
    vectors: VectorIndex, q: np.ndarray, ids: np.ndarray, pool: int
) -> tuple[IdArray, np.ndarray]:
    """The `pool` ids among `ids` nearest to the query vector `q`, best first, with their
    cosines."""
    ids = np.asarray(ids, dtype=np.int64)
    q = np.asarray(q, dtype=np.float32).reshape(-1)
    if len(ids) <= EXACT_ALLOWED_MAX:
        cos = vectors.vectors_for(ids) @ q
        order = np.argsort(-cos, kind="stable")[:pool]
        return ids[order], cos[order]
    # many ids (a big speaker, a big collection): search deeper and keep theirs, deeper
    # still while too few of them turn up (the ids may all lie far from this question)
    want, total = min(pool, len(ids)), vectors.ntotal
    depth = min(total, pool * max(1, total // len(ids)) * 2)
    ordered = ids if bool(np.all(ids[1:] >= ids[:-1])) else np.sort(ids)
    while True:
        found, scores = vectors.search_arrays(q.reshape(1, -1), depth)
        keep = members(found, ordered)
        if keep.sum() >= want or depth >= total:
            return found[keep][:pool], scores[keep][:pool]
        depth = min(total, depth * 4)
