"""Documents in, paragraphs with their attributions out: the corpus half of ingestion."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from corpus.models import Attribution, Document, Paragraph
from corpus.paragraphs import split_paragraphs


@dataclass(slots=True)
class AnalysedDocument:
    document: Document
    paragraphs: list[Paragraph]
    attributions: list[Attribution]  # spans into document.text


def transcript_format(doc: Document) -> str:
    suffix = Path(doc.path).suffix.lower()
    return suffix[1:] if suffix in {".srt", ".vtt"} else "txt"


def attribute_documents(
    docs: Sequence[Document], attributor=None
) -> list[tuple[Document, list[Attribution]]]:
    """Attribution over whole documents, so that pronouns and surnames in one paragraph
    resolve to people introduced in an earlier one. Transcripts give their speakers."""
    results: list[tuple[Document, list[Attribution]] | None] = [None] * len(docs)
    articles: list[int] = []
    for i, doc in enumerate(docs):
        if doc.kind == "transcript":
            from corpus.transcripts import parse_transcript

            plain, attrs = parse_transcript(doc.text, transcript_format(doc))
            results[i] = (replace(doc, text=plain), attrs)
        else:
            articles.append(i)
    if articles:
        attributor = attributor or shared_attributor()
        found = attributor.extract_many(docs[i].text for i in articles)
        for i, attrs in zip(articles, found, strict=True):
            results[i] = (docs[i], attrs)
    return [r for r in results if r is not None]


_ATTRIBUTOR = None


def shared_attributor():
    """One engine per process: loading spaCy takes a second or two."""
    global _ATTRIBUTOR
    if _ATTRIBUTOR is None:
        from corpus.attribution import Attributor

        _ATTRIBUTOR = Attributor()
    return _ATTRIBUTOR


_EDGE = " \t\r\n“”\"‘’'«»"


def assign_to_paragraphs(
    paragraphs: list[Paragraph], attributions: list[Attribution]
) -> list[Paragraph]:
    """Give each paragraph the part of every quote inside it, with spans made relative to
    the paragraph. A quote running over several paragraphs (or over a long paragraph split
    at sentences) is attributed in each of them, so no passage holds a quote without its
    speaker; the speaker mention's span is kept only in the paragraph that contains it."""
    starts = [p.start for p in paragraphs]
    for attr in sorted(attributions, key=lambda a: a.quote_span[0]):
        q_start, q_end = attr.quote_span
        k = max(bisect.bisect_right(starts, q_start) - 1, 0)
        for para in paragraphs[k:]:
            if para.start >= q_end:
                break
            start, end = max(q_start, para.start), min(q_end, para.end)
            # A quote's later paragraphs open with a mark of their own: not quoted words.
            while start < end and start > q_start and para.text[start - para.start] in _EDGE:
                start += 1
            while end > start and end < q_end and para.text[end - 1 - para.start] in _EDGE:
                end -= 1
            if start >= end:
                continue
            speaker_span = None
            if attr.speaker_span and para.start <= attr.speaker_span[0] < para.end:
                speaker_span = (
                    attr.speaker_span[0] - para.start,
                    min(attr.speaker_span[1], para.end) - para.start,
                )
            para.attributions.append(
                replace(
                    attr,
                    quote=para.text[start - para.start : end - para.start],
                    quote_span=(start - para.start, end - para.start),
                    speaker_span=speaker_span,
                )
            )
    return paragraphs


def analyse_documents(
    docs: Sequence[Document],
    max_tokens: int = 256,
    count_tokens: Callable[[str], int] | None = None,
    attributor=None,
) -> list[AnalysedDocument]:
    """Split and attribute a batch of documents."""
    out = []
    for doc, attrs in attribute_documents(docs, attributor):
        paragraphs = split_paragraphs(doc.doc_id, doc.text, max_tokens, count_tokens)
        out.append(AnalysedDocument(doc, assign_to_paragraphs(paragraphs, attrs), attrs))
    return out
