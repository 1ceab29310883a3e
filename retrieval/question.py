"""What a question asks, read before searching: quoted words, "Who said …?", and people.

- Words in quote marks are evidence to match verbatim ("Who said “money decides what gets
  built”?"): a passage holding them is found and never refused.
- A person the question names is matched against the corpus' speakers only exactly and
  unambiguously: the full name ("Rahm Emanuel", titles like "President" set aside), or a
  surname written alone that exactly one speaker has ("Emanuel"). "Hunter Biden" never
  matches Joe Biden, and a near-name never matches anyone: on held-out news a fuzzy or
  shared-surname match sent questions to the wrong person's quotes.
- Naming a person is evidence, not a filter. Only a question that asks what the person
  said or thinks ("What did X say/warn …", "How did X describe …", "X's view on …",
  "according to X") is about their speech; the search then puts their passages first and
  falls back to the rest of the corpus when they do not answer (retrieval.search).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.attribution.lexicon import COGNITION_FORMS, SPEECH_FORMS, TITLE_WORDS, VIEW_NOUNS
from retrieval.speaker_match import SpeakerRegistry

# Lexicon cue verbs that, in a question, ask about an action rather than about words
# ("What did X find / show / decide / know?").
_NOT_SPEECH_IN_QUESTIONS = frozenset(
    "continue find show point post question report answer ask add decide determine learn "
    "know consider judge figure sense expect assume bet trust wish call".split()
)
SPEECH_VERBS = frozenset(
    form
    for forms in (SPEECH_FORMS, COGNITION_FORMS)
    for form, lemma in forms.items()
    if lemma not in _NOT_SPEECH_IN_QUESTIONS
)
_VIEW_NOUNS = frozenset(VIEW_NOUNS) | frozenset(
    "views position stance comments comment remarks response reaction thoughts take quotes "
    "statement message".split()
)
# Capitalised words that start a question or sit before a name but are never part of it.
_NOT_NAMES = frozenset(
    "what who whom whose when where why how which did does do is are was were has have had "
    "will would can could should the a an in on of about for to and or but according if "
    "after before since during".split()
)
_PARTICLES = frozenset(
    {"de", "da", "del", "der", "di", "du", "la", "le", "van", "von", "bin", "al", "ibn", "st"}
)
_WORD = re.compile(r"[^\W\d_][\w'’.\-]*")
_QUOTED = re.compile(r"“([^”]{3,})”|\"([^\"]{3,})\"|‘([^’]{3,})’(?!\w)|(?<!\w)'([^']{3,})'(?!\w)")
_WHO_SAID = re.compile(
    r"^\s*(?:who|which\s+(?:person|official|politician|leader|speaker|expert|minister))\s+"
    r"(?:said|says|say|stated|claimed|told|warned|argued|remarked|wrote|tweeted|declared|"
    r"described|called|was\s+quoted(?:\s+as\s+saying)?|is\s+quoted(?:\s+as\s+saying)?)"
    r"\s*(?:that\s+)?[,:]?\s*(?P<content>.*?)\s*\??\s*$",
    re.IGNORECASE | re.DOTALL,
)
_QUOTE_EDGE = " \"“”‘’'.?"
# What may come between a name and its verb ("X has really said", "X repeatedly warned").
_BEFORE_VERB = r"\s+(?:[a-z]+ly\s+)?(?:(?:has|have|had|been|ever|not|really)\s+)*"
# After the person: a verb (and "of"/"about"/...), then the topic.
_TOPIC = re.compile(
    rf"['’]?s?{_BEFORE_VERB}[a-z]+\s+"
    r"(?:(?:about|on|of|regarding|concerning|over)\s+)?(?P<topic>.+)$",
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class NamedPerson:
    name: str  # the speaker's canonical name in the corpus
    speaker_ids: tuple[int, ...]  # their ids in the index
    written: str  # the words of the question that name them
    span: tuple[int, int]  # where in the question
    about_speech: bool  # the question asks what this person said or thinks


@dataclass(frozen=True, slots=True)
class ReadQuestion:
    text: str
    who_said: str | None = None  # the content a "Who said …?" question asks about
    phrases: tuple[str, ...] = ()  # words in quote marks, to match verbatim
    people: tuple[NamedPerson, ...] = field(default_factory=tuple)

    @property
    def subject(self) -> NamedPerson | None:
        """The person whose speech the question asks about, if any."""
        return next((p for p in self.people if p.about_speech), None)

    @property
    def search_text(self) -> str:
        return self.who_said or self.text

    @property
    def topic(self) -> str | None:
        """What a question about someone's speech asks them about: "What did X say about
        the harbour plan?" -> "the harbour plan"."""
        person = self.subject
        if person is None:
            return None
        m = _TOPIC.match(self.text, person.span[1])
        if m is None:
            return None
        return m.group("topic").strip(_QUOTE_EDGE) or None


def quoted_phrases(text: str) -> tuple[str, ...]:
    """Words between quote marks, of at least two words."""
    out = []
    for m in _QUOTED.finditer(text):
        phrase = next(g for g in m.groups() if g).strip(" ,.;:?!")
        if len(phrase.split()) >= 2:
            out.append(phrase)
    return tuple(out)


def who_said_content(question: str) -> str | None:
    """The quoted or reported content of a "Who said …?" question, else None."""
    m = _WHO_SAID.match(question)
    if not m:
        return None
    content = m.group("content").strip()
    quoted = quoted_phrases(content)
    if quoted:
        content = " ".join(quoted)
    return content.strip(_QUOTE_EDGE) or None


def _name_runs(text: str) -> list[tuple[int, int, list[str]]]:
    """Runs of capitalised words (particles and initials allowed inside): (start, end, words)."""
    runs: list[tuple[int, int, list[str]]] = []
    cur: list[re.Match] = []

    def close() -> None:
        while cur and cur[-1].group().lower() in _PARTICLES:
            cur.pop()
        if cur:
            runs.append((cur[0].start(), cur[-1].end(), [m.group() for m in cur]))
        cur.clear()

    prev_end = 0
    for m in _WORD.finditer(text):
        word = m.group()
        gap = text[prev_end : m.start()]
        if cur and gap.strip():
            close()  # punctuation between words ends a name
        if word[:1].isupper() or (cur and word.lower() in _PARTICLES):
            cur.append(m)
        else:
            close()
        prev_end = m.end()
    close()
    return runs


def _strip_run(words: list[str]) -> tuple[list[str], bool]:
    """The name in a run: question words and titles before it dropped, a possessive cut.
    Returns (words, possessive)."""
    possessive = bool(re.search(r"['’]s?$", words[-1])) if words else False
    words = [*words[:-1], re.sub(r"['’]s?$", "", words[-1])] if words else []
    while words and words[0].lower().rstrip(".") in _NOT_NAMES | TITLE_WORDS:
        words = words[1:]
    return [w.rstrip(".") if len(w) > 2 else w for w in words if w], possessive


def _about_speech(before: str, after: str, possessive: bool) -> bool:
    """Does the text around a name ask what that person said or thinks?"""
    if re.search(r"\baccording\s+to\s*$", before, re.IGNORECASE):
        return True
    if possessive:
        m = re.match(r"\s+([a-z]+)(?:\s+([a-z]+))?", after)  # "view", "latest comments"
        return m is not None and bool({m.group(1), m.group(2)} & _VIEW_NOUNS)
    m = re.match(_BEFORE_VERB + r"([a-z]+)\b", after)
    return m is not None and m.group(1) in SPEECH_VERBS


def read_question(text: str, registry: SpeakerRegistry | None = None) -> ReadQuestion:
    """What `text` asks; people are looked up in `registry` (the corpus' speakers)."""
    who = who_said_content(text)
    phrases = quoted_phrases(text)
    if who and not phrases and len(who.split()) >= 4:
        phrases = (who,)  # "Who said the rust was worse than expected?": maybe verbatim
    people: list[NamedPerson] = []
    quoted = [(i, i + len(p)) for p in phrases if (i := text.find(p)) >= 0]
    if registry is not None and len(registry):
        for start, end, run in _name_runs(text):
            if any(a <= start and end <= b for a, b in quoted):
                continue  # a name inside quoted words is not the person asked about
            words, possessive = _strip_run(run)
            name = registry.exact(words)
            if name is None:
                continue
            about = who is None and _about_speech(text[:start], text[end:], possessive)
            person = NamedPerson(name, registry.ids_of(name), " ".join(words), (start, end), about)
            people.append(person)
    return ReadQuestion(text, who, phrases, tuple(people))
