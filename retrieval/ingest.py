"""Ingestion: files -> documents -> paragraphs + attributions -> embeddings -> index.

Each batch of documents is committed to SQLite in one transaction, so a crash loses at most
the batch in flight; the vector file is saved (atomically) when the run ends, and is rebuilt
from SQLite on the next open if the run never got there.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from corpus.loaders import DEFAULT_MAX_BYTES, load_paths
from corpus.models import Document
from corpus.pipeline import analyse_documents
from retrieval.index import Index
from retrieval.store import document_hash, text_hash

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


def ingest_paths(
    index: Index,
    paths: Sequence[str | os.PathLike],
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: bool = False,
    on_progress: ProgressFn | None = None,
) -> IngestSummary:
    """Ingest files and folders; unusable files are reported in the summary, not raised."""
    report = load_paths(list(paths), max_bytes)
    summary = ingest_documents(index, report.documents, progress=progress, on_progress=on_progress)
    summary.skipped[:0] = report.skipped
    summary.ignored = report.ignored
    return summary


def ingest_documents(
    index: Index,
    documents: Sequence[Document],
    batch_size: int = 64,
    progress: bool = False,
    on_progress: ProgressFn | None = None,
) -> IngestSummary:
    summary = IngestSummary()
    store = index.store
    changed: list[Document] = []
    hashes_as_loaded: dict[str, str] = {}
    for doc in documents:
        hashes_as_loaded[doc.doc_id] = document_hash(doc)
        if store.document_hash(doc.doc_id) == hashes_as_loaded[doc.doc_id]:
            summary.documents_unchanged += 1
        else:
            changed.append(doc)
    if not changed:
        return summary

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(changed), unit="doc", desc="ingesting", leave=False)
    vectors = index.vectors
    embedder = index.embedder
    model = index.model_name
    try:
        for start in range(0, len(changed), batch_size):
            batch = changed[start : start + batch_size]
            analysed = analyse_documents(
                batch, max_tokens=embedder.max_tokens, count_tokens=embedder.count_tokens
            )
            hashes = {text_hash(p.text): p.text for a in analysed for p in a.paragraphs}
            cached = store.cached_vectors(model, hashes)
            todo = [h for h in hashes if h not in cached]
            if todo:
                fresh = embedder.encode([hashes[h] for h in todo])
                cached.update(zip(todo, fresh, strict=True))
                summary.paragraphs_embedded += len(todo)
            removed_all: list[int] = []
            added_all: list[int] = []
            with store.transaction() as conn:
                if store.get_meta("model") is None:
                    store.set_meta("model", model, conn)
                    store.set_meta("dim", str(embedder.dim), conn)
                for item in analysed:
                    existed = store.document_hash(item.document.doc_id) is not None
                    removed, added = store.replace_document(
                        conn,
                        item.document,
                        item.paragraphs,
                        cached,
                        model,
                        hashes_as_loaded[item.document.doc_id],
                    )
                    removed_all += removed
                    added_all += added
                    if existed:
                        summary.documents_updated += 1
                    else:
                        summary.documents_added += 1
                store.prune_speakers(conn)
                generation = store.bump_generation(conn)
            vectors.remove(removed_all)
            by_id = {
                pid: cached[text_hash(p.text)]
                for pid, p in zip(
                    added_all, (p for a in analysed for p in a.paragraphs), strict=True
                )
            }
            if by_id:
                import numpy as np

                vectors.add(list(by_id), np.vstack(list(by_id.values())))
            summary.paragraphs_added += len(added_all)
            summary.paragraphs_removed += len(removed_all)
            if bar is not None:
                bar.update(len(batch))
            if on_progress is not None:
                on_progress(start + len(batch), len(changed))
    finally:
        if bar is not None:
            bar.close()
    index.save_vectors(vectors, generation)
    log.info("ingest done: %s", summary.to_json())
    return summary
