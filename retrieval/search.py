"""Answering a question: the best passages, with who said what in them."""

from __future__ import annotations

import logging

from retrieval.index import Index
from retrieval.models import Hit

log = logging.getLogger(__name__)


class Searcher:
    """Dense search over an Index (hybrid and speaker-aware search build on this)."""

    def __init__(self, index: Index):
        self.index = index

    def search(self, question: str, top_k: int = 5, speaker: str | None = None) -> list[Hit]:
        question = question.strip()
        if not question or top_k <= 0:
            return []
        query = self.index.embedder.encode_query(question)
        allowed: set[int] | None = None
        if speaker:
            allowed = set()
            for info in self.index.store.speakers():
                if info.name.lower() == speaker.lower():
                    allowed.update(self.index.store.speaker_paragraphs(info.speaker_id))
        depth = top_k * 4 if allowed is None else self.index.vectors.ntotal
        scored = self.index.vectors.search(query, depth)
        if allowed is not None:
            scored = [(pid, s) for pid, s in scored if pid in allowed]
        return self.index.store.hits(scored[:top_k])
