"""Domain records shared by the whole pipeline: documents, paragraphs and attributions."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Document:
    """One source text as read from disk (or one line of a JSONL file)."""

    doc_id: str  # JSONL `id`, else the file path as given
    text: str  # exactly as read: UTF-8, no newline translation
    path: str  # file the document came from
    title: str | None = None
    source: str | None = None
    date: str | None = None
    kind: str = "article"  # article | transcript


def is_description(speaker: str) -> bool:
    """A speaker as written ("the club secretary", "a senior official") rather than a name:
    a description starts in lower case, a person's or organisation's name in capitals."""
    return not speaker[:1].isupper()


@dataclass(slots=True)
class Attribution:
    """Who said what. Spans are character offsets into the text the engine was given."""

    quote: str
    quote_span: tuple[int, int]
    speaker: str | None  # canonical name ("Rahm Emanuel" even where the text says "he")
    speaker_span: tuple[int, int] | None  # the mention tied to this quote
    role: str | None = None  # "US Ambassador to Japan"
    cue: str | None = None  # "said", "stated", "according to"
    kind: str = "direct"  # direct | indirect | mixed
    speaker_kind: str = "person"  # person | group | organisation | unknown
    mention: str | None = None  # the speaker mention as written ("he", "Emanuel")
    # Which construction produced it ("fast", "ccomp", "bare+quote", "continue", ...): for
    # the benchmarks' precision by construction; not part of the JSON contract.
    construction: str = ""

    def to_json(self) -> dict:
        return {
            "quote": self.quote,
            "quote_span": list(self.quote_span),
            "speaker": self.speaker,
            "speaker_span": list(self.speaker_span) if self.speaker_span else None,
            "role": self.role,
            "cue": self.cue,
            "kind": self.kind,
        }


@dataclass(slots=True)
class Paragraph:
    """A retrievable unit: a span of a document, with the attributions inside it."""

    doc_id: str
    index: int  # position of the paragraph within its document, from 0
    text: str
    start: int  # character offsets into Document.text
    end: int
    attributions: list[Attribution] = field(default_factory=list)  # spans relative to `text`
