"""The answer line: one sentence of the corpus that answers the question, shown first.

Users of a chat-style bot expect the answer before the evidence. The line is extractive: it
never holds a word that is not in the corpus, apart from the speaker's name and role and the
word "said".
- A quote question ("Who said …?", or one asking what a person said): the attributed quote
  that best matches it, as "<Speaker>, <role>, said: “<exact words>”".
- Otherwise: the sentence of the best passage that holds most of the question's words; with
  its speaker when that sentence is an attributed quote. Adding the sentence's cosine to the
  question did not help: the line held the RealTimeQA answer 0.459 / 0.374 of the time with
  words alone, 0.459 / 0.366 with cosine + 0.5 x words (two halves of the questions).
Measured by bench/qa_eval.py (the "line" columns).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from corpus.models import Attribution
from corpus.paragraphs import split_sentences
from retrieval.keyword import tokenize
from retrieval.models import Hit, SpeakerInfo
from retrieval.scope import EVERYTHING, Scope
from retrieval.search import Searcher, SearchResult

QUOTE_MATCH_MIN = 0.6  # a "Who said" content and a quote agree this much (token set ratio)
WORDS_MAX = 400  # longer exact words are cut to the sentences that matter
OTHERS_DEPTH = 3  # "who else?": passages searched per one shown, as many lack another voice
_EDGE = " \t\n,;:"


@dataclass(slots=True)
class AnswerLine:
    text: str
    paragraph_id: int
    span: tuple[int, int]  # the exact words, as offsets into the paragraph's text
    speaker: str | None = None
    role: str | None = None

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "speaker": self.speaker,
            "role": self.role,
            "paragraph_id": self.paragraph_id,
            "span": list(self.span),
        }


@dataclass(slots=True)
class Answer:
    """What a question gets: the answer line, then the passages (none when nothing answers)."""

    question: str
    hits: list[Hit] = field(default_factory=list)
    line: AnswerLine | None = None
    speaker: str | None = None  # the person the search centred on
    widened: bool = False  # the chosen speaker's passages did not answer: all were searched
    # what the no-answer decision saw: best cosine, lexical evidence, quoted words found
    evidence: dict[str, float] = field(default_factory=dict)


Tokens = Callable[[str], list[str]]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    return start, end


def _clip(text: str, span: tuple[int, int], near: int | None = None) -> tuple[int, int]:
    """At most WORDS_MAX characters of text[span]: the sentences around `near`, else the first."""
    start, end = _trimmed(text, *span)
    if end - start <= WORDS_MAX:
        return start, end
    sentences = split_sentences(text, start, end)
    at = next((i for i, (s, e) in enumerate(sentences) if near is not None and s <= near < e), 0)
    s, e = sentences[at]
    while at + 1 < len(sentences) and sentences[at + 1][1] - s <= WORDS_MAX:
        at += 1
        e = sentences[at][1]
    return _trimmed(text, s, min(e, s + WORDS_MAX))


def quote_line(hit: Hit, attr: Attribution, near: int | None = None) -> AnswerLine:
    """“<Speaker>, <role>, said: “<exact words>”” for one attributed quote of a passage."""
    start, end = _clip(hit.text, attr.quote_span, near)
    words = hit.text[start:end]
    if not attr.speaker:
        return AnswerLine(f"“{words}”", hit.paragraph_id, (start, end))
    who = f"{attr.speaker}, {attr.role}," if attr.role else attr.speaker
    return AnswerLine(
        f"{who} said: “{words}”", hit.paragraph_id, (start, end), attr.speaker, attr.role
    )


def who_said_line(hits: Sequence[Hit], content: str) -> AnswerLine | None:
    """The attributed quote that best matches a "Who said …?" content, in the best passage
    that has one; else the sentence of the best passage that holds the content."""
    wanted = content.lower()
    for hit in hits[:3]:
        scored = [
            (fuzz.token_set_ratio(wanted, a.quote.lower()) / 100.0, -i, a)
            for i, a in enumerate(hit.attributions)
            if a.quote.strip()
        ]
        if scored:
            score, _, attr = max(scored, key=lambda t: t[:2])
            if score >= QUOTE_MATCH_MIN:
                near = hit.text.lower().find(wanted)
                return quote_line(hit, attr, near if near >= 0 else None)
    return None


def speech_line(
    hits: Sequence[Hit], speaker: str, question: str, tokens: Tokens
) -> AnswerLine | None:
    """What the person said in the best passage that quotes them: the quote sharing most
    of the question's words."""
    return quote_of(hits, lambda name: name == speaker, question, tokens)


def quote_of(
    hits: Sequence[Hit], wanted: Callable[[str], bool], question: str, tokens: Tokens
) -> AnswerLine | None:
    """The quote of a `wanted` speaker in the best passage that has one, sharing most of the
    question's words."""
    asked = set(tokens(question))
    for hit in hits:
        theirs = [
            a for a in hit.attributions if a.speaker and wanted(a.speaker) and a.quote.strip()
        ]
        if theirs:
            attr = max(theirs, key=lambda a: (len(asked & set(tokens(a.quote))), len(a.quote)))
            return quote_line(hit, attr)
    return None


def sentence_line(hit: Hit, question: str, tokens: Tokens) -> AnswerLine | None:
    """The sentence of the passage that holds most of the question's words (the first of
    equals); with its speaker when it is an attributed quote."""
    spans = [_trimmed(hit.text, s, e) for s, e in split_sentences(hit.text, 0, len(hit.text))]
    spans = [(s, e) for s, e in spans if e > s]
    if not spans:
        return None
    asked = set(tokens(question))
    held = [len(asked & set(tokens(hit.text[s:e]))) for s, e in spans]
    best = spans[held.index(max(held))]
    for attr in hit.attributions:
        q0, q1 = attr.quote_span
        inside = min(q1, best[1]) - max(q0, best[0])
        if attr.speaker and inside >= 0.5 * (best[1] - best[0]):
            return quote_line(hit, attr, best[0])
    start, end = _clip(hit.text, best)
    return AnswerLine(hit.text[start:end], hit.paragraph_id, (start, end))


def answer_line(
    result: SearchResult, tokens: Tokens, other_than: Collection[str] = ()
) -> AnswerLine | None:
    """The line for a search result (None when nothing answers); with `other_than`, the
    quote of someone else if the passages have one ("who else commented?")."""
    hits = result.hits
    if not hits:
        return None
    read = result.question
    line = None
    if other_than:
        line = quote_of(
            hits, lambda name: name not in other_than, read.text if read else "", tokens
        )
    elif result.who_said:
        line = who_said_line(hits, result.who_said)
    elif result.speaker and read is not None and (read.subject or not read.people):
        line = speech_line(hits, result.speaker, read.text, tokens)
    if line is None:
        line = sentence_line(hits[0], read.text if read else "", tokens)
    return line


def quotes_someone_else(hit: Hit, other_than: Collection[str]) -> bool:
    """Whether a passage quotes anyone not in `other_than`."""
    return any(
        a.speaker and a.speaker not in other_than and a.quote.strip() for a in hit.attributions
    )


def answer(
    searcher: Searcher,
    question: str,
    top_k: int = 5,
    speaker: SpeakerInfo | None = None,
    scope: Scope = EVERYTHING,
    *,
    widen: bool = True,
    exclude: Collection[int] = (),
    other_than: Collection[str] = (),
) -> Answer:
    """The shipped question path: search (within `scope`), then the answer line. The CLI,
    the bot and bench/qa_eval.py all come through here.

    A conversation's follow-up may leave out passages: `exclude` (ids shown already: "what
    else did he say?") and, with `other_than`, every passage that quotes nobody but those
    people ("who else commented?"). The search then goes deeper by as many passages (and
    OTHERS_DEPTH times top_k for `other_than`), so the follow-up still gets its top_k when
    the scope has them; without either it is exactly the plain search."""
    depth = top_k + len(exclude) + (OTHERS_DEPTH * top_k if other_than else 0)
    result = searcher.search_detailed(question, depth, speaker, widen, scope)
    if depth > top_k:
        skip = set(exclude)
        result.hits = [
            h
            for h in result.hits
            if h.paragraph_id not in skip and (not other_than or quotes_someone_else(h, other_than))
        ][:top_k]
    # the keyword index's words, for either backend
    line = answer_line(result, tokenize, other_than)
    evidence = {
        "best_cosine": result.best_cosine,
        "lexical": result.lexical,
        "verbatim": float(bool(result.verbatim)),
    }
    return Answer(question, result.hits, line, result.speaker, result.widened, evidence)
