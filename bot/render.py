"""Plain-text rendering of answers, shared by the terminal and Discord's message limits."""

from __future__ import annotations

from pathlib import Path

from corpus.models import Attribution
from retrieval.answer import Answer
from retrieval.models import Hit

NO_ANSWER = "Nothing in the corpus answers that question."


def cut(text: str, limit: int, ellipsis: str = "…") -> str:
    """Shorten to at most `limit` characters, at a word boundary when one is near."""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return text[:limit]
    head = text[: limit - len(ellipsis)]
    space = head.rfind(" ")
    if space >= max(1, int(len(head) * 0.6)):
        head = head[:space]
    return head.rstrip(" ,;:") + ellipsis


def display_quote(quote: str) -> str:
    """The quote as shown between quote marks: no trailing comma left from the sentence."""
    return quote.strip().rstrip(",;:").rstrip()


def speaker_label(attr: Attribution) -> str:
    """ "Rahm Emanuel, US Ambassador to Japan" — the canonical name, with the role if known."""
    name = attr.speaker or "unknown speaker"
    return f"{name}, {attr.role}" if attr.role else name


def source_label(hit: Hit) -> str:
    title = hit.title or Path(hit.path or hit.doc_id).name
    parts = [title]
    if hit.source:
        parts.append(hit.source)
    if hit.date:
        parts.append(hit.date)
    parts.append(f"paragraph {hit.paragraph_index + 1}")
    return " · ".join(parts)


def render_hit(hit: Hit, number: int, quote_chars: int = 300) -> str:
    # The fused score is a per-question z-score: its rank matters, its value means little
    # to a reader (`ask --json` keeps it).
    lines = [f"[{number}] {source_label(hit)}  (id {hit.paragraph_id})"]
    lines.append(hit.text)
    for attr in hit.attributions:
        lines.append(
            f"    “{cut(display_quote(attr.quote), quote_chars)}” — {speaker_label(attr)} "
            f"({attr.kind})"
        )
    return "\n".join(lines)


def answer_notice(answer: Answer) -> str | None:
    """A line saying how the search was widened, when it was."""
    if answer.widened and answer.speaker:
        return f"Nothing {answer.speaker} said answers that; these passages are from anyone."
    return None


def render_answer(answer: Answer) -> str:
    """The answer line first, then the passages (terminal and `attribot ask`)."""
    if not answer.hits:
        return NO_ANSWER
    head = [text for text in (answer_notice(answer), answer.line and answer.line.text) if text]
    passages = [render_hit(hit, i) for i, hit in enumerate(answer.hits, start=1)]
    return "\n\n".join((["\n".join(head)] if head else []) + passages)
