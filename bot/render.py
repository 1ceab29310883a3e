"""Plain-text rendering of answers, shared by the terminal and Discord's message limits."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from corpus.models import Attribution
from retrieval.answer import Answer
from retrieval.models import Hit

NO_ANSWER = "Nothing in the corpus answers that question."


def cut(text: str, limit: int, ellipsis: str = "…", *, whole_words: bool = False) -> str:
    """Shorten to at most `limit` characters, at a word boundary when one is near; with
    `whole_words`, always at one (nothing at all when not even the first word fits)."""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return "" if whole_words else text[:limit]
    head = text[: limit - len(ellipsis)]
    space = head.rfind(" ")
    if whole_words and not text[len(head)].isspace():
        head = head[:space] if space > 0 else ""
    elif space >= max(1, int(len(head) * 0.6)):
        head = head[:space]
    head = head.rstrip(" ,;:")
    return head + ellipsis if head or not whole_words else ""


def plural(count: int | float, word: str, many: str | None = None) -> str:
    """ "1 speaker", "2 speakers", "1,204 passages"; `many` for irregular plurals."""
    shown = f"{count:g}" if isinstance(count, float) else f"{count:,}"
    return f"{shown} {word if count == 1 else (many or word + 's')}"


def no_passage(paragraph_id: int | str) -> str:
    return f"No passage with id {paragraph_id} in the corpus."


def display_quote(quote: str) -> str:
    """The quote as shown between quote marks: no trailing comma left from the sentence."""
    return quote.strip().rstrip(",;:").rstrip()


def speaker_label(attr: Attribution) -> str:
    """ "Rahm Emanuel, US Ambassador to Japan" — the canonical name, with the role if known."""
    name = attr.speaker or "unknown speaker"
    return f"{name}, {attr.role}" if attr.role else name


def quotes_by_speaker(
    attributions: Sequence[Attribution],
) -> list[tuple[str, list[Attribution]]]:
    """A passage's quotes grouped under their speaker, in the order each first speaks: the
    label ("Name, role", with the first role the passage gives them) once, then their
    quotes. The same quote from the same speaker shows once; empty quotes not at all."""
    groups: dict[str, list[Attribution]] = {}
    seen: set[tuple[str, str]] = set()
    for attr in attributions:
        key = ((attr.speaker or "").lower(), attr.quote.strip().lower())
        if key in seen or not key[1]:
            continue
        seen.add(key)
        groups.setdefault(key[0], []).append(attr)
    return [
        (speaker_label(next((a for a in attrs if a.role), attrs[0])), attrs)
        for attrs in groups.values()
    ]


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
    for label, attrs in quotes_by_speaker(hit.attributions):
        lines.append(f"    — {label}")
        for attr in attrs:
            lines.append(f"      “{cut(display_quote(attr.quote), quote_chars)}” ({attr.kind})")
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
