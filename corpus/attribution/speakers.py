"""Speaker mentions: split a subject phrase into name / role, classify it, and resolve
surname, pronoun and role mentions to one canonical speaker per document.

Resolution is deliberately conservative (the product rule: a wrong name is worse than none):
a pronoun resolves only to a recent speaker of a compatible number, a surname only to a
full name seen earlier in the same document, a role noun only to a person who held it.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass, field

from spacy.lang.en.stop_words import STOP_WORDS

from corpus.models import is_description
from corpus.text import COURTESY_TITLES, DATELINE

from .lexicon import (
    CUE_FORMS,
    GENDER_HONORIFICS,
    GROUP_NOUNS,
    ORG_NOUNS,
    ROLE_NOUNS,
    TITLE_WORDS,
)
from .orgs import OrgIndex, description_kind, org_like_name

# Kinds of organisation that speak often enough for "the company said" to mean the
# organisation that spoke last (orgs.py).
_SPEAKING_KINDS = {"company", "union", "agency", "organisation", "bank", "association"}
_DETS = {"the", "a", "an", "this", "that", "these", "those", "its", "his", "her", "their"}
_NAME_PARTICLES = {"de", "van", "von", "der", "bin", "al", "da", "di", "le", "la", "du", "del"}
_NEWS_ORGS = {
    "reuters",
    "ap",
    "afp",
    "xinhua",
    "cnn",
    "bbc",
    "nbc",
    "cbs",
    "abc",
    "fox",
    "bloomberg",
    "politico",
    "breitbart",
    "axios",
    "msnbc",
    "npr",
    "kyodo",
}


_NAME_RUN = re.compile(r"\b(?:[A-Z][\w'’.-]*[ \t]+){1,6}[A-Z][\w'’-]+")
# A title-case line ("Rubio Hints Trump Would Lose"): its capitalised runs are no names.
_HEADLINE_WORD = re.compile(r"[A-Za-z][\w'’-]*")
_SENTENCE_END = re.compile(r"[.!?:;\"”’')]\s*$")

# "Harbour master Ada Whitlock": a lower-case role head right before the name, optionally
# after a capitalised modifier.
_ROLE_BEFORE = re.compile(r"(?:\b([A-Z][a-z]+)\s+)?\b([a-z][a-z-]{2,})\s+$")
# "The mayor, Ines Morales, said": a role noun, then the name as its appositive.
_ROLE_APPOSED = re.compile(r"(?:\b([A-Za-z][a-z]+)\s+)?\b([a-z][a-z-]{2,}),\s+$")
# "Masaki Tanaka, the commissioner of the Port Agency,": the appositive's head noun.
_ROLE_AFTER = re.compile(
    r",\s+(?:the|a|an)\s+(?:[\w'’-]+\s+){0,3}?([a-z][a-z-]{2,})"
    r"(?=\s+(?:of|at|for|with|in|from|on|to)\b|\s*[,.;])"
)


@functools.lru_cache(maxsize=8192)
def speaker_key(name: str) -> str:
    """Normalised registry key: the same full name in several documents maps to one key.

    Case, accents, punctuation, honorifics ("Mr.", "Dr.") and a leading "the" are dropped,
    so "Rahm Emanuel", "RAHM EMANUEL" and "Mr. Rahm Emanuel" share a key.
    """
    s = unicodedata.normalize("NFKD", name)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"[’']s\b", "", s)
    words = re.findall(r"[a-z0-9]+", s)
    while words and (words[0] in _DETS or words[0] in COURTESY_TITLES):
        words = words[1:]
    return " ".join(words)


@dataclass(slots=True)
class MentionInfo:
    """What a subject phrase tells us about its speaker."""

    span: tuple[int, int]  # the mention itself (name or pronoun or noun phrase)
    text: str
    kind: str  # person | group | organisation | unknown
    name: str | None = None  # proper name as written (titles stripped)
    role: str | None = None
    pronoun: bool = False
    plural: bool = False
    head_lower: str = ""
    # "Smith, who said ...": the relative pronoun that is the cue's own subject. The speaker
    # is resolved from the antecedent above; the mention reported is the pronoun, as for "he".
    rel_span: tuple[int, int] | None = None
    rel_text: str | None = None
    gender: str | None = None  # from an honorific in the mention ("Mrs. Clinton")


@dataclass(slots=True)
class PersonName:
    """A person's full name as the document writes it."""

    pos: int
    full: str
    given: str = ""  # lower-cased first word
    surname: str = ""  # lower-cased last word (a suffix such as "Jr." skipped)

    def __post_init__(self) -> None:
        words = self.full.split()
        self.given = words[0].lower()
        self.surname = surname_of(words)


def _headline_lines(text: str) -> list[tuple[int, int]]:
    """Headlines, bylines and datelines: lines of three or more words, most of them
    capitalised, or short lines that end without a sentence's punctuation ("Understated
    Perez raises his profile"). Their capitalised runs are not taken for names."""
    out = []
    for m in re.finditer(r"[^\n]+", text):
        if m.end() - m.start() > 250:
            continue  # a paragraph, not a headline
        if DATELINE.match(m.group()):
            # A story's first sentence, however many capitals: "MEXICO CITY, Feb. 8 (UPI) —
            # Count former Mexican President <Name> among Donald Trump's detractors."
            continue
        words = _HEADLINE_WORD.findall(m.group())
        title_case = len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)
        if title_case or (len(words) <= 20 and not _SENTENCE_END.search(m.group())):
            out.append(m.span())
    return out


def _sentence_pieces(start: int, run: str) -> list[tuple[int, str]]:
    """A capitalised run cut where a sentence ends inside it ("for Marco Rubio. He's"): a
    full stop after a word that is no initial, title or suffix."""
    if "." not in run:
        return [(start, run)]
    out, pos = [], 0
    for m in re.finditer(r"(\S+)\.[ \t]+", run):
        w = m.group(1) + "."
        if not (_is_initial(w) or is_titleish(w) or w.lower().rstrip(".") in _SUFFIXES):
            out.append((start + pos, run[pos : m.start(1) + len(m.group(1))]))
            pos = m.end()
    out.append((start + pos, run[pos:]))
    return [(s, r) for s, r in out if r]


_NOT_DESCRIPTIONS = frozenset(STOP_WORDS) | {"others", "anyone", "everyone", "someone"}


def describe(text: str, head: str) -> str | None:
    """A person described, not named ("A source close to him" -> "a source close to
    him", "some of her followers"), as the speaker a reader is shown; None for bare
    quantifiers and pronouns ("some", "many of you", "the two")."""
    words = text.split()
    if not words or not re.search(r"[A-Za-z]", head):
        return None
    if all(re.sub(r"\W", "", w).lower() in _NOT_DESCRIPTIONS or w.isdigit() for w in words):
        return None
    if words[0].lower() in _DETS or words[0].lower() in {"one", "another"}:
        words[0] = words[0].lower()
    return " ".join(words[:12])


@dataclass(slots=True)
class PersonMention:
    """A person named in the text: in full, or by a surname the document gives in full."""

    pos: int
    end: int
    full: str | None  # the name as written in full, else None (`word` is a surname)
    word: str
    salient: bool = False  # first person named in its sentence, not as a possessive
    resolved: bool = False  # `canonical` worked out (SpeakerResolver._mention_name)
    canonical: str | None = None


_BOUNDARY = re.compile(r"[.!?…][\"”’')\]]*\s|\n")


def _person_mentions(
    text: str,
    names: list[PersonName],
    titled: set[str],
    skip: list[tuple[int, int]],
    quotes: list[tuple[int, int]],
) -> list[PersonMention]:
    """Every mention of an indexed person outside headlines and quotes, in text order:
    full names, and surnames of full names or of a Mr./Mrs./Ms. (`titled`, as written)."""
    found = [PersonMention(n.pos, n.pos + len(n.full), n.full, n.surname) for n in names]
    surnames = {_written_surname(n.full.split()) for n in names} | titled
    starts = [m.pos for m in found]  # names are indexed in text order
    alone = (
        re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(surnames))) + r")\b")
        if surnames
        else None
    )
    for hit in alone.finditer(text) if alone else ():
        k = bisect.bisect_right(starts, hit.start()) - 1
        if k < 0 or found[k].end <= hit.start():  # not inside a full name
            found.append(PersonMention(hit.start(), hit.end(), None, hit.group()))
    out = sorted(
        (
            m
            for m in found
            if not any(s <= m.pos < e for s, e in skip)
            and not any(s <= m.pos < e for s, e in quotes)
        ),
        key=lambda m: m.pos,
    )
    prev_end = 0
    for m in out:
        possessive = text.startswith(("’s", "'s"), m.end - 2) or text.startswith(
            ("’s", "'s"), m.end
        )
        m.salient = not possessive and (
            m is out[0] or _BOUNDARY.search(text, prev_end, m.pos) is not None
        )
        prev_end = m.end
    return out


# Abbreviated titles by the role noun they stand for ("Sen. X" is "the senator").
_TITLE_ROLES = {
    "sen": "senator",
    "rep": "representative",
    "gov": "governor",
    "gen": "general",
    "pres": "president",
    "prof": "professor",
    "lt": "lieutenant",
    "col": "colonel",
    "capt": "captain",
    "sgt": "sergeant",
    "supt": "superintendent",
    "insp": "inspector",
    "det": "detective",
    "const": "constable",
    "cst": "constable",
    "coun": "councillor",
    "atty": "attorney",
}


def _role_head(word: str) -> str:
    low = word.lower().rstrip(".,")
    return _TITLE_ROLES.get(low, low)


def _role_noun(word: str) -> bool:
    """A lower-case word before a name that can be its role ("actress America Ferrera"):
    a role noun, or a noun-looking word that is no verb, adverb or function word."""
    if word in ROLE_NOUNS:
        return True
    return (
        word not in STOP_WORDS
        and not word.endswith(("ed", "ing", "ly"))
        and word not in CUE_FORMS
        and word not in _NOT_ROLES
    )


_NOT_ROLES = {"according", "says", "said", "told", "asked", "thanks", "like", "unlike"}


# Words of place and institution names: "New York", "Islamic State", "Western Europe" are
# capitalised pairs that speak now and then (a mis-parse) but are nobody's "he".
_PLACE_TEXT = """new north south east west northern southern eastern western central upper lower
    united saint st fort mount mt port lake city county state states island islands valley
    beach park street avenue square bay river hill hills heights midtown downtown uptown
    republic kingdom union america europe africa asia world democratic republican
    democrats republicans americans day year week house hall center centre tower
    watch news"""
_PLACE_WORDS = frozenset(_PLACE_TEXT.split())


def _place_like(name: str) -> bool:
    return any(w.lower().rstrip(".") in _PLACE_WORDS for w in name.split())


def _single_name_word(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Z](?:[a-z]|['’][A-Z])[\w'’-]*", text))  # "O’Malley"


def _written_surname(words: list[str]) -> str:
    return words[-2] if len(words) > 1 and words[-1].lower().rstrip(".") in _SUFFIXES else words[-1]


def surname_of(words: list[str]) -> str:
    if len(words) > 1 and words[-1].lower().rstrip(".") in _SUFFIXES:
        return words[-2].lower()
    return words[-1].lower() if words else ""


def _person_key(words: list[str]) -> tuple[str, str]:
    """(given name, surname): the same person written with or without a middle name."""
    return (words[0].lower() if len(words) > 1 else "", surname_of(words))


def _fullest_names(names: list[PersonName]) -> tuple[dict[tuple[str, str], str], dict[str, int]]:
    """Each person's fullest written name by (given name, surname), and how often each
    fullest name is written. A three-word name whose last two words are a name of their own
    elsewhere ("Deputy Kim Smith" beside "Kim Smith") is that name."""
    two = {_person_key(n.full.split()) for n in names if len(n.full.split()) == 2}
    best: dict[tuple[str, str], str] = {}
    keys = []
    for n in names:
        words = n.full.split()
        key = _person_key(words)
        if len(words) == 3 and not _is_initial(words[1]) and _person_key(words[1:]) in two:
            key, words = _person_key(words[1:]), words[1:]
        keys.append(key)
        if len(words) > len(best.get(key, "").split()):
            best[key] = " ".join(words)
    written: dict[str, int] = {}
    for key in keys:
        written[best[key]] = written.get(best[key], 0) + 1
    return best, written


@dataclass(slots=True)
class Entity:
    canonical: str
    kind: str
    role: str | None = None
    tokens: list[str] = field(default_factory=list)  # lower-cased name tokens
    plural: bool = False
    last_pos: int = 0
    gender: str | None = None  # "m" | "f" | None (unknown)


def classify_noun_phrase(words: list[str], head: str, head_tag: str, proper: bool) -> str:
    """person / group / organisation for a non-pronoun subject phrase."""
    h = head.lower()
    low = [w.lower() for w in words]
    if any(w in _NEWS_ORGS for w in low):
        return "organisation"
    if h in ORG_NOUNS:
        return "organisation"
    if proper:
        if head.isupper() and len(head) > 1 and h.rstrip(".") not in _SUFFIXES:
            return "organisation"  # "NATO", "CNN"; but "Charles Elliott III" is a person
        return "person"
    if h in GROUP_NOUNS or head_tag in {"NNS", "NNPS"}:
        return "group"
    return "person"


# A short list of unambiguous first names, for the pronoun gender check only (a name not
# listed is simply of unknown gender; evidence from the text itself comes first).
_MALE_TEXT = """john james robert michael william david richard joseph thomas charles christopher daniel
    matthew anthony mark donald steven paul andrew joshua kenneth kevin brian george edward
    ronald timothy jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin
    scott brandon benjamin samuel frank gregory raymond alexander patrick jack dennis jerry
    tyler aaron jose adam henry nathan douglas zachary peter kyle walter ethan jeremy harold
    keith christian roger noah gerald carl terry sean austin arthur lawrence jesse dylan bryan
    joe jordan billy bruce albert willie gabriel logan alan juan wayne roy ralph randy eugene
    vincent russell elijah louis bobby philip johnny mitch ted marco bernie barack mike jeb
    chris rand newt rick bill vladimir xi boris emmanuel recep benjamin tim
    rudy rudolph reince sean jared steve ben martin al jimmy ronald dick"""
_MALE = set(_MALE_TEXT.split())
_FEMALE_TEXT = """mary patricia jennifer linda elizabeth barbara susan jessica sarah karen nancy lisa
    betty margaret sandra ashley kimberly emily donna michelle dorothy carol amanda melissa
    deborah stephanie rebecca sharon laura cynthia kathleen amy shirley angela helen anna
    brenda pamela nicole emma samantha katherine christine debra rachel catherine carolyn
    janet ruth maria heather diane virginia julie joyce victoria olivia kelly christina
    lauren joan evelyn judith megan cheryl andrea hannah martha jacqueline frances gloria
    ann teresa kathryn sara janice jean alice madison doris abigail julia judy grace denise
    amber marilyn beverly danielle theresa sophia marie diana brittany natalie isabella
    charlotte rose alexis kayla hillary nikki carly sarah michele elena angela theresa
    kellyanne huma ivanka melania chelsea debbie nancy elizabeth condoleezza madeleine
    sonia ruth kamala tulsi marine angela theresa"""
_FEMALE = set(_FEMALE_TEXT.split())
_FIRST_NAMES = _MALE | _FEMALE
# Honorifics as written in a name ("Mrs." too), and the peerage's titles.
_TITLE_GENDER = {
    **GENDER_HONORIFICS,
    **{f"{h}.": GENDER_HONORIFICS[h] for h in ("mr", "mrs", "ms")},
    "lord": "m",
    "lady": "f",
}
_ROLE_GENDER = {
    "spokeswoman": "f",
    "congresswoman": "f",
    "chairwoman": "f",
    "businesswoman": "f",
    "queen": "f",
    "princess": "f",
    "wife": "f",
    "mother": "f",
    "daughter": "f",
    "sister": "f",
    "actress": "f",
    "spokesman": "m",
    "congressman": "m",
    "businessman": "m",
    "king": "m",
    "prince": "m",
    "husband": "m",
    "father": "m",
    "son": "m",
    "brother": "m",
    "actor": "m",
}
# "him" and "her" are left out: as objects they are someone else as often as not ("Sen.
# Claire McCaskill scolded him: “…,” she said" had voted McCaskill male).
_GENDERED_PRON = re.compile(r"\b(he|his|himself|she|hers|herself)\b", re.IGNORECASE)


def name_gender(name: str, role: str | None = None, votes: dict | None = None) -> str | None:
    """ "m" / "f" / None from a title or role noun, a known first name, or else the text's
    own pronouns after the name (`votes`: noisy where several people are named)."""
    words = [w.lower() for w in name.split()] + [w.lower() for w in (role or "").split()]
    for w in words:
        if w in _TITLE_GENDER:
            return _TITLE_GENDER[w]
        if w in _ROLE_GENDER:
            return _ROLE_GENDER[w]
    first = name.split()[0].lower().rstrip(".") if name.split() else ""
    if first in _MALE and first not in _FEMALE:
        return "m"
    if first in _FEMALE and first not in _MALE:
        return "f"
    if votes:
        m, f = votes.get("m", 0), votes.get("f", 0)
        if m >= 2 * f + 1:
            return "m"
        if f >= 2 * m + 1:
            return "f"
    return None


class SpeakerResolver:
    """Per-document registry of speakers; call `resolve` in text order."""

    def __init__(self) -> None:
        self.entities: list[Entity] = []
        self.last_person: Entity | None = None
        self.last_person_pos = -(10**9)
        self.last_group: Entity | None = None
        self.last_group_pos = -(10**9)

    def index_names(self, text: str, quotes: list[tuple[int, int]] | None = None) -> None:
        """Note every "First Last" name in the document, so that "Ortiz said" can resolve to
        a "Mayor Lena Ortiz" who was introduced without speaking (or later: the canonical
        name is the person's full name wherever the article gives it)."""
        self.names: list[PersonName] = []
        # (offset, role head, full name, role phrase)
        self.roles: list[tuple[int, str, str, str]] = []
        # Organisations named in full, so that "according to the authority" can become
        # "Kestrel Transport Authority" (orgs.py).
        self.orgs = OrgIndex(text)
        # Gender evidence by surname: honorifics ("Mrs. Clinton") and the pronoun that
        # follows a name before the next name ("he"/"his" votes male).
        self.votes: dict[str, dict[str, int]] = {}
        self.titled: dict[str, set[str]] = {}  # surname -> genders of its Mr./Mrs./Ms.
        self.titled_words: set[str] = set()  # those surnames as written
        runs = list(_NAME_RUN.finditer(text))
        headlines = _headline_lines(text)
        for m in runs:
            if not any(s <= m.start() < e for s, e in headlines):
                for start, run in _sentence_pieces(m.start(), m.group()):
                    self._index_run(text, start, run)
        for i, m in enumerate(runs):
            stop = runs[i + 1].start() if i + 1 < len(runs) else len(text)
            p = _GENDERED_PRON.search(text, m.end(), min(stop, m.end() + 250))
            if p is not None:
                g = "m" if p.group(1).lower() in {"he", "his", "himself"} else "f"
                self._vote(surname_of(m.group().split()), g, 1)
        self._fullest, self._written = _fullest_names(self.names)
        self.mentions = _person_mentions(
            text, self.names, self.titled_words, headlines, quotes or []
        )
        self._mention_pos = [m.pos for m in self.mentions]

    def _vote(self, surname: str, gender: str, weight: int) -> None:
        v = self.votes.setdefault(surname, {})
        v[gender] = v.get(gender, 0) + weight

    def _index_run(self, text: str, start: int, run: str) -> None:
        before = re.search(r"(\w+)\s*$", text[max(0, start - 12) : start])
        split = split_name(run, bool(before and before.group(1) in _PREPOSITIONS))
        if split is None:
            return
        lead = run[: split.start].strip().lower()
        if not split.role and (lead == "the" or (not lead and before and before.group(1) == "the")):
            return  # "the Arizona Republican", "The Vermont Independent": a description
        name = run[split.start : split.end]
        nwords = name.split()
        if any(w.lower() in ORG_NOUNS for w in nwords):
            return
        if split.gender:
            self.titled.setdefault(surname_of(nwords), set()).add(split.gender)
            self.titled_words.add(_written_surname(nwords))
        if len(nwords) - (nwords[-1].lower().rstrip(".") in _SUFFIXES) < 2:
            return
        self.names.append(PersonName(start + split.start, name))
        # Roles introduced with the name: "Commissioner X", "Harbour master X",
        # "X, the commissioner of ...". Kept as (offset, role head, full name).
        heads = []
        stripped = run[: split.start].split()
        if stripped and _role_head(stripped[-1]) in ROLE_NOUNS | _TITLES_UNDOTTED:
            heads.append((_role_head(stripped[-1]), " ".join(stripped)))
        pre = _ROLE_BEFORE.search(text, max(0, start - 40), start)
        if pre and (_role_noun(pre.group(2)) or pre.group(1)):
            heads.append((pre.group(2), pre.group().strip()))
        pre = _ROLE_APPOSED.search(text, max(0, start - 40), start)
        if pre and _role_noun(pre.group(2)):
            heads.append((pre.group(2), pre.group().strip(" ,")))
        app = _ROLE_AFTER.match(text, start + len(run))
        if app:
            heads.append((app.group(1), app.group(1)))
        self.roles.extend((start, h, name, r) for h, r in heads)

    def _named_org(self, name: str) -> Entity:
        key = speaker_key(name)
        for e in self.entities:
            if speaker_key(e.canonical) == key:
                e.kind = "organisation"
                return e
        e = Entity(name, "organisation", None, name.lower().split())
        self.entities.append(e)
        return e

    def _person(self, full: str) -> Entity:
        """The entity of a person known by full name, created on first use."""
        key = speaker_key(full)
        for e in self.entities:
            if e.kind == "person" and speaker_key(e.canonical) == key:
                return e
        e = Entity(full, "person", None, full.lower().split())
        self.entities.append(e)
        return e

    def _by_name_word(self, tok: str, pos: int, gender: str | None = None) -> Entity | None:
        """The one person of the document with surname `tok` ("Ortiz", "Mrs. Clinton"), or
        else with given name `tok` ("Hillary"); None if none or several (a wrong name is
        worse than the surname). People introduced before `pos` come first."""
        for part in ("surname", "given"):
            found: dict[str, int] = {}  # each person's first mention (names are in order)
            for n in getattr(self, "names", []):
                if getattr(n, part) == tok:
                    found.setdefault(self.canonical_name(n.full), n.pos)
            for e in self.entities:
                word = e.tokens[-1] if part == "surname" else e.tokens[0]
                if e.kind == "person" and len(e.tokens) > 1 and word == tok:
                    found.setdefault(e.canonical, -1)
            if gender and len(found) > 1:
                found = {f: p for f, p in found.items() if self._name_gender(f) in (gender, None)}
            if len(found) > 1:
                # "Thomas Perez" over a headline's "Understated Perez"
                known = {f: p for f, p in found.items() if f.split()[0].lower() in _FIRST_NAMES}
                found = known or found
            if len(found) > 1:
                found = {f: p for f, p in found.items() if p < pos} or found
            if len(found) > 1:
                found = self._dominant(found)
            if len(found) == 1:
                return self._person(next(iter(found)))
            if found:
                return None
        return None

    def _dominant(self, found: dict[str, int]) -> dict[str, int]:
        """Of people who share a surname, the one the article is about, when it writes that
        person's full name three times or more and three times as often as the others'
        together ("Muhammad Ali" twelve times, his brother "Rahaman Ali" once: "Ali called
        on fellow Muslims" is Muhammad Ali). Otherwise all of them (no guess)."""
        written = getattr(self, "_written", {})
        counts = {f: written.get(f, 0) for f in found}
        best = max(counts, key=lambda f: counts[f])
        others = sum(counts.values()) - counts[best]
        return {best: found[best]} if counts[best] >= max(3, 3 * others) else found

    def canonical_name(self, name: str) -> str:
        """A person's fullest written name in the document ("Donald J. Trump" for "Donald
        Trump"); a descriptor before a name found elsewhere without it is dropped."""
        return getattr(self, "_fullest", {}).get(_person_key(name.split()), name)

    def _antecedent(self, gender: str, pos: int, window: int) -> Entity | None:
        """The person a "he"/"she" at `pos` refers to: the most recent, within `window`
        characters, of a compatible gender, among earlier speakers and people named first
        in their sentence (the subject, mostly: "Smith criticised Jones. He said" is
        Smith); failing those, the most recent person named at all. Names must be
        people's: "Islamic State" and "Homeland Security" are capitalised pairs too, so a
        name of unknown gender needs a known first name, a title or a role."""
        best: Entity | None = None
        best_pos = -1
        for e in self.entities:
            if (
                e.kind == "person"
                and not e.plural
                and 0 <= pos - e.last_pos <= window
                and e.last_pos > best_pos
                and not _place_like(e.canonical)
                and self._gender(e) in (gender, None)
                and (self._gender(e) == gender or self._is_person(e.canonical))
            ):
                best, best_pos = e, e.last_pos
        fallback: str | None = None
        mentions = getattr(self, "mentions", [])
        first = bisect.bisect_left(self._mention_pos, pos - window) if mentions else 0
        for m in mentions[first:]:
            if m.pos >= pos:
                break
            if m.salient and m.pos <= best_pos:
                continue
            full = self._mention_name(m)
            if full is None or _place_like(full):
                continue
            spoke = any(e.canonical == full for e in self.entities)
            if not spoke and not self._is_person(full):
                continue
            g = self._name_gender(full)
            if g != gender and not (g is None and spoke):
                continue
            if m.salient:
                best, best_pos = self._person(full), m.pos
            else:
                fallback = full
        if best is None and fallback is not None:
            best = self._person(fallback)
        return best

    def _mention_name(self, m: PersonMention) -> str | None:
        """The canonical name of a person mention, worked out once."""
        if not m.resolved:
            if m.full:
                m.canonical = self.canonical_name(m.full)
            else:
                e = self._by_name_word(m.word.lower(), m.pos)
                m.canonical = e.canonical if e is not None else None
                if e is None and m.word.lower() in getattr(self, "titled", {}):
                    m.canonical = m.word  # "Mr. Obama", never named in full
            m.resolved = True
        return m.canonical

    def _adjectives_then_name(self, text: str) -> str | None:
        """The name in "a teary-eyed Bush", "an emotional Clinton": an article and
        lower-case words before a name word of a person the article names."""
        words = text.split()
        if (
            len(words) < 3
            or words[0].lower() not in {"a", "an", "the"}
            or not all(w[:1].islower() and w not in STOP_WORDS for w in words[1:-1])
            or not _single_name_word(words[-1])
            or not self._known_name_word(words[-1])
        ):
            return None
        return words[-1]

    def _known_name_word(self, word: str) -> bool:
        low = word.lower()
        return any(n.surname == low or n.given == low for n in getattr(self, "names", []))

    def _is_person(self, full: str) -> bool:
        words = full.split()
        surname = surname_of(words)
        return (
            (len(words) > 1 and words[0].lower() in _FIRST_NAMES)
            or surname in getattr(self, "titled", {})
            or any(surname_of(r[2].split()) == surname for r in getattr(self, "roles", []))
        )

    def _name_gender(self, full: str, role: str | None = None) -> str | None:
        """A title in the name or a known first name (name_gender), then Mr./Mrs./Ms. before
        the surname anywhere in the text (if only one of them is used: "Mr. Trump" says
        nothing of Ivanka Trump), then the pronouns after the name."""
        words = full.split()
        surname = surname_of(words)
        known = name_gender(full, role)
        if known is not None:
            return known
        titled = getattr(self, "titled", {}).get(surname, set())
        if len(titled) == 1:
            return next(iter(titled))
        return name_gender(full, role, getattr(self, "votes", {}).get(surname))

    def _by_role(self, head: str, pos: int = 10**9, mods: tuple[str, ...] = ()) -> Entity | None:
        """The one person introduced with role `head` before `pos` ("the commissioner");
        the description's other words decide between several ("the Florida senator")."""
        hits = [
            e
            for e in self.entities
            if e.kind == "person" and e.role and head in map(_role_head, e.role.split())
        ]
        names = {speaker_key(e.canonical): (e.canonical, e.role) for e in hits}
        for off, h, full, phrase in getattr(self, "roles", []):
            if h == head and off < pos:
                names.setdefault(speaker_key(full), (full, phrase))
        if len(names) > 1 and mods:
            names = {
                k: v for k, v in names.items() if set(mods) <= set((v[1] or "").lower().split())
            }
        # Two different people with that role: ambiguous, so no guess.
        if len(names) != 1:
            return None
        key, (full, phrase) = next(iter(names.items()))
        for e in reversed(self.entities):
            if e.kind == "person" and speaker_key(e.canonical) == key:
                e.role = e.role or phrase
                return e
        e = Entity(full, "person", phrase, full.lower().split())
        self.entities.append(e)
        return e

    def _organisation(self, m: MentionInfo, pos: int, window: int = 2000) -> str | None:
        """The organisation a description ("the company") or a statement ("a statement
        from Acme", "the statement") at `pos` stands for (orgs.py), or None."""
        orgs = getattr(self, "orgs", None)
        if orgs is None or m.name:
            return None
        who = orgs.issuer(m.text, pos)
        if who is not None and who.startswith("the "):
            who = orgs.by_description(who, pos) or self._last_org_speaker(pos, window)
        if who is None and description_kind(m.text) is not None:
            who = orgs.by_description(m.text, pos)
            if who is None and description_kind(m.text) in _SPEAKING_KINDS:
                who = self._last_org_speaker(pos, window)
        return who

    def _last_org_speaker(self, pos: int, window: int) -> str | None:
        """ "Facebook said ... The company said": the last speaker, if it was within the
        window and is named the way organisations are (one word or an acronym, no
        person's name of the article)."""
        last = max(
            (e for e in self.entities if 0 <= pos - e.last_pos <= window),
            key=lambda e: e.last_pos,
            default=None,
        )
        if last is None or last.kind == "group" or not org_like_name(last.canonical):
            return None
        return None if self._known_name_word(last.canonical) else last.canonical

    def _has_role(self, head: str, pos: int) -> bool:
        return any(r[1] == head and r[0] < pos for r in getattr(self, "roles", []))

    def _gender(self, e: Entity) -> str | None:
        if e.gender is None and e.tokens:
            e.gender = self._name_gender(e.canonical, e.role) or ""
        return e.gender or None

    def _remember(self, ent: Entity, pos: int) -> Entity:
        ent.last_pos = pos
        if ent.kind == "person" and not ent.plural:
            self.last_person, self.last_person_pos = ent, pos
        elif ent.kind in {"group", "organisation"} or ent.plural:
            self.last_group, self.last_group_pos = ent, pos
        return ent

    def resolve(
        self, m: MentionInfo, pos: int, window: int = 2000
    ) -> tuple[str | None, str, str | None]:
        """(canonical speaker or None, speaker_kind, role) for mention `m` at offset `pos`.

        `window` is how far back (in characters) a pronoun may look for its antecedent:
        about three news paragraphs (1,200 resolved 0.3 points fewer PolNeAR train speakers).
        """
        return _named_in(self._resolve_mention(m, pos, window))

    def _resolve_mention(
        self, m: MentionInfo, pos: int, window: int
    ) -> tuple[str | None, str, str | None]:
        if m.pronoun:
            return self._resolve_pronoun(m, pos, window)
        org = self._organisation(m, pos)
        if org is not None:
            e = self._named_org(org)
            self._remember(e, pos)
            return e.canonical, "organisation", None
        name = m.name
        if name is None and _single_name_word(m.text) and self._known_name_word(m.text):
            # "Trump" or "Sanders" tagged as a common noun: a person the article names.
            name, m.kind, m.plural = m.text, "person", False
        if name is None and (word := self._adjectives_then_name(m.text)) is not None:
            name, m.kind, m.plural = word, "person", False  # "A teary-eyed Bush"
        if name:
            return self._resolve_name(m, name, pos)
        if m.kind == "person" and not m.plural:
            return self._resolve_person_description(m, pos)
        return self._resolve_group(m, pos)

    def _resolve_pronoun(
        self, m: MentionInfo, pos: int, window: int
    ) -> tuple[str | None, str, str | None]:
        w = m.text.lower()
        if w in {"he", "she", "him", "her", "his"}:
            e = self._antecedent("f" if w in {"she", "her"} else "m", pos, window)
            if e is not None:
                self._remember(e, pos)
                return e.canonical, "person", e.role
            return None, "person", None
        if w in {"they", "them", "their"}:
            if self.last_group and pos - self.last_group_pos <= window:
                e = self._remember(self.last_group, pos)
                return e.canonical, e.kind, e.role
            return None, "group", None
        if w == "it":
            # "The agency said X. It also said Y": the most recent speaker, if that is
            # one organisation (not a person or a group).
            e = self.last_group
            if (
                e is not None
                and e.kind == "organisation"
                and self.last_group_pos > self.last_person_pos
                and pos - self.last_group_pos <= window
            ):
                self._remember(e, pos)
                return e.canonical, e.kind, e.role
            # "Twitter said X. It added Y": a one-word name that is nobody's person
            name = self._last_org_speaker(pos, window)
            if name is not None and self._name_gender(name) is None:
                e = self._named_org(name)
                self._remember(e, pos)
                return e.canonical, "organisation", e.role
        return None, "unknown", None

    def _resolve_name(
        self, m: MentionInfo, name: str, pos: int
    ) -> tuple[str | None, str, str | None]:
        """A named speaker: a surname or given name alone takes the one person of the
        document it belongs to; a full name its fullest form; else a new entity."""
        toks = [t.lower() for t in name.split()]
        if m.kind == "person" and len(toks) == 1:
            e = self._by_name_word(toks[0], pos, m.gender)
            if e is not None:
                if m.role and not e.role:
                    e.role = m.role
                self._remember(e, pos)
                return e.canonical, e.kind, m.role or e.role
        if m.kind == "person":
            name = self.canonical_name(name)
        key = speaker_key(name)
        for e in self.entities:
            if speaker_key(e.canonical) == key:
                if m.role and not e.role:
                    e.role = m.role
                self._remember(e, pos)
                return e.canonical, e.kind, m.role or e.role
        e = Entity(name, m.kind, m.role, name.lower().split(), m.plural)
        e.gender = m.gender
        self.entities.append(e)
        self._remember(e, pos)
        return e.canonical, e.kind, m.role

    def _resolve_person_description(
        self, m: MentionInfo, pos: int
    ) -> tuple[str | None, str, str | None]:
        """ "the commissioner": the one person introduced with that role; "a source", "one
        official": described, not named. The description is what a reader can be told;
        quantifiers and demonstratives ("some", "that") are not."""
        mods = tuple(w.lower() for w in m.text.split()[1:] if w.lower() not in {m.head_lower, "of"})
        e = (
            self._by_role(m.head_lower, pos, mods)
            if m.head_lower in ROLE_NOUNS or self._has_role(m.head_lower, pos)
            else None
        )
        definite = m.text.lower().split()[:1] == ["the"]
        if e is not None and definite:
            self._remember(e, pos)
            return e.canonical, "person", e.role
        desc = describe(m.text, m.head_lower)
        return desc, "person", None if desc else m.role

    def _resolve_group(self, m: MentionInfo, pos: int) -> tuple[str | None, str, str | None]:
        """Groups and organisations are named by their description ("Japanese analysts"),
        or by the full name of the one organisation it refers back to ("the authority")."""
        words = m.text.split()
        if words and words[0].lower() in _DETS:
            words = words[1:]
        canon = " ".join(words) if words else m.text
        key = speaker_key(canon)
        for e in self.entities:
            if speaker_key(e.canonical) == key:
                self._remember(e, pos)
                return e.canonical, e.kind, e.role or m.role
        e = Entity(canon, m.kind, None, [w.lower() for w in words], True)
        self.entities.append(e)
        self._remember(e, pos)
        return canon, m.kind, m.role


_TITLES_UNDOTTED = frozenset(t.rstrip(".") for t in TITLE_WORDS)


def is_titleish(word: str) -> bool:
    return word.lower().rstrip(".") in _TITLES_UNDOTTED


# -- names within a phrase -------------------------------------------------------------------

# Capitalised words that open a clause or a phrase, never a name ("Although Trump said",
# "While Facebook", "What Mr. Obama"): spaCy's English stop words, less "will" ("Will Hurd").
_OPENERS = frozenset(STOP_WORDS - {"will"}) | {
    "asked",
    "maybe",
    "instead",
    "later",
    "earlier",
    "today",
    "yesterday",
    "tonight",
    "recently",
    "finally",
    "like",
    "unlike",
    "despite",
    "says",
    "said",
    "told",
    "thanks",
}
_CALENDAR_TEXT = """monday tuesday wednesday thursday friday saturday sunday january february
    march april may june july august september october november december jan feb mar apr jun
    jul aug sep sept oct nov dec"""
CALENDAR = frozenset(_CALENDAR_TEXT.split())
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_PREPOSITIONS = frozenset({"of", "to", "for", "at", "in", "from", "on", "with"})
# A name word: capitalised, with apostrophes and hyphenated parts ("O'Brien", "Jae-in",
# "Ocasio-Cortez", "al-Assad"), or an initial ("J.", "G.K.").
_NAME_WORD = re.compile(
    r"(?:(?:al|el|bin|ibn|abu|ben)-)?(?:[A-Z][\w'’]*(?:-[A-Za-z][\w'’]*)*\.?|(?:[A-Z]\.){1,3})$"
)


@dataclass(slots=True)
class NameSplit:
    start: int  # offsets of the name within the phrase
    end: int
    role: str | None  # words before the name that describe the person ("Police Chief")
    gender: str | None  # from an honorific ("Mrs.")


def _is_opener(word: str) -> bool:
    """A clause-opening word: a stop word or a sentence adverb ("Interestingly")."""
    low = word.lower()
    if word.isupper():
        return False  # "US" is a name
    return low in _OPENERS or (low.endswith("ly") and len(low) > 5 and low not in _FIRST_NAMES)


def _is_initial(word: str) -> bool:
    return bool(re.fullmatch(r"(?:[A-Z]\.){1,3}|[A-Z]", word))


def _three_word_name(words: list[str], preceded: bool, titled: bool = False) -> int:
    """How many of the last three capitalised words are the name: 3 with an initial or
    particle in the middle or a known first name first ("Ruth Bader Ginsburg"); 2 when the
    second is a known first name and the first is not ("Rival Hillary Clinton"); otherwise 2
    after a description ("US Ambassador to Japan Rahm Emanuel") and 3 when the run is the
    whole phrase ("Hans Joachim Schellnhuber"). Right after a title all three are the name
    ("NAACP President Cornell William Brooks")."""
    a, b = (w.lower().rstrip(".") for w in words[-3:-1])
    if _is_initial(words[-2]) or words[-2] in _NAME_PARTICLES or _is_initial(words[-3]):
        return 3
    if b in _FIRST_NAMES and a not in _FIRST_NAMES and not titled:
        return 2
    if a in _FIRST_NAMES:
        return 3
    return 2 if preceded else 3


# "an attorney for Pagliano, Mark MacDougall,": a description, a comma, then the name.
_DESCRIBED_THEN_NAMED = re.compile(r"^(?P<desc>[^,]{3,}?),\s+(?P<name>[A-Z][^,]{2,}?),?$")


def _named_in(found: tuple[str | None, str, str | None]) -> tuple[str | None, str, str | None]:
    """A speaker resolved as a description that ends in a person's full name in apposition
    (the parser hung the name off the description's last noun) is that person, with the
    description as their role: "his former business partner at Lenox, Lawrence B. Cummings,"
    -> ("Lawrence B. Cummings", "person", "former business partner at Lenox")."""
    speaker = found[0]
    if not speaker or not is_description(speaker):
        return found
    m = _DESCRIBED_THEN_NAMED.match(speaker.strip())
    if m is None:
        return found
    name = m.group("name")
    split = split_name(name)
    if split is None or split.start != 0 or split.end != len(name) or split.role:
        return found
    if len(name.split()) < 2 or any(w.lower() in _OPENERS for w in name.split()):
        return found
    desc = m.group("desc").split()
    while desc and desc[0].lower() in _DETS:
        desc.pop(0)
    return name, "person", " ".join(desc)


_OF_ORG = re.compile(r"(.+?)\s+of\s+(?:the\s+)?(?=[A-Z])")


def _name_of_org(phrase: str) -> NameSplit | None:
    """ "Mr. Morgan of the Sierra Club", "Joel Pollak of Breitbart California": a person's
    name, then "of" and where they work, which is the role. Only when the part before "of"
    ends in a name of two words or a titled surname: "Secretary of State John Kerry" and
    "Bank of America CEO Jane Fraser" are left to split_name."""
    m = _OF_ORG.match(phrase)
    if m is None:
        return None
    inner = split_name(m.group(1))
    if inner is None or inner.end != len(m.group(1)):
        return None
    if not inner.gender and len(m.group(1)[inner.start : inner.end].split()) < 2:
        return None
    where = phrase[m.end() :].strip(" ,")
    role = ", ".join(r for r in (inner.role, where) if r)
    return NameSplit(inner.start, inner.end, role, inner.gender)


def _scan_run(
    words: list[tuple[int, int, str]], run: list[int]
) -> tuple[int, int, str | None, bool]:
    """Where a run of capitalised words stops being description: (first word of the role,
    first word of the name, gender from an honorific, whether a title is right before it)."""
    gender = None
    role_from, start = 0, run[0]
    titled = False
    for k in run[:-1]:
        w = words[k][2]
        low = w.lower().rstrip(".")
        if low in GENDER_HONORIFICS:
            gender = GENDER_HONORIFICS[low]
        if (_is_opener(w) and k == start) or (
            w.endswith(".") and not _is_initial(w) and not is_titleish(w)
        ):
            start = role_from = k + 1  # "Although Trump", "ABSTRACT. Mr. Putin": dropped
            titled = False
        elif is_titleish(w) or low in ROLE_NOUNS:
            start = k + 1  # "Police Chief Mark Saunders": the title goes to the role
            titled = is_titleish(w)
    return role_from, start, gender, titled


@functools.lru_cache(maxsize=4096)
def split_name(phrase: str, after_preposition: bool = False) -> NameSplit | None:
    """The person's name at the end of `phrase`, and what comes before it.

    "Harvard political scientist Steven Levitsky" -> name "Steven Levitsky", role "Harvard
    political scientist"; "Toronto's John Tory" -> "John Tory", role "Toronto's"; "Although
    Trump" -> "Trump"; "Mrs. Clinton" -> "Clinton" (gender f); "New York Mayor Bill de
    Blasio" -> "Bill de Blasio", role "New York Mayor"; "Moon Jae-in" stays whole. None if
    the phrase does not end with a name word. `after_preposition`: the phrase follows "to",
    "of" ... in the text, so its first capitalised word may end a description ("Ambassador
    to | Japan Rahm Emanuel").
    """
    owned = None if after_preposition else _name_of_org(phrase)
    if owned is not None:
        return owned
    words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", phrase)]
    # Trailing dates and a sentence's full stop are no part of a name ("Trump May").
    while len(words) > 1 and words[-1][2].lower().rstrip(".,") in CALENDAR:
        words.pop()
    if not words:
        return None
    s, e, w = words[-1]
    if w.endswith(".") and not _is_initial(w) and w.lower().rstrip(".") not in _SUFFIXES:
        s, e, w = words[-1] = (s, e - 1, w[:-1])
    if w.endswith(("’s", "'s")) and len(w) > 3:
        words[-1] = (s, e - 2, w[:-2])  # "Speaker Paul Ryan’s office": the possessor
    suffix = 1 if len(words) > 1 and words[-1][2].lower().rstrip(".") in _SUFFIXES else 0
    # The run of name words (and particles between them) ending the phrase.
    i = len(words) - suffix
    while i > 0:
        w = words[i - 1][2]
        name_word = _NAME_WORD.match(w) and not re.search(r"[’']s$|,$", w)
        inner_particle = w in _NAME_PARTICLES and 1 < i < len(words) - suffix
        if not (name_word or inner_particle):
            break
        i -= 1
    run = list(range(i, len(words) - suffix))
    if not run or not any(c.isupper() for c in words[run[-1]][2]):
        return None
    role_from, start, gender, titled = _scan_run(words, run)
    while start < run[-1] and words[start][2] in _NAME_PARTICLES:
        start += 1
    core = [words[k][2] for k in range(start, run[-1] + 1)]
    if len(core) >= 3:
        # "US Ambassador to Japan Rahm Emanuel": words before the run, no title between
        preceded = (start == run[0] and (run[0] > role_from or after_preposition)) or len(core) > 3
        start = run[-1] + 1 - _three_word_name(core[-3:], preceded, titled and len(core) == 3)
        before = words[start - 1][2].lower()
        if len(core) > 3 and _is_initial(words[start][2]) and before in _FIRST_NAMES:
            start -= 1  # "Julie A. Diaz Martinez": the first name before the initial
    role_words = phrase[words[role_from][0] : words[start][0]].strip(" ,").split()
    while role_words and (role_words[0].lower() in _DETS or _is_opener(role_words[0])):
        role_words.pop(0)
    while role_words and role_words[-1].lower().rstrip(".") in GENDER_HONORIFICS:
        role_words.pop()
    role = " ".join(role_words) or None
    return NameSplit(words[start][0], words[-1][1], role, gender)
