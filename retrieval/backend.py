"""The search backend: where a question's candidates and their scores come from.

SQLite (retrieval/store.py) is the source of truth: documents, paragraphs, attributions and
every paragraph's embedding. A backend holds what is derived from it for searching (each
paragraph's vector, its words for BM25 and its collection) and can always be rebuilt from
it, with no model (`attribot check --repair`). Two implement this one interface:

- "faiss" (the default; retrieval/faiss_backend.py): a FAISS vector file and a bm25s
  keyword index in this process, snapshots published per database generation.
- "milvus" (retrieval/milvus_backend.py, `pip install 'attribot[milvus]'`): one Milvus
  collection per index, Milvus Lite for a local path, a server or cluster for http(s)://.

Fusion is not a backend's job. `retrieval.search.retrieve` asks the backend for candidates
(dense top-k, keyword top-k) and for every candidate's vector and keyword score, then ranks
them itself (z-score fusion with the hubness correction), so both backends rank alike.

Every search call takes an optional `ids` filter (a speaker's passages; the allowed ids of a
scope) and an optional `collections` filter (issue 13: each Discord server its collection).
The FAISS backend restricts by `ids` only (its callers compute them from SQLite); Milvus
filters on either inside the engine (`collections` is its partition key).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

VECTOR_BACKENDS = ("faiss", "milvus")

MILVUS_MISSING = (
    "this index searches with Milvus, and pymilvus is not installed: pip install 'attribot[milvus]'"
)

IdArray = np.ndarray  # int64 paragraph ids
Collections = frozenset[str] | None  # None: every collection


@dataclass(frozen=True, slots=True)
class BackendSettings:
    """Which backend a new index uses and where Milvus is (the ATTRIBOT_VECTOR_BACKEND,
    ATTRIBOT_MILVUS_URI and ATTRIBOT_MILVUS_TOKEN settings)."""

    kind: str | None = None  # None: what the index was built with ("faiss" for a new one)
    milvus_uri: str | None = None  # None: Milvus Lite in the index folder
    milvus_token: str | None = field(default=None, repr=False)  # a secret: never in a repr


@dataclass(slots=True)
class KeywordQuery:
    """One question's keyword side, prepared once (`SearchBackend.keyword_query`) and read by
    every keyword call of one search: bm25s scores every paragraph once; Milvus keeps the
    analysed terms and the top-k it already fetched."""

    text: str
    state: Any = None  # the backend's own
    memo: dict = field(default_factory=dict)


class SearchBackend(ABC):
    """Derived search data over an index's paragraphs (see the module docstring)."""

    kind: ClassVar[str]
    # True: the backend filters by collection inside its search, and a search within a scope
    # passes the collections' names; False: it passes the scope's paragraph ids instead.
    filters_collections: ClassVar[bool] = False

    @property
    @abstractmethod
    def ntotal(self) -> int:
        """Paragraphs (vectors) held."""

    @property
    @abstractmethod
    def keyword_size(self) -> int:
        """Paragraphs the keyword index holds (0: no keyword search); the lexical evidence
        is scaled by log(1 + this)."""

    # -- writing: ingest mirrors each committed batch, a rebuild everything ------------------
    @abstractmethod
    def add(
        self,
        ids: Sequence[int] | IdArray,
        vectors: np.ndarray,
        texts: Sequence[str],
        collections: Sequence[str],
    ) -> None:
        """Add (or replace: idempotent) paragraphs: ids, normalised vectors, texts and the
        collection of each."""

    @abstractmethod
    def remove(self, ids: Sequence[int] | IdArray) -> None:
        """Forget paragraphs (unknown ids are ignored)."""

    # -- reading: one search ------------------------------------------------------------------
    @abstractmethod
    def dense(
        self, query: np.ndarray, k: int, ids: IdArray | None = None, collections: Collections = None
    ) -> tuple[IdArray, np.ndarray]:
        """(ids, cosines) of the k paragraphs nearest the normalised `query`, best first,
        among `ids` and in `collections` when given."""

    @abstractmethod
    def keyword_query(self, text: str) -> KeywordQuery:
        """`text` prepared for the keyword calls below."""

    @abstractmethod
    def keyword(
        self,
        query: KeywordQuery,
        k: int,
        ids: IdArray | None = None,
        collections: Collections = None,
    ) -> tuple[IdArray, np.ndarray]:
        """(ids, BM25 scores) of the k best keyword matches, best first; paragraphs sharing
        no term with the query are left out."""

    @abstractmethod
    def keyword_scores(self, query: KeywordQuery, ids: IdArray) -> np.ndarray:
        """The BM25 score of each of `ids` (0 where none of its terms is in the query), for
        fusing candidates the keyword top-k did not bring."""

    @abstractmethod
    def keyword_best(
        self, query: KeywordQuery, ids: IdArray | None = None, collections: Collections = None
    ) -> float:
        """The best BM25 score of any paragraph (among `ids`, in `collections`): the no-answer
        decision's lexical evidence."""

    @abstractmethod
    def vectors_for(self, ids: Sequence[int] | IdArray) -> np.ndarray:
        """The stored vectors of `ids`, one row each (zeros for an unknown id): exact cosines
        and the hubness correction of the fusion, and near-duplicate collapse."""

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release connections (the FAISS backend holds none)."""
