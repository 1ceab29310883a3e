"""Question sets for the end-to-end QA benchmark (bench/qa_eval.py), built from ../shared data.

Nothing here is used by the product. Three sets, one corpus:

- general: RealTimeQA questions; gold = the document holding the question's own evidence
  paragraph (one JSONL document per evidence paragraph).
- quote questions from a PolNeAR split. For each annotated attribution whose Source is a
  named person, the gold speaker is the fullest form of that name in the article:
    * the Source span must overlap a PERSON entity of spaCy's en_core_web_sm NER (the full
      pipeline, bench only; the product runs without NER), and must not be a possessive
      ("Trump's campaign said" is the campaign, not Trump);
    * the fullest form is the longest PERSON entity of the article whose words contain the
      mention's words and share its last word; two different fullest forms ("Bill Clinton",
      "Hillary Clinton" for "Clinton") make the gold unknown and the attribution is skipped.
  "Who said “<first ten words>”?" is asked for direct quotes (content in quote marks, at
  least six words); "What did <full name> say about <topic>?" for every such attribution,
  the topic being the two or three rarest nouns of the content (document frequency over
  the whole corpus), in their order in the content.
- off-topic: XQuAD (Wikipedia) questions, asked of the news corpus: they should be refused.

Names are compared by `name_key`: case, accents, punctuation, honorifics, initials and
suffixes dropped, and a middle name ignored ("Donald J. Trump" = "Donald Trump",
"Hillary Rodham Clinton" = "Hillary Clinton"); a surname alone never equals a full name.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.attribution_eval import _PRONOUNS, load_split  # noqa: E402
from bench.evaldata import load_realtimeqa, load_xquad  # noqa: E402
from corpus.attribution.lexicon import TITLE_WORDS  # noqa: E402

_SUFFIXES = frozenset("jr sr ii iii iv".split())
_PREPOSITION_BEFORE = re.compile(
    r"\b(?:for|of|to|with|by|at|from|about|against)\s+(?:the\s+)?$", re.I
)
_QUOTE_EDGE = " \t\n\"“”‘’'"
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_TOPIC_STOP = frozenset(
    "thing things way ways time times year years people lot lots kind part something anything "
    "everything nothing one ones day days fact point".split()
)


def name_key(name: str | None) -> tuple[str, ...]:
    """First and last word of a person's name, normalised; () for no name."""
    if not name:
        return ()
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"['’]s\b", "", text)
    words = [w for w in re.findall(r"[a-z]+", text)]
    words = [w for w in words if w not in TITLE_WORDS and w not in _SUFFIXES and len(w) > 1]
    if not words:
        return ()
    return (words[0], words[-1]) if len(words) > 1 else (words[0],)


def same_person(predicted: str | None, gold: str) -> bool:
    return bool(predicted) and name_key(predicted) == name_key(gold)


@dataclass
class QuoteGold:
    """One annotated attribution with a named-person source."""

    article: str  # file name of the article
    content: tuple[int, int]  # character span in the article of the content's first piece
    content_text: str
    speaker: str  # the fullest name form in the article
    direct: bool


@dataclass
class Question:
    qid: str
    text: str
    kind: str  # general | who | what | offtopic
    gold_doc: str | None = None  # general: the document id holding the answer
    answer: str | None = None  # general: the answer string
    article: str | None = None  # quote questions: article file name
    spans: list[tuple[int, int]] = field(default_factory=list)  # quote questions: gold spans
    speaker: str | None = None  # quote questions: the gold person
    asked: str | None = None  # who-said: the words asked about
    group: str = ""  # the year (general) or split name (quotes), for honest comparisons


def _clean_person(text: str) -> str:
    text = re.sub(r"['’]s?$", "", text.strip()).strip(" ,.")
    text = re.sub(r"^.*['’]s\s+", "", text)  # "Breitbart’s Joel Pollak": the owner is no name
    words = text.split()
    while words and words[0].lower().strip(".") in TITLE_WORDS:
        words = words[1:]
    return " ".join(words)


def _headline_line(text: str, pos: int) -> bool:
    """The line at `pos` is a headline: three words or more, nearly all capitalised. The
    tagger runs names into a headline's verbs there ("Glenn Beck Blasts Drudge")."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    words = _WORD.findall(text[start : end if end >= 0 else len(text)])
    return len(words) >= 3 and sum(w[:1].isupper() for w in words) >= 0.8 * len(words)


def _persons(doc) -> list[tuple[int, int, str]]:
    """The PERSON entities of an article as names. Forms from headline lines and forms in
    capitals ("HILLARY CLINTON") are not name forms; they are left out."""
    text = doc.text
    return [
        (e.start_char, e.end_char, _clean_person(e.text))
        for e in doc.ents
        if e.label_ == "PERSON" and not e.text.isupper() and not _headline_line(text, e.start_char)
    ]


def _fullest(mention: str, persons: list[str]) -> str | None:
    words = mention.split()
    if not words:
        return None
    last = words[-1].lower()
    wanted = {w.lower() for w in words}
    counts = Counter(
        p
        for p in persons
        if p.split() and p.split()[-1].lower() == last and wanted <= {w.lower() for w in p.split()}
    )
    counts[mention] += 1
    forms = set(counts)
    best = max(len(f.split()) for f in forms)
    longest = {name_key(f) for f in forms if len(f.split()) == best}
    if len(longest) != 1:
        return None
    full = max((f for f in forms if len(f.split()) == best), key=len)
    # An epithet NER took into the name ("Crooked Hillary Clinton"): the shorter form the
    # article uses more often is the name.
    tail = " ".join(full.split()[1:])
    while len(tail.split()) >= 2 and counts.get(tail, 0) > counts[full]:
        full, tail = tail, " ".join(tail.split()[1:])
    return full if len(full.split()) >= 2 else None


def person_source(text: str, source: list[tuple[int, int]], persons) -> str | None:
    """The person a Source span names, or None (pronoun, group, organisation, possessive)."""
    if not source:
        return None
    start, end = source[0][0], source[-1][1]
    stext = text[start:end].strip()
    if not stext or stext.lower() in _PRONOUNS:
        return None
    inside = [p for p in persons if p[0] < end and p[1] > start and p[2]]
    # The span's head names the source: the first person in it who is not a possessor
    # ("Trump's campaign manager Kellyanne Conway") or a preposition's object ("a spokesman
    # for Hillary Clinton"), so that an appositive's other names ("Sanders, runner-up to
    # Hillary Clinton", "a delegate wearing “Ted Cruz” pins") are not taken for the speaker.
    inside = sorted(inside)
    for k, (p_start, p_end, name) in enumerate(inside):
        if re.match(r"\s*['’]s?\b", text[p_end : end + 2]) and p_end < end:
            continue
        # "Cruz constituent Dan Golvach": a name that modifies a role before another name
        if k + 1 < len(inside) and re.fullmatch(
            r"(?:\s+[a-z][\w-]*)+\s+", text[p_end : inside[k + 1][0]]
        ):
            continue
        if _PREPOSITION_BEFORE.search(text[max(start, p_start - 12) : p_start]):
            continue
        # "the Jeb Bush campaign", "Trump aides": the name modifies the span's head noun
        if re.fullmatch(r"(?:\s+[a-z][\w-]*)+\s*", text[p_end:end]):
            continue
        return name
    return None


def quote_golds(split_dir: Path, nlp, limit: int | None = None) -> list[QuoteGold]:
    """Named-person attributions of every article in `split_dir` (PolNeAR layout)."""
    out: list[QuoteGold] = []
    for name, text, golds in load_split(split_dir, limit or 0):
        persons = _persons(nlp(text))
        all_names = [p[2] for p in persons]
        for gold in golds:
            person = person_source(text, gold.source, persons)
            full = _fullest(person, all_names) if person else None
            if not full:
                continue
            c0, c1 = gold.content[0]
            out.append(QuoteGold(f"{name}.txt", (c0, c1), text[c0:c1], full, gold.kind == "direct"))
    return out


def document_frequencies(texts: list[str]) -> tuple[Counter, int]:
    df: Counter = Counter()
    for t in texts:
        df.update({w.lower() for w in _WORD.findall(t)})
    return df, len(texts)


def topic_words(content: str, nlp, speaker: str, df: Counter, n_docs: int) -> list[str]:
    """The two or three rarest nouns of the content, in their order."""
    skip = {w.lower() for w in speaker.split()}
    nouns = []
    for tok in nlp(content):
        low = tok.text.lower()
        if tok.pos_ not in ("NOUN", "PROPN") or tok.is_stop or not tok.text.isalpha():
            continue
        if low in skip or low in _TOPIC_STOP or len(low) < 3:
            continue
        if low not in {n.lower() for n in nouns}:
            nouns.append(tok.text if tok.pos_ == "PROPN" else low)
    if len(nouns) < 2:
        return []
    rare = sorted(nouns, key=lambda w: df.get(w.lower(), 0))[:3]
    keep = set(rare)
    return [w for w in nouns if w in keep]


def first_words(content: str, n: int = 10) -> str:
    words = content.strip(_QUOTE_EDGE).split()
    return " ".join(words[:n]).strip(_QUOTE_EDGE + ",;:")


def quote_questions(
    golds: list[QuoteGold], nlp, df: Counter, n_docs: int, group: str
) -> list[Question]:
    by_person: dict[tuple, list[QuoteGold]] = {}
    for g in golds:
        by_person.setdefault(name_key(g.speaker), []).append(g)
    out: list[Question] = []
    for i, g in enumerate(golds):
        words = g.content_text.strip(_QUOTE_EDGE).split()
        if g.direct and len(words) >= 6:
            asked = first_words(g.content_text)
            out.append(
                Question(
                    f"who-{i}",
                    f"Who said “{asked}”?",
                    "who",
                    article=g.article,
                    spans=[g.content],
                    speaker=g.speaker,
                    asked=asked,
                    group=group,
                )
            )
        topic = topic_words(g.content_text, nlp, g.speaker, df, n_docs)
        if len(words) >= 6 and topic:
            theirs = by_person[name_key(g.speaker)]
            out.append(
                Question(
                    f"what-{i}",
                    f"What did {g.speaker} say about {' '.join(topic)}?",
                    "what",
                    article=g.article,
                    spans=[o.content for o in theirs if o.article == g.article],
                    speaker=g.speaker,
                    group=group,
                )
            )
    return out


def realtimeqa_questions(root: Path) -> tuple[list[dict], list[Question]]:
    """(JSONL documents, questions): one document per evidence paragraph."""
    es = load_realtimeqa(root)
    answers = _realtimeqa_answers(root)
    docs = [{"id": f"rtqa-{i:05d}", "text": text} for i, text in enumerate(es.corpus)]
    questions = [
        Question(
            f"rtqa-{n}",
            q.text,
            "general",
            gold_doc=f"rtqa-{q.gold:05d}",
            answer=answers.get(q.text),
            group=q.group,
        )
        for n, q in enumerate(es.queries)
    ]
    return docs, questions


def _realtimeqa_answers(root: Path) -> dict[str, str]:
    out = {}
    for f in sorted(Path(root).rglob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            try:
                out[(rec.get("question_sentence") or "").strip()] = rec["choices"][
                    int(rec["answer"][0])
                ]
            except (KeyError, IndexError, ValueError, TypeError):
                continue
    return out


def offtopic_questions(xquad: Path) -> list[Question]:
    return [
        Question(f"xquad-{n}", q.text, "offtopic", group="xquad")
        for n, q in enumerate(load_xquad(xquad).queries)
    ]
