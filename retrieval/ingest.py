"""Ingestion: files -> documents -> paragraphs + attributions -> embeddings -> index.

Each batch of documents is committed to SQLite in one transaction, so a crash loses at most
the batch in flight; then it is mirrored into the search backend (retrieval/backend.py). The
vector file is saved (atomically) when the run ends, and is rebuilt from SQLite on the next
open if the run never got there; a Milvus collection is marked with the generation it
mirrors when the run ends, and reconciled with SQLite on the next open if it never got there.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from corpus.loaders import DEFAULT_MAX_BYTES, load_paths
from corpus.models import Document
from corpus.pipeline import analyse_documents
from retrieval.backend import SearchBackend
from retrieval.index import Index
from retrieval.scope import DEFAULT_COLLECTION, check_collection
from retrieval.store import document_hash, text_hash
from retrieval.writelock import writing

log = logging.getLogger(__name__)


@dataclass
class IngestSummary:
    documents_added: int = 0
    documents_updated: int = 0
    documents_unchanged: int = 0
    paragraphs_added: int = 0
    paragraphs_removed: int = 0
    paragraphs_embedded: int = 0  # embeddings computed; unchanged text is never embedded twice
    skipped: list[tuple[str, str]] = field(default_factory=list)  # failures: (where, why)
    ignored: list[str] = field(default_factory=list)  # unsupported files found in folders
    # wall seconds per stage (analyse = split + attribution, embed, store = SQLite, vectors =
    # the search backend: FAISS or Milvus); bench/perf.py reports them. With overlap, analyse
    # runs beside embed, and the "analyse_wait" stage is only the time the main thread waited
    # for it.
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.skipped)

    def to_json(self) -> dict:
        return {
            "documents_added": self.documents_added,
            "documents_updated": self.documents_updated,
            "documents_unchanged": self.documents_unchanged,
            "paragraphs_added": self.paragraphs_added,
            "paragraphs_removed": self.paragraphs_removed,
            "paragraphs_embedded": self.paragraphs_embedded,
            "skipped": [{"path": where, "reason": why} for where, why in self.skipped],
            "ignored": self.ignored,
        }


ProgressFn = Callable[[int, int], None]  # (documents done, documents total)

_UNIT = re.compile(r"\w+|[^\w\s]")


def token_counter(count: Callable[[str], int], max_tokens: int) -> Callable[[str], int]:
    """`count`, skipped where a cheap bound already proves the text fits.

    The exact WordPiece count costs ~1 ms a paragraph (a fifth of attribution's time). Plain
    ASCII English tokenises to about 1.1-1.3 pieces per word or punctuation mark, so text
    under half the limit in such units fits with a wide margin; other scripts (one "word" can
    be many pieces) and longer text are counted exactly. The splitter only compares the
    result with `max_tokens`, so returning the bound is enough.
    """

    def counted(text: str) -> int:
        if len(text) + 2 <= max_tokens:  # a WordPiece token covers at least one character
            return len(text) + 2
        if text.isascii():
            bound = 2 * len(_UNIT.findall(text)) + 2
            if bound <= max_tokens:
                return bound
        return count(text)

    return counted


def ingest_paths(
    index: Index,
    paths: Sequence[str | os.PathLike],
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: bool = False,
    on_progress: ProgressFn | None = None,
    collection: str = DEFAULT_COLLECTION,
) -> IngestSummary:
    """Ingest files and folders into `collection`; unusable files are reported in the
    summary, not raised."""
    check_collection(collection)  # before reading a single file
    report = load_paths(list(paths), max_bytes)
    summary = ingest_documents(
        index, report.documents, progress=progress, on_progress=on_progress, collection=collection
    )
    summary.skipped[:0] = report.skipped
    summary.ignored = report.ignored
    return summary


def ingest_documents(
    index: Index,
    documents: Sequence[Document],
    batch_size: int = 64,
    progress: bool = False,
    on_progress: ProgressFn | None = None,
    overlap: bool = True,
    collection: str = DEFAULT_COLLECTION,
) -> IngestSummary:
    """Ingest documents into `collection` in batches; unchanged ones (same hash in that
    collection) are skipped. A document is one (collection, id): the same file ingested into
    two collections is two documents (its text embedded once). Raises IndexProblem at once
    while `attribot check --repair` runs on the same folder."""
    check_collection(collection)
    with writing(index.folder, exclusive=False):
        return _ingest_documents(
            index, documents, batch_size, progress, on_progress, overlap, collection
        )


def _ingest_documents(
    index: Index,
    documents: Sequence[Document],
    batch_size: int,
    progress: bool,
    on_progress: ProgressFn | None,
    overlap: bool,
    collection: str,
) -> IngestSummary:
    """See `ingest_documents`.

    With `overlap`, batch N+1 is split and attributed in a background thread while batch N is
    embedded, so the main thread waits only for the (small) first batch's analysis: torch's
    two threads do not keep both cores busy all the time and spaCy fills the gaps. On a
    saturated machine the two compete for CPU instead; bench/perf.py measures both ways.
    """
    summary = IngestSummary()
    secs = summary.seconds
    for stage in ("analyse", "analyse_wait", "embed", "store", "vectors"):
        secs[stage] = 0.0
    run = _Run(index, summary, collection)
    changed = run.changed(documents)
    if not changed:
        return summary

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(changed), unit="doc", desc="ingesting", leave=False)
    vectors = index.writer()
    max_tokens = index.embedder.max_tokens  # loads the model here, not inside the worker thread
    count_tokens = token_counter(index.embedder.count_tokens, max_tokens)
    starts, ends = _batch_bounds(len(changed), batch_size, overlap)

    def analyse(n: int):
        t0 = time.perf_counter()
        out = analyse_documents(
            changed[starts[n] : ends[n]],
            max_tokens=max_tokens,
            count_tokens=count_tokens,
        )
        secs["analyse"] += time.perf_counter() - t0
        return out

    pool = ThreadPoolExecutor(1, thread_name_prefix="ingest-analyse") if overlap else None
    pending: Future | None = None
    try:
        for n, start in enumerate(starts):
            batch = changed[start : ends[n]]
            t0 = time.perf_counter()
            analysed = pending.result() if pending is not None else analyse(n)
            pending = None
            secs["analyse_wait"] += time.perf_counter() - t0
            if pool is not None and n + 1 < len(starts):
                pending = pool.submit(analyse, n + 1)
            cached = run.embed(analysed)
            removed, added, generation = run.commit(analysed, cached)
            run.index_vectors(vectors, analysed, cached, removed, added)
            if bar is not None:
                bar.update(len(batch))
            if on_progress is not None:
                on_progress(start + len(batch), len(changed))
    finally:
        if pending is not None:
            pending.cancel()
        if pool is not None:
            pool.shutdown(wait=True)  # never leave a worker analysing after we return/raise
        if bar is not None:
            bar.close()
    t0 = time.perf_counter()
    index.publish(vectors, generation, len(starts))
    secs["vectors"] += time.perf_counter() - t0
    log.info("ingest done: %s", summary.to_json())
    return summary


def _batch_bounds(n: int, batch_size: int, overlap: bool) -> tuple[list[int], list[int]]:
    """(starts, ends) of the batches. With overlap the first batch is small: nothing is
    embedded until it is analysed, so a full first batch would leave the model idle for a
    whole batch's attribution."""
    first = min(batch_size, max(1, batch_size // 8)) if overlap else batch_size
    starts = [0, *range(first, n, batch_size)]
    return starts, [*starts[1:], n]


class _Run:
    """One ingest's steps over its batches, counting into `summary` as they go."""

    def __init__(self, index: Index, summary: IngestSummary, collection: str):
        self.index = index
        self.collection = collection
        self.store = index.store
        self.summary = summary
        self.secs = summary.seconds
        self.model = index.model_name
        self.hashes_as_loaded: dict[str, str] = {}
        self.already_in: set[str] = set()  # changed documents that replace an older version

    def changed(self, documents: Sequence[Document]) -> list[Document]:
        """The documents that are new or differ from their stored version."""
        changed: list[Document] = []
        for doc in documents:
            self.hashes_as_loaded[doc.doc_id] = document_hash(doc)
            stored = self.store.document_hash(doc.doc_id, self.collection)
            if stored == self.hashes_as_loaded[doc.doc_id]:
                self.summary.documents_unchanged += 1
            else:
                changed.append(doc)
                if stored is not None:
                    self.already_in.add(doc.doc_id)
        return changed

    def embed(self, analysed: list) -> dict[str, np.ndarray]:
        """Every paragraph's vector by text hash: stored ones reused, the rest embedded."""
        hashes = {text_hash(p.text): p.text for a in analysed for p in a.paragraphs}
        cached = self.store.cached_vectors(self.model, hashes)
        todo = [h for h in hashes if h not in cached]
        if todo:
            t0 = time.perf_counter()
            fresh = self.index.embedder.encode([hashes[h] for h in todo])
            self.secs["embed"] += time.perf_counter() - t0
            cached.update(zip(todo, fresh, strict=True))
            self.summary.paragraphs_embedded += len(todo)
        return cached

    def commit(
        self, analysed: list, cached: dict[str, np.ndarray]
    ) -> tuple[list[int], list[int], int]:
        """Commit one batch in one transaction: (removed ids, added ids, new generation)."""
        t0 = time.perf_counter()
        store, embedder = self.store, self.index.embedder
        removed_all: list[int] = []
        added_all: list[int] = []
        with store.transaction() as conn:
            if store.get_meta("model") is None:
                store.set_meta("model", self.model, conn)
                store.set_meta("dim", str(embedder.dim), conn)
                store.set_meta("backend", embedder.backend, conn)
                self.index.remember_backend(conn)
            for item in analysed:
                removed, added = store.replace_document(
                    conn,
                    item.document,
                    item.paragraphs,
                    cached,
                    self.model,
                    self.hashes_as_loaded[item.document.doc_id],
                    self.collection,
                )
                removed_all += removed
                added_all += added
                if item.document.doc_id in self.already_in:
                    self.summary.documents_updated += 1
                else:
                    self.summary.documents_added += 1
            store.prune_speakers(conn)
            generation = store.bump_generation(conn)
        self.secs["store"] += time.perf_counter() - t0
        return removed_all, added_all, generation

    def index_vectors(
        self,
        vectors: SearchBackend,
        analysed: list,
        cached: dict[str, np.ndarray],
        removed: list[int],
        added: list[int],
    ) -> None:
        """Mirror one committed batch in the search backend (the in-memory FAISS vectors, or
        the Milvus collection)."""
        t0 = time.perf_counter()
        vectors.remove(removed)
        texts = {
            pid: p.text
            for pid, p in zip(added, (p for a in analysed for p in a.paragraphs), strict=True)
        }
        if texts:
            vectors.add(
                list(texts),
                np.vstack([cached[text_hash(t)] for t in texts.values()]),
                list(texts.values()),
                [self.collection] * len(texts),
            )
        self.secs["vectors"] += time.perf_counter() - t0
        self.summary.paragraphs_added += len(added)
        self.summary.paragraphs_removed += len(removed)
