"""Split a document into paragraphs with exact character offsets, and long ones at sentences."""

from __future__ import annotations

import re
from collections.abc import Callable

from corpus.models import Paragraph
from corpus.text import SIGNATURE_DASH, split_sentences

_BLANK_LINES = re.compile(r"\n[ \t\r]*\n")
_TERMINAL = re.compile(r"[.!?:…\"'”’)\]]\s*$")
# A quotation signed with a dash and a name ("“…” ― Jane Doe, 34") ends its paragraph too.
_SIGNED_END = re.compile(SIGNATURE_DASH + r"[A-Z][^\n“”\"]{1,80}$")


def _approx_tokens(text: str) -> int:
    # Close to a WordPiece count for English news: words plus punctuation, with a margin.
    return int(len(re.findall(r"\w+|[^\w\s]", text)) * 1.25)


def _blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) of each blank-line separated block, trimmed of surrounding whitespace."""
    spans, pos = [], 0
    for match in _BLANK_LINES.finditer(text):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, len(text)))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    for line in text[start:end].split("\n"):
        s, e = _trim(text, pos, pos + len(line))
        if s < e:
            spans.append((s, e))
        pos += len(line) + 1
    return spans


def _one_paragraph_per_line(text: str, lines: list[tuple[int, int]]) -> bool:
    """Lines that end sentences are paragraphs (as in one-paragraph-per-line files);
    lines that break mid-sentence are hard-wrapped prose and belong together."""
    if len(lines) < 2:
        return False
    ending = sum(1 for s, e in lines if _TERMINAL.search(text[s:e]))
    return ending / len(lines) >= 0.8


def _pack(
    text: str, spans: list[tuple[int, int]], max_tokens: int, count: Callable[[str], int]
) -> list[tuple[int, int]]:
    """Greedily join consecutive sentences into chunks that fit the model's input."""
    chunks: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for s, e in spans:
        if cur is None:
            cur = (s, e)
        elif count(text[cur[0] : e]) <= max_tokens:
            cur = (cur[0], e)
        else:
            chunks.append(cur)
            cur = (s, e)
    if cur is not None:
        chunks.append(cur)
    return chunks


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: blank-line blocks, or one per line where lines are
    paragraphs (a block of hard-wrapped prose is one paragraph)."""
    spans: list[tuple[int, int]] = []
    for block_start, block_end in _blocks(text):
        lines = _lines(text, block_start, block_end)
        if _one_paragraph_per_line(text, lines):
            spans.extend(lines)
        else:
            spans.append((block_start, block_end))
    return spans


def unwrap(text: str) -> str:
    """`text` with the line breaks inside hard-wrapped paragraphs made spaces (same length,
    so offsets still index `text`): the attribution engine reads a paragraph per line, and a
    speaker must not be cut from a quote by the wrap."""
    if "\n" not in text:
        return text
    chars = None
    for s, e in paragraph_spans(text):
        if "\n" in text[s:e] and _hard_wrapped(text[s:e]):
            chars = chars or list(text)
            for i in range(s, e):
                if chars[i] in "\r\n":
                    chars[i] = " "
    return "".join(chars) if chars else text


def _hard_wrapped(block: str) -> bool:
    """Most line breaks fall inside a sentence: the next line goes on in lower case, or no
    line but the last ends a sentence. (Short lines of a list or of tweets are not wrap.)"""
    lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
    if len(lines) < 2:
        return False
    breaks = list(zip(lines, lines[1:], strict=False))
    lower = sum(1 for _, nxt in breaks if nxt[:1].islower())
    ended = sum(1 for ln, _ in breaks if _TERMINAL.search(ln) or _SIGNED_END.search(ln))
    return lower >= 0.5 * len(breaks) or (
        ended == 0 and len(lines) >= 3 and min(map(len, lines[:-1])) >= 40
    )


def split_paragraphs(
    doc_id: str,
    text: str,
    max_tokens: int = 256,
    count_tokens: Callable[[str], int] | None = None,
) -> list[Paragraph]:
    """Paragraphs of a document (`paragraph_spans`).

    A paragraph longer than `max_tokens` (the embedding model's input limit) is split at
    sentence boundaries so that no text is silently truncated by the model.
    """
    count = count_tokens or _approx_tokens
    spans = paragraph_spans(text)
    pieces: list[tuple[int, int]] = []
    for s, e in spans:
        if count(text[s:e]) <= max_tokens:
            pieces.append((s, e))
        else:
            sentences = [_trim(text, a, b) for a, b in split_sentences(text, s, e)]
            pieces.extend(_pack(text, [(a, b) for a, b in sentences if a < b], max_tokens, count))
    return [
        Paragraph(doc_id=doc_id, index=i, text=text[s:e], start=s, end=e)
        for i, (s, e) in enumerate(pieces)
    ]
