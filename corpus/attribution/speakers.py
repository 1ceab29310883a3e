"""Speaker mentions: split a subject phrase into name / role, classify it, and resolve
surname, pronoun and role mentions to one canonical speaker per document.

Resolution is deliberately conservative (the product rule: a wrong name is worse than none):
a pronoun resolves only to a recent speaker of a compatible number, a surname only to a
full name seen earlier in the same document, a role noun only to a person who held it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .lexicon import GROUP_NOUNS, ORG_NOUNS, ROLE_NOUNS, TITLE_WORDS

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


_NAME_RUN = re.compile(r"\b(?:[A-Z][\w'’.-]*\s+){1,3}[A-Z][\w'’-]+")

# "Harbour master Ada Whitlock": a lower-case role head right before the name, optionally
# after a capitalised modifier.
_ROLE_BEFORE = re.compile(r"(?:\b([A-Z][a-z]+)\s+)?\b([a-z][a-z-]{2,})\s+$")
# "Masaki Tanaka, the commissioner of the Port Agency,": the appositive's head noun.
_ROLE_AFTER = re.compile(
    r",\s+(?:the|a|an)\s+(?:[\w'’-]+\s+){0,3}?([a-z][a-z-]{2,})"
    r"(?=\s+(?:of|at|for|with|in|from|on|to)\b|\s*[,.;])"
)


def speaker_key(name: str) -> str:
    """Normalised registry key: the same full name in several documents maps to one key.

    Case, accents, punctuation, honorifics ("Mr.", "Dr.") and a leading "the" are dropped,
    so "Rahm Emanuel", "RAHM EMANUEL" and "Mr. Rahm Emanuel" share a key.
    """
    s = unicodedata.normalize("NFKD", name)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"[’']s\b", "", s)
    words = re.findall(r"[a-z0-9]+", s)
    while words and (words[0] in _DETS or words[0] in {"mr", "mrs", "ms", "dr", "prof"}):
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
        if head.isupper() and len(head) > 1:
            return "organisation"
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
_TITLE_GENDER = {
    "mr": "m",
    "mr.": "m",
    "mrs": "f",
    "mrs.": "f",
    "ms": "f",
    "ms.": "f",
    "miss": "f",
    "sir": "m",
    "lord": "m",
    "lady": "f",
    "dame": "f",
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
_GENDERED_PRON = re.compile(r"\b(he|him|his|himself|she|her|hers|herself)\b", re.IGNORECASE)


def name_gender(name: str, role: str | None = None, votes: dict | None = None) -> str | None:
    """ "m" / "f" / None from the text's own pronouns, a title, a role noun or a first name."""
    words = [w.lower() for w in name.split()] + [w.lower() for w in (role or "").split()]
    for w in words:
        if w in _TITLE_GENDER:
            return _TITLE_GENDER[w]
        if w in _ROLE_GENDER:
            return _ROLE_GENDER[w]
    if votes:
        m, f = votes.get("m", 0), votes.get("f", 0)
        if m >= 2 * f + 1:
            return "m"
        if f >= 2 * m + 1:
            return "f"
    first = name.split()[0].lower().rstrip(".") if name.split() else ""
    if first in _MALE and first not in _FEMALE:
        return "m"
    if first in _FEMALE and first not in _MALE:
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

    def index_names(self, text: str) -> None:
        """Note every "First Last" name in the document, so that "Ortiz said" can resolve to
        a "Mayor Lena Ortiz" who was introduced without speaking."""
        self.names: list[tuple[int, str, str]] = []  # (offset, surname, full name)
        # (offset, role head, full name, role phrase)
        self.roles: list[tuple[int, str, str, str]] = []
        # (offset, lower-cased words, full name) of organisations named in full, so that
        # "according to the authority" can become "Kestrel Transport Authority".
        self.orgs: list[tuple[int, list[str], str]] = []
        runs = list(_NAME_RUN.finditer(text))
        for m in runs:
            words = m.group().split()
            if words[-1].lower() in ORG_NOUNS:
                org = words[1:] if words[0].lower() in _DETS else words  # "The X Agency"
                if len(org) >= 2:
                    self.orgs.append((m.start(), [w.lower() for w in org], " ".join(org)))
            while words and (
                is_titleish(words[0]) or words[0].lower() in ROLE_NOUNS or words[0].lower() in _DETS
            ):
                words = words[1:]
            if len(words) < 2:
                continue
            keep = 3 if len(words) >= 3 and (len(words[-2]) <= 2 or words[-2].endswith(".")) else 2
            full = " ".join(words[-keep:])
            if any(w.lower() in ORG_NOUNS for w in words[-keep:]):
                continue
            self.names.append((m.start(), words[-1].lower(), full))
            # Roles introduced with the name: "Commissioner X", "Harbour master X",
            # "X, the commissioner of ...". Kept as (offset, role head, full name).
            stripped = m.group().split()[: len(m.group().split()) - len(words)]
            heads = []
            if stripped and stripped[-1].lower() in ROLE_NOUNS:
                heads.append((stripped[-1].lower(), " ".join(stripped).lower()))
            pre = _ROLE_BEFORE.search(text, max(0, m.start() - 40), m.start())
            if pre and (pre.group(2) in ROLE_NOUNS or pre.group(1)):
                heads.append((pre.group(2), pre.group().strip().lower()))
            app = _ROLE_AFTER.match(text, m.end())
            if app:
                heads.append((app.group(1), app.group(1)))
            self.roles.extend((m.start(), h, full, r) for h, r in heads)
        # Which pronoun follows a name before the next name: "he"/"his" votes male.
        self.votes: dict[str, dict[str, int]] = {}
        for i, m in enumerate(runs):
            stop = runs[i + 1].start() if i + 1 < len(runs) else len(text)
            p = _GENDERED_PRON.search(text, m.end(), min(stop, m.end() + 250))
            if p is None:
                continue
            g = "m" if p.group(1).lower() in {"he", "him", "his", "himself"} else "f"
            sur = m.group().split()[-1].lower()
            v = self.votes.setdefault(sur, {})
            v[g] = v.get(g, 0) + 1

    def _by_surname(self, tok: str, pos: int = 10**9) -> Entity | None:
        hits = [
            e
            for e in self.entities
            if e.kind == "person"
            and len(e.tokens) > 1
            and (e.tokens[-1] == tok or (tok in e.tokens and tok == e.tokens[0]))
        ]
        # Two different people sharing the surname: ambiguous, so no guess.
        names = {e.canonical for e in hits}
        if len(names) == 1:
            return hits[-1]
        if hits:
            return None
        found = {full for off, sur, full in getattr(self, "names", []) if sur == tok and off < pos}
        if len(found) == 1:
            full = found.pop()
            e = Entity(full, "person", None, full.lower().split())
            self.entities.append(e)
            return e
        return None

    def _by_role(self, head: str, pos: int = 10**9) -> Entity | None:
        hits = [
            e
            for e in self.entities
            if e.kind == "person" and e.role and head in e.role.lower().split()
        ]
        names = {speaker_key(e.canonical): (e.canonical, e.role) for e in hits}
        for off, h, full, phrase in getattr(self, "roles", []):
            if h == head and off < pos:
                names.setdefault(speaker_key(full), (full, phrase))
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

    def _by_org_description(self, words: list[str], pos: int) -> str | None:
        """The full name of the only organisation named before `pos` whose head noun is this
        description's and which has all its words ("the transport authority")."""
        low = [w.lower() for w in words]
        if not low or any(w[:1].isupper() for w in words):
            return None  # "the Authority" style names stay as written
        names = {
            full
            for off, org_words, full in getattr(self, "orgs", [])
            if off < pos and org_words[-1] == low[-1] and set(low) <= set(org_words)
        }
        return names.pop() if len(names) == 1 else None

    def _has_role(self, head: str, pos: int) -> bool:
        return any(r[1] == head and r[0] < pos for r in getattr(self, "roles", []))

    def _gender(self, e: Entity) -> str | None:
        if e.gender is None and e.tokens:
            votes = getattr(self, "votes", {}).get(e.tokens[-1])
            e.gender = name_gender(e.canonical, e.role, votes) or ""
        return e.gender or None

    def _remember(self, ent: Entity, pos: int) -> Entity:
        ent.last_pos = pos
        if ent.kind == "person" and not ent.plural:
            self.last_person, self.last_person_pos = ent, pos
        elif ent.kind in {"group", "organisation"} or ent.plural:
            self.last_group, self.last_group_pos = ent, pos
        return ent

    def resolve(
        self, m: MentionInfo, pos: int, window: int = 1200
    ) -> tuple[str | None, str, str | None]:
        """(canonical speaker or None, speaker_kind, role) for mention `m` at offset `pos`.

        `window` is how far back (in characters) a pronoun may look for its antecedent:
        about two news paragraphs.
        """
        if m.pronoun:
            w = m.text.lower()
            if w in {"he", "she", "him", "her", "his"}:
                # Nearest person of a compatible gender within the window.
                g = "f" if w in {"she", "her"} else "m"
                near = sorted(
                    (
                        e
                        for e in self.entities
                        if e.kind == "person"
                        and not e.plural
                        and pos - e.last_pos <= window
                        and e.last_pos <= pos
                    ),
                    key=lambda e: -e.last_pos,
                )
                for e in near:
                    eg = self._gender(e)
                    if eg is None or eg == g:
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
            return None, "unknown", None
        if m.name:
            toks = [t.lower() for t in m.name.split()]
            if m.kind == "person" and len(toks) == 1:
                e = self._by_surname(toks[0], pos)
                if e is not None:
                    if m.role and not e.role:
                        e.role = m.role
                    self._remember(e, pos)
                    return e.canonical, e.kind, m.role or e.role
            key = speaker_key(m.name)
            for e in self.entities:
                if speaker_key(e.canonical) == key:
                    if m.role and not e.role:
                        e.role = m.role
                    self._remember(e, pos)
                    return e.canonical, e.kind, m.role or e.role
            e = Entity(m.name, m.kind, m.role, toks, m.plural)
            self.entities.append(e)
            self._remember(e, pos)
            return e.canonical, e.kind, m.role
        # Common-noun phrase.
        if m.kind == "person" and not m.plural:
            e = (
                self._by_role(m.head_lower, pos)
                if m.head_lower in ROLE_NOUNS or self._has_role(m.head_lower, pos)
                else None
            )
            definite = m.text.lower().split()[:1] == ["the"]
            if e is not None and definite:
                self._remember(e, pos)
                return e.canonical, "person", e.role
            # "a source", "one official": described, not named.
            return None, "person", m.role
        # Groups and organisations are named by their description ("Japanese analysts"),
        # or by the full name of the one organisation it refers back to ("the authority").
        words = m.text.split()
        definite = bool(words) and words[0].lower() == "the"
        if words and words[0].lower() in _DETS:
            words = words[1:]
        canon = " ".join(words) if words else m.text
        if definite and m.kind == "organisation" and not m.plural:
            canon = self._by_org_description(words, pos) or canon
        key = speaker_key(canon)
        for e in self.entities:
            if speaker_key(e.canonical) == key:
                self._remember(e, pos)
                return e.canonical, e.kind, e.role
        e = Entity(canon, m.kind, None, [w.lower() for w in words], True)
        self.entities.append(e)
        self._remember(e, pos)
        return canon, m.kind, None


_TITLES_UNDOTTED = frozenset(t.rstrip(".") for t in TITLE_WORDS)


def is_titleish(word: str) -> bool:
    return word.lower().rstrip(".") in _TITLES_UNDOTTED
