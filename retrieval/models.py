"""Search results."""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.models import Attribution
from retrieval.scope import DEFAULT_COLLECTION


@dataclass(slots=True)
class SpeakerInfo:
    """A canonical speaker across the corpus, with every role the texts give them."""

    speaker_id: int
    name: str
    kind: str = "person"
    roles: list[str] = field(default_factory=list)
    quote_count: int = 0


@dataclass(slots=True)
class Hit:
    """One passage that answers a question, with who said what in it and where it is from."""

    paragraph_id: int
    doc_id: str
    text: str
    score: float
    paragraph_index: int  # position within its document, from 0
    title: str | None = None
    source: str | None = None
    date: str | None = None
    path: str | None = None
    attributions: list[Attribution] = field(default_factory=list)
    collection: str = DEFAULT_COLLECTION  # the collection its document belongs to

    def to_json(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "paragraph_id": self.paragraph_id,
            "text": self.text,
            "score": round(float(self.score), 6),
            "title": self.title,
            "source": self.source,
            "paragraph_index": self.paragraph_index,
            "attributions": [a.to_json() for a in self.attributions],
        }
