"""The Milvus search backend: one Milvus collection per index (`ATTRIBOT_VECTOR_BACKEND=milvus`).

pymilvus' MilvusClient is the same API for Milvus Lite (a local path ending in .db: embedded,
one process at a time, for tests and small corpora) and for a Milvus server or cluster
(http(s)://host:19530, with ATTRIBOT_MILVUS_TOKEN). `pip install 'attribot[milvus]'`.

The collection (schema FORMAT):
- id: INT64 primary key, the paragraph's SQLite id (never reused: AUTOINCREMENT).
- collection: VARCHAR, the Attribot collection the paragraph's document is in (retrieval/
  scope.py); the partition key on a server, a plain field on Lite (see `_consolidate`).
  Searches within a scope filter on it inside the engine.
- terms: VARCHAR with a BM25 Function into `sparse`, so keyword search runs in the engine.
  It holds the paragraph's words as Attribot's own tokenizer reads them (retrieval/keyword.py:
  lowercase, stopwords out, light stemming), joined by spaces, and the engine's "standard"
  analyzer splits them back: the terms and their statistics are the ones bm25s sees for FAISS,
  on Milvus Lite and on a server alike (Lite has no stemming analyzer). The text itself
  stays in SQLite.
- vector: FLOAT_VECTOR, the normalised embedding, inner product (= cosine).
Index types and parameters are set explicitly (VECTOR_INDEX, `_index_specs`) and read back
after building: a parameter the engine silently drops (Milvus Lite ignores build parameters
given as separate keys, so they go in as one "params" JSON value) fails the build loudly.

Kept in step with SQLite (the source of truth) by generation, like the FAISS file: the
collection's property `attribot.generation` says which database generation it mirrors. An
ingest mirrors each committed batch (idempotent upserts, batched) and marks the generation at
its end; when the mark is behind (a process killed mid-ingest, a concurrent writer), the
ids are compared with SQLite's and the difference upserted or deleted, from the embeddings
SQLite keeps. `attribot check --repair` rebuilds the collection from SQLite.

Guards for what the engines differ in: a filtered HNSW search may return fewer than k
(MilvusBackend.dense then scores the filtered ids exactly, or searches wider); Milvus Lite
reports BM25 as negative distances (scores are taken as magnitudes) and keeps BM25
statistics per segment (so on Lite a writer leaves one segment: `_consolidate`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# Milvus Lite flushes its buffer into a new segment past 128 MB (or 256 MB of log): a
# rebuild is meant to end in one segment (MilvusMirror._consolidate), so the budgets are
# raised before Lite is imported. A value set in the environment wins.
os.environ.setdefault("MILVUS_LITE_MEMTABLE_MEMORY_LIMIT_BYTES", str(4 << 30))
os.environ.setdefault("MILVUS_LITE_WAL_SIZE_LIMIT_BYTES", str(8 << 30))

from pymilvus import DataType, Function, FunctionType, MilvusClient, MilvusException
from pymilvus.client.types import LoadState
from pymilvus.exceptions import ConnectionConfigException

from retrieval.backend import (
    BackendSettings,
    Collections,
    IdArray,
    KeywordQuery,
    SearchBackend,
)
from retrieval.errors import IndexProblem
from retrieval.keyword import BM25_B, BM25_K1, tokenize
from retrieval.store import Store

log = logging.getLogger(__name__)

FORMAT = "1"  # the schema below; another value is rebuilt
LITE_FILE = "milvus.db"  # Milvus Lite's folder inside an index folder, when no URI is given
# HNSW: Milvus' usual in-memory index, and it takes deletes (a replaced document's
# paragraphs). ef 128 >= the 50 candidates a search asks for; bench/retrieval_eval.py
# --backend milvus measures Recall@5 against FAISS.
VECTOR_INDEX = {
    "index_type": "HNSW",
    "metric_type": "IP",
    "params": {"M": 16, "efConstruction": 200},
}
SEARCH_EF = 128
# k1 and b as bm25s' (retrieval/keyword.py). TAAT_NAIVE is exact and the one algorithm Milvus
# Lite has; a server's DAAT_MAXSCORE is exact too and faster on big corpora.
KEYWORD_ALGO = {True: "TAAT_NAIVE", False: "DAAT_MAXSCORE"}
BATCH_ROWS = 1000  # rows per upsert call (each ~2 kB of vector and terms)
ID_FILTER_MAX = 5000  # ids in one filter expression; more are searched chunk by chunk
EXACT_FALLBACK_MAX = 5000  # a filtered search short of k scores up to this many ids exactly
MAX_TERMS_BYTES = 60_000  # under Milvus' 65,535-byte VARCHAR limit
# Milvus scores BM25 with Robertson's (k1 + 1) in the numerator, bm25s (like Lucene) without
# it: same ranking, scores 1.9x. Scaled back, both backends' scores are one scale, so the
# no-answer decision's lexical evidence (calibrated on bm25s, retrieval/search.py) holds
# (sample corpus: equal to 1e-6, tests/test_backends.py; RealTimeQA: bench/qa_eval.py).
BM25_SCALE = 1.0 / (1.0 + BM25_K1)
PROPS = ("attribot.format", "attribot.model", "attribot.dim", "attribot.generation")

_lite_lock = threading.Lock()
_lite_users: dict[str, int] = {}


def _quiet_pymilvus() -> None:
    """pymilvus gives its loggers stderr handlers of their own on import: their lines would
    bypass Attribot's log set-up (and its redaction of ATTRIBOT_MILVUS_TOKEN), and each
    failed call prints a traceback that Attribot reports itself, in one line. Its records go
    to the root handler instead, and only when critical."""
    for name in ("pymilvus", "pymilvus.milvus_client", "pymilvus.bulk_writer"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.CRITICAL)


_quiet_pymilvus()


def terms_of(text: str) -> str:
    """The words BM25 indexes for `text`: Attribot's tokenizer, joined by spaces."""
    out = " ".join(tokenize(text))
    if len(out) > MAX_TERMS_BYTES:
        out = out.encode("utf-8")[:MAX_TERMS_BYTES].decode("utf-8", "ignore").rsplit(" ", 1)[0]
    return out


def is_lite(uri: str) -> bool:
    return not uri.startswith(("http://", "https://", "tcp://", "unix:"))


def resolve_uri(setting: str | None, stored: str | None, folder: Path) -> str:
    """Where the collection lives: the setting, else what the index was built with, else
    Milvus Lite inside the index folder. One-line errors for what pymilvus would refuse."""
    uri = (setting or stored or "").strip() or str(Path(folder).resolve() / LITE_FILE)
    if not is_lite(uri):
        if "@" in uri.split("://", 1)[1].split("/", 1)[0]:
            raise IndexProblem(
                "ATTRIBOT_MILVUS_URI holds a user name or password: give the URI without "
                "them and the credentials as ATTRIBOT_MILVUS_TOKEN ('user:password' or an "
                "API key)"
            )
        return uri
    path = Path(uri).expanduser()
    if path.suffix != ".db":
        raise IndexProblem(
            f"ATTRIBOT_MILVUS_URI '{uri}' is neither http(s):// (a Milvus server) nor a path "
            "ending in .db (Milvus Lite)"
        )
    if path.exists() and not path.is_dir():
        raise IndexProblem(f"{path} is a file, not a Milvus Lite database folder")
    return str(path.resolve())


class _LiteOpenError(logging.Filter):
    """Keeps the reason Milvus Lite logs (with a traceback) when it cannot open its folder,
    so the user gets it as one line instead."""

    def __init__(self) -> None:
        super().__init__()
        self.reason = ""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            self.reason = str(record.exc_info[1])
        return False


def connect(uri: str, token: str | None) -> MilvusClient:
    """A client for `uri`, or IndexProblem in one line."""
    catcher = _LiteOpenError()
    lite_log = logging.getLogger("milvus_lite.server_manager")
    lite_log.addFilter(catcher)
    try:
        if is_lite(uri):
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
            # pymilvus pings every 10 s by default; Lite's gRPC server allows one per 5 min
            # and answers a long call with GOAWAY "too_many_pings" on stderr.
            client = MilvusClient(uri=uri, grpc_options={"grpc.keepalive_time_ms": 600_000})
            with _lite_lock:
                _lite_users[uri] = _lite_users.get(uri, 0) + 1
            return client
        return MilvusClient(uri=uri, token=token or "", timeout=30)
    except (MilvusException, ConnectionConfigException) as exc:
        why = catcher.reason or getattr(exc, "message", "") or str(exc)
        if token:
            why = why.replace(token, "[token]")
        if is_lite(uri) and "lock" in why:
            why = (
                "another process has it open (Milvus Lite serves one process: run a Milvus "
                "server to search and ingest from several)"
            )
        raise IndexProblem(f"cannot open Milvus at {uri}: {why}") from None
    finally:
        lite_log.removeFilter(catcher)


def disconnect(client: MilvusClient, uri: str) -> None:
    """Close the client; the last user of a Milvus Lite folder in this process stops its
    server, which releases the folder for other processes."""
    with contextlib.suppress(Exception):
        client.close()
    if not is_lite(uri):
        return
    with _lite_lock:
        left = _lite_users.get(uri, 0) - 1
        if left > 0:
            _lite_users[uri] = left
            return
        _lite_users.pop(uri, None)
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(uri)


def _id_filter(ids: Sequence[int] | np.ndarray) -> str:
    return "id in [" + ",".join(str(int(i)) for i in ids) + "]"


def _collections_filter(collections: Collections) -> str:
    return "collection in " + json.dumps(sorted(collections or ()))


def _filters(ids: np.ndarray | None, collections: Collections) -> Iterator[str]:
    """The filter expressions a search runs under: one per chunk of `ids`."""
    where = _collections_filter(collections) if collections is not None else ""
    if ids is None:
        yield where
        return
    for start in range(0, len(ids), ID_FILTER_MAX):
        part = _id_filter(ids[start : start + ID_FILTER_MAX])
        yield f"({part}) and ({where})" if where else part


def _merge(found: list[tuple[int, float]], k: int) -> tuple[IdArray, np.ndarray]:
    """Best first, at most k, ties in id order (the chunks of one search, merged)."""
    found.sort(key=lambda t: (-t[1], t[0]))
    found = found[:k]
    return (
        np.array([i for i, _ in found], dtype=np.int64),
        np.array([s for _, s in found], dtype=np.float32),
    )


class MilvusBackend(SearchBackend):
    """Searches one Milvus collection (see the module docstring)."""

    kind = "milvus"
    filters_collections = True

    def __init__(self, client: MilvusClient, name: str, dim: int, lite: bool) -> None:
        self.client, self.name, self.dim, self.lite = client, name, dim, lite
        self._count: int | None = None
        self.synced: int | None = None  # the generation verified when this was opened

    # -- sizes ----------------------------------------------------------------------------
    @property
    def ntotal(self) -> int:
        if self._count is None:
            rows = self.client.query(self.name, filter="", output_fields=["count(*)"])
            self._count = int(rows[0]["count(*)"]) if rows else 0
        return self._count

    @property
    def keyword_size(self) -> int:
        return self.ntotal

    def count(self, ids: IdArray) -> int:
        """How many of `ids` the collection holds."""
        held = 0
        for where in _filters(np.asarray(ids, dtype=np.int64), None):
            rows = self.client.query(self.name, filter=where, output_fields=["count(*)"])
            held += int(rows[0]["count(*)"]) if rows else 0
        return held

    def forget_count(self) -> None:
        """Another process may have changed the collection: count again when asked."""
        self._count = None

    # -- writing --------------------------------------------------------------------------
    def add(
        self,
        ids: Sequence[int] | IdArray,
        vectors: np.ndarray,
        texts: Sequence[str],
        collections: Sequence[str],
    ) -> None:
        """Upsert in batches: adding a paragraph twice (a re-run after a crash) replaces it."""
        vectors = np.asarray(vectors, dtype=np.float32)
        for start in range(0, len(ids), BATCH_ROWS):
            end = min(len(ids), start + BATCH_ROWS)
            rows = [
                {
                    "id": int(ids[i]),
                    "collection": collections[i],
                    "terms": terms_of(texts[i]),
                    "vector": vectors[i],
                }
                for i in range(start, end)
            ]
            self.client.upsert(self.name, rows)
        if len(ids):
            self._count = None

    def remove(self, ids: Sequence[int] | IdArray) -> None:
        ids = [int(i) for i in ids]
        for start in range(0, len(ids), ID_FILTER_MAX):
            self.client.delete(self.name, ids=ids[start : start + ID_FILTER_MAX])
        if ids:
            self._count = None

    # -- dense ----------------------------------------------------------------------------
    def dense(
        self, query: np.ndarray, k: int, ids: IdArray | None = None, collections: Collections = None
    ) -> tuple[IdArray, np.ndarray]:
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if ids is not None:
            ids = np.asarray(ids, dtype=np.int64)
            if len(ids) <= k:  # all of them: scoring them is exact and one call
                return self._exact(q, ids, k)
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        found = self._dense_search(q, k, ids, collections, SEARCH_EF)
        if len(found[0]) >= k:
            return found
        # A filtered HNSW search can come back short of k though more match the filter.
        if ids is not None and len(ids) <= EXACT_FALLBACK_MAX:
            return self._exact(q, ids, k)
        if ids is not None or collections is not None:
            return self._dense_search(q, k, ids, collections, max(SEARCH_EF, k) * 8)
        return found

    def _dense_search(
        self, q: np.ndarray, k: int, ids: IdArray | None, collections: Collections, ef: int
    ) -> tuple[IdArray, np.ndarray]:
        params = {"metric_type": "IP", "params": {"ef": max(ef, k)}}
        return self._search("vector", q, k, ids, collections, params, 1.0)

    def _search(
        self,
        field_name: str,
        data: Any,
        k: int,
        ids: IdArray | None,
        collections: Collections,
        params: dict,
        scale: float,
    ) -> tuple[IdArray, np.ndarray]:
        """One search of `field_name`, chunk by chunk of `ids`: (ids, scores) best first.
        Cosines are taken as the engine gives them. A BM25 score (`scale` != 1) is taken as
        a magnitude: Lite reports it as a negative distance, a server as the score, and it
        is never negative either way."""
        found: list[tuple[int, float]] = []
        for where in _filters(ids, collections):
            res = self.client.search(
                self.name,
                data=[data],
                anns_field=field_name,
                limit=k,
                filter=where,
                output_fields=["id"],  # Lite returns every field for [] (vectors included)
                search_params=params,
            )
            for hit in res[0]:
                score = float(hit["distance"])
                found.append((int(hit["id"]), abs(score) * scale if scale != 1.0 else score))
        return _merge(found, k)

    def _exact(self, q: np.ndarray, ids: IdArray, k: int) -> tuple[IdArray, np.ndarray]:
        vecs = self.vectors_for(ids)
        known = np.abs(vecs).sum(axis=1) > 0
        ids, cos = ids[known], vecs[known] @ q
        order = np.argsort(-cos, kind="stable")[:k]
        return ids[order], cos[order].astype(np.float32)

    def vectors_for(self, ids: Sequence[int] | IdArray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        if not len(ids):
            return out
        row_of: dict[int, list[int]] = {}
        for row, pid in enumerate(ids.tolist()):
            row_of.setdefault(pid, []).append(row)
        unique = np.fromiter(row_of, dtype=np.int64)
        for start in range(0, len(unique), ID_FILTER_MAX):
            chunk = unique[start : start + ID_FILTER_MAX]
            for rec in self.client.query(
                self.name, filter=_id_filter(chunk), output_fields=["id", "vector"]
            ):
                out[row_of[int(rec["id"])]] = np.asarray(rec["vector"], dtype=np.float32)
        return out

    # -- keyword --------------------------------------------------------------------------
    def keyword_query(self, text: str) -> KeywordQuery:
        return KeywordQuery(text, terms_of(text))

    def keyword(
        self,
        query: KeywordQuery,
        k: int,
        ids: IdArray | None = None,
        collections: Collections = None,
    ) -> tuple[IdArray, np.ndarray]:
        key = _filter_key(ids, collections)
        done = query.memo.get(key)
        if done is not None and done[0] >= k:
            return done[1][:k], done[2][:k]
        found = self._keyword_search(query.state, k, ids, collections)
        query.memo[key] = (k, *found)
        return found

    def _keyword_search(
        self, terms: str, k: int, ids: IdArray | None, collections: Collections
    ) -> tuple[IdArray, np.ndarray]:
        if not terms or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        ids = None if ids is None else np.asarray(ids, dtype=np.int64)
        return self._search(
            "sparse", terms, k, ids, collections, {"metric_type": "BM25"}, BM25_SCALE
        )

    def keyword_scores(self, query: KeywordQuery, ids: IdArray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        found_ids, scores = self._keyword_search(query.state, len(ids), ids, None)
        score_of = dict(zip(found_ids.tolist(), scores.tolist(), strict=True))
        return np.array([score_of.get(int(i), 0.0) for i in ids], dtype=np.float32)

    def keyword_best(
        self, query: KeywordQuery, ids: IdArray | None = None, collections: Collections = None
    ) -> float:
        _, scores = self.keyword(query, 1, ids, collections)
        return float(scores[0]) if len(scores) else 0.0


def _filter_key(ids: np.ndarray | None, collections: Collections) -> tuple:
    id_key = None if ids is None else (len(ids), hash(np.asarray(ids, dtype=np.int64).tobytes()))
    return (id_key, collections)


class MilvusMirror:
    """One index's Milvus collection, kept in step with its SQLite database (see the module
    docstring): opened, reconciled, rebuilt and marked here.

    The collection's name is in the database's meta (`milvus_collection`). A rebuild fills a
    new collection and then switches the name, in one SQLite commit that also moves the
    generation (so other processes turn to it), before dropping the old one: a kill at any
    moment leaves the old collection or the new one in use, never a half-made one (Milvus
    Lite, killed inside a drop and re-create of one name, came back with a collection that
    took rows and counted none).
    """

    def __init__(self, store: Store, folder: Path, settings: BackendSettings, model: str) -> None:
        self.store = store
        self.model = model
        self.uri = resolve_uri(settings.milvus_uri, store.get_meta("milvus_uri"), folder)
        self.lite = is_lite(self.uri)
        self._token = settings.milvus_token
        self._client: MilvusClient | None = None
        self._lock = threading.RLock()

    # -- connection and names --------------------------------------------------------------
    def client(self) -> MilvusClient:
        with self._lock:
            if self._client is None:
                self._client = connect(self.uri, self._token)
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                disconnect(self._client, self.uri)
                self._client = None

    def current(self) -> str | None:
        """The name of the collection in use (None before the first is built)."""
        return self.store.get_meta("milvus_collection")

    def remember(self, conn: Any) -> None:
        """Record, inside an ingest's first commit, that this index lives in Milvus, and
        where when it is a server (a later `attribot ask` needs no setting but the token)."""
        self.store.set_meta("vector_backend", "milvus", conn)
        if not self.lite:
            self.store.set_meta("milvus_uri", self.uri, conn)

    # -- opening --------------------------------------------------------------------------
    def open(self, dim: int, reconcile: bool) -> MilvusBackend:
        """The collection ready to search: built from SQLite when there is none, or when it
        is of another format, model, dimension or index settings; reconciled with SQLite
        when its generation mark is behind and `reconcile` (a writer, or a reader while no
        writer runs)."""
        client, name = self.client(), self.current()
        props = self._properties(name) if name else None
        if name is None or props is None or not self._fits(name, props, dim):
            return self.rebuild(dim)
        if client.get_load_state(name)["state"] != LoadState.Loaded:
            client.load_collection(name)
        backend = MilvusBackend(client, name, dim, self.lite)
        backend.synced = int(props.get("attribot.generation", "-1"))
        if backend.synced != self.store.generation and reconcile:
            backend.synced = self.reconcile(backend)
            return self._consolidate(backend)
        return backend

    def _fits(self, name: str, props: dict[str, str], dim: int) -> bool:
        expected = {
            "attribot.format": FORMAT,
            "attribot.model": self.model,
            "attribot.dim": str(dim),
        }
        wrong = [k for k, v in expected.items() if props.get(k) != v]
        try:
            check_indexes(self.client(), name, self.lite)
        except IndexProblem as exc:
            wrong.append(str(exc))
        if wrong:
            log.warning("Milvus collection %s does not fit (%s): rebuilding", name, wrong)
        return not wrong

    def _properties(self, name: str) -> dict[str, str] | None:
        if not self.client().has_collection(name):
            return None
        props = self.client().describe_collection(name).get("properties") or {}
        return {k: str(v) for k, v in props.items()}

    def _mark(self, name: str, generation: int) -> None:
        self.client().alter_collection_properties(
            name, properties={"attribot.generation": str(generation)}
        )

    # -- building and reconciling -----------------------------------------------------------
    def rebuild(self, dim: int) -> MilvusBackend:
        """A new collection filled from SQLite alone (no model needed), then put in use."""
        missing = self.store.unembedded(self.model)
        if missing:
            raise IndexProblem(
                f"{missing} paragraphs have no stored embedding for model '{self.model}': run "
                f"`attribot check --repair --index {self.store.path.parent}` (it re-embeds "
                "them from the text the database keeps)"
            )
        client, old = self.client(), self.current()
        self._drop(self.store.get_meta("milvus_building"))  # a killed rebuild's
        name = f"attribot_{uuid.uuid4().hex[:16]}"
        with self.store.transaction() as conn:
            self.store.set_meta("milvus_building", name, conn)
        generation = self.store.generation
        create_collection(client, name, dim, self.lite, self.model)
        backend = MilvusBackend(client, name, dim, self.lite)
        added = self._copy(backend, None)
        if self.lite:
            client.flush(name)  # one segment: see `_consolidate`
        with self.store.transaction() as conn:
            self.store.set_meta("milvus_collection", name, conn)
            conn.execute("DELETE FROM meta WHERE key='milvus_building'")
            current = self.store.bump_generation(conn)  # other processes turn to `name`
        if current == generation + 1:  # nobody committed paragraphs while it filled
            self._mark(name, current)
        backend.synced = current
        if old != name:
            self._drop(old)
        log.info("built Milvus collection %s at %s: %d paragraphs", name, self.uri, added)
        return backend

    def _drop(self, name: str | None) -> None:
        if name and name != self.current() and self.client().has_collection(name):
            self.client().drop_collection(name)

    def reconcile(self, backend: MilvusBackend) -> int:
        """Make the collection hold exactly SQLite's paragraphs; the generation it then
        mirrors (marked unless another writer committed meanwhile)."""
        generation, client, name = self.store.generation, self.client(), backend.name
        want = np.asarray(self.store.paragraph_ids(), dtype=np.int64)
        below = int(want.max()) + 1 if len(want) else 0
        have = all_ids(client, name, below)
        extra, missing = np.setdiff1d(have, want), np.setdiff1d(want, have)
        beyond = count_from(client, name, below)
        if beyond:
            client.delete(name, filter=f"id >= {below}")
        backend.remove(extra)
        self._copy(backend, missing)
        if len(extra) or len(missing) or beyond:
            log.warning(
                "Milvus collection %s was behind the database: %d paragraphs added, %d removed",
                name,
                len(missing),
                len(extra) + beyond,
            )
        backend.forget_count()
        if self.store.generation == generation:
            self._mark(name, generation)
        return generation

    def _consolidate(self, backend: MilvusBackend) -> MilvusBackend:
        """The collection to use after a write: on a server, `backend`; on Milvus Lite, one
        rebuilt from SQLite into a single flushed segment. Lite scores BM25 with statistics
        of one segment (a segment per ingest, and one per partition, each with its own
        IDF: a small collection's words all look common), and in its unflushed buffer of
        the rows a filter lets through; in one flushed segment its scores are bm25s' to
        1e-6 (tests/test_backends.py). A server keeps collection-wide statistics. This
        costs Lite a copy of the index per ingest: Lite is for tests and small corpora."""
        return self.rebuild(backend.dim) if self.lite else backend

    def _copy(self, backend: MilvusBackend, ids: np.ndarray | None) -> int:
        """Upsert paragraphs from SQLite (all of them, or `ids`); how many."""
        done = 0
        for pids, vectors, texts, collections in self.store.embedded_paragraphs(
            self.model, None if ids is None else ids.tolist()
        ):
            backend.add(pids, vectors, texts, collections)
            done += len(pids)
        return done

    def publish(self, backend: MilvusBackend, generation: int, batches: int) -> MilvusBackend:
        """An ingest's end: mark `generation` when this run's `batches` commits came right
        after the generation it found mirrored and the counts agree; otherwise (another
        writer committed meanwhile, or a killed one left rows behind) reconcile first. The
        collection to use from now on (see `_consolidate`)."""
        backend.forget_count()
        clean = backend.synced is not None and backend.synced + batches == generation
        if (
            clean
            and self.store.generation == generation
            and backend.ntotal == self.store.counts()["paragraphs"]
        ):
            self._mark(backend.name, generation)
            backend.synced = generation
        else:
            backend.synced = self.reconcile(backend)
        return self._consolidate(backend)


def _index_specs(lite: bool) -> dict[str, dict]:
    """The two indexes by field: type, metric and build parameters, all explicit."""
    keyword = {"bm25_k1": BM25_K1, "bm25_b": BM25_B, "inverted_index_algo": KEYWORD_ALGO[lite]}
    return {
        "vector": VECTOR_INDEX,
        "sparse": {"index_type": "SPARSE_INVERTED_INDEX", "metric_type": "BM25", "params": keyword},
    }


def create_collection(client: MilvusClient, name: str, dim: int, lite: bool, model: str) -> None:
    """Create the collection (schema in the module docstring) with its indexes, then read
    the indexes back: a parameter the engine dropped drops the collection and fails."""
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    # The partition key on a server; Lite keeps a segment per partition and scores BM25 per
    # segment, so there it is a plain field that the same filter expressions read.
    schema.add_field("collection", DataType.VARCHAR, max_length=255, is_partition_key=not lite)
    schema.add_field(
        "terms",
        DataType.VARCHAR,
        max_length=65535,
        enable_analyzer=True,
        analyzer_params={"tokenizer": "standard"},
    )
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(
        Function(
            name="terms_bm25",
            function_type=FunctionType.BM25,
            input_field_names=["terms"],
            output_field_names=["sparse"],
        )
    )
    index_params = client.prepare_index_params()
    for field_name, spec in _index_specs(lite).items():
        index_params.add_index(
            field_name=field_name,
            index_name=field_name,
            index_type=spec["index_type"],
            metric_type=spec["metric_type"],
            # one JSON "params" value: Milvus Lite silently drops parameters given as
            # separate keys (nlist came back as its default 128); a server reads both
            params={"params": spec["params"]},
        )
    props = {"attribot.format": FORMAT, "attribot.model": model, "attribot.dim": str(dim)}
    client.create_collection(
        name,
        schema=schema,
        consistency_level="Strong",  # an answer never misses a paragraph already committed
        properties={**props, "attribot.generation": "-1"},
    )
    try:
        # Lite builds indexes as segments fill and has no timestamps to wait on: waiting
        # there only logs "AllocTimestamp not implemented" tracebacks
        client.create_index(name, index_params, sync=not lite)
        check_indexes(client, name, lite)
    except (IndexProblem, MilvusException):
        client.drop_collection(name)
        raise
    client.load_collection(name)


def check_indexes(client: MilvusClient, name: str, lite: bool) -> None:
    """IndexProblem unless both indexes are of the type, metric and parameters set."""
    wrong = []
    for field_name, spec in _index_specs(lite).items():
        got = client.describe_index(name, index_name=field_name) or {}
        params = {**got, **(got.get("params") or {})}
        for key, value in (
            ("index_type", spec["index_type"]),
            ("metric_type", spec["metric_type"]),
            *spec["params"].items(),
        ):
            if not _same(params.get(key), value):
                wrong.append(f"{field_name} {key}={value} came back as {params.get(key)!r}")
    if wrong:
        raise IndexProblem(
            f"Milvus did not keep the index settings of collection {name} ({'; '.join(wrong)}): "
            "this Milvus version is not supported"
        )


def _same(got: Any, want: Any) -> bool:
    if got is None:
        return False
    if isinstance(want, int | float) and not isinstance(want, bool):
        try:
            return abs(float(got) - float(want)) < 1e-9
        except (TypeError, ValueError):
            return False
    return str(got).upper() == str(want).upper()


ID_WINDOW = 10_000  # ids per range query when listing a collection's ids


def all_ids(client: MilvusClient, name: str, below: int) -> np.ndarray:
    """Every id under `below` the collection holds, read in id ranges (a query's result
    window is bounded on a server)."""
    found: list[int] = []
    for start in range(0, below, ID_WINDOW):
        rows = client.query(
            name, filter=f"id >= {start} and id < {start + ID_WINDOW}", output_fields=["id"]
        )
        found += [int(r["id"]) for r in rows]
    return np.unique(np.asarray(found, dtype=np.int64))


def count_from(client: MilvusClient, name: str, start: int) -> int:
    """Rows with an id at or above `start`: ones a restored, older database never had."""
    rows = client.query(name, filter=f"id >= {start}", output_fields=["count(*)"])
    return int(rows[0]["count(*)"]) if rows else 0


@dataclass
class CollectionState:
    """What `attribot check` reads of an index's collection (nothing is written)."""

    uri: str
    name: str
    exists: bool = False
    generation: int = -1
    count: int = 0
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    beyond: int = 0  # rows with ids the database never had
    problem: str = ""  # another format, model or index settings


def inspect_collection(
    folder: Path, meta: dict[str, str], settings: BackendSettings, below: int
) -> CollectionState:
    """The collection of the index whose SQLite meta is `meta`, read without writing (a
    Milvus Lite folder that does not exist is not created)."""
    uri = resolve_uri(settings.milvus_uri, meta.get("milvus_uri"), folder)
    state = CollectionState(uri, meta.get("milvus_collection", "(none)"))
    if "milvus_collection" not in meta or (is_lite(uri) and not Path(uri).exists()):
        return state
    client = connect(uri, settings.milvus_token)
    try:
        if not client.has_collection(state.name):
            return state
        state.exists = True
        if client.get_load_state(state.name)["state"] != LoadState.Loaded:
            client.load_collection(state.name)  # reading needs it loaded; nothing is written
        props = {
            k: str(v)
            for k, v in (client.describe_collection(state.name).get("properties") or {}).items()
        }
        state.generation = int(props.get("attribot.generation", "-1"))
        expected = {
            "attribot.format": FORMAT,
            "attribot.model": meta.get("model", ""),
            "attribot.dim": meta.get("dim", ""),
        }
        wrong = [
            f"{k} is {props.get(k)!r}, not {v!r}" for k, v in expected.items() if props.get(k) != v
        ]
        try:
            check_indexes(client, state.name, is_lite(uri))
        except IndexProblem as exc:
            wrong.append(str(exc))
        state.problem = "; ".join(wrong)
        rows = client.query(state.name, filter="", output_fields=["count(*)"])
        state.count = int(rows[0]["count(*)"]) if rows else 0
        state.ids = all_ids(client, state.name, below)
        state.beyond = count_from(client, state.name, below)
    finally:
        disconnect(client, uri)
    return state
