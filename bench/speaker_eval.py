"""Canonical speaker names, no-speaker rate and precision by construction on a BRAT split.

    .venv/bin/python bench/speaker_eval.py ../shared/data/polnear/dev [--json] [--limit N]
        [--show KIND] [--n 20]

PolNeAR checks a speaker only as a mention (does the predicted mention overlap the annotated
Source?). A reader sees the canonical name instead ("Hillary Clinton" where the text says
"she"), so this script derives a gold canonical name for every gold attribution whose source
is a named person, and scores the name the engine gives. It runs the engine once, with its
shipped defaults (the same `Attributor().extract_many` the CLI and bot call), and also
prints the content figures of bench/attribution_eval.py from that same run.

Gold canonical names (derived from the annotation and the article; no coreference is
annotated in PolNeAR, so the antecedent rules below are part of the benchmark):
- Person names in the article are spaCy's PERSON entities (en_core_web_sm NER over the whole
  article, less its first line, the headline: "Obama Says ..." is no name), cleaned: a trailing possessive, parenthetical or suffix (Jr., III) and leading
  titles and lower-case words ("Sen.", "President", "former") are dropped. A person is
  identified by (given name, surname), initials ignored; the fullest form of that person is
  the cleaned form with the most words ("Donald J. Trump" over "Donald Trump").
- A surname the NER found only alone gets the one capitalised word the article writes
  before it, if that word is no title or stop word ("Cecile Richards").
- Source that contains a name (a PERSON entity, or a capitalised word that is the surname or
  given name of a person in the article) and ends with it, or with it plus an appositive, a
  parenthetical or a relative clause: that person. A name followed by another word ("the
  Trump campaign", "Clinton's spokesman") is a modifier, not the speaker. With a given name
  and a surname: that person. With a surname alone ("Trump", "Mr. Trump"): the one person in
  the article with that surname (people sharing it are told apart by Mr./Mrs./Ms. if they
  can be; otherwise undetermined); if no full form is in the article, the surname itself.
  With a given name alone ("Hillary"): the one person with that given name.
- Source "who"/"whom"/"whose": the name right before it ("Smith, who said"), if nothing but
  spaces and commas separate them and no preposition precedes the name ("an adviser to
  Smith, who" is undetermined).
- Source "he"/"him"/"his" or "she"/"her": going back through the earlier Source annotations
  of the article (at most 2,000 characters back), same-gender pronouns are the same chain and
  are skipped, and the first source that derives to a person of a compatible gender (from
  Mr./Mrs./Ms. with the surname in the article, else from the first name via
  corpus.attribution.speakers.name_gender, without the engine's pronoun votes) is the
  antecedent. Undetermined if another person of the same or unknown gender is mentioned
  between that source and the pronoun (the reader could not tell either).
- Source that is a definite description headed by a role noun (the engine's lexicon
  ROLE_NOUNS: "the Republican nominee", "the mayor"): the one person whose mentions carry
  its words (less "the") right before the name ("Republican nominee Donald Trump") or at
  the start of an appositive after it ("Trump, the Republican nominee,"); undetermined if
  none or several. Indefinite ones ("a spokesman") introduce someone new: no gold.
- Other sources (organisations, groups, "they", "it", "I", "we") have no person gold.

Metrics (found = a gold attribution matched one-to-one by character Dice >= 0.5, pieces of
one quote grouped as in bench/attribution_eval.py):
- name accuracy: on found attributions with a person gold, the predicted speaker equals the
  gold name, compared on (first word, last word) after case, accents, honorifics, initials and
  suffixes are dropped ("Trump" for "Donald Trump" is wrong; no speaker is wrong);
- no-speaker rate: found attributions whose gold has a Source but whose prediction has no
  speaker, over all found attributions with a gold Source; also over those whose Source the
  text can name (not "I", "we", "you" or a bare quantifier such as "some" or "both": the
  writer, the reader, nobody in particular), and over found direct quotes;
- precision by construction: matched / predicted for each `Attribution.construction`, with
  the name accuracy of its found person-gold attributions;
- precision of predictions without a speaker.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from attribution_eval import (  # noqa: E402
    _chars,
    dice_matches,
    group_chars,
    group_indices,
    load_split,
    score,
)
from evaldata import cache_dir  # noqa: E402
from spacy.lang.en.stop_words import STOP_WORDS  # noqa: E402

from corpus.attribution import Attributor  # noqa: E402
from corpus.attribution.engine import MODEL_NAME  # noqa: E402
from corpus.attribution.lexicon import ROLE_NOUNS  # noqa: E402
from corpus.attribution.speakers import name_gender  # noqa: E402

_MALE = {"he", "him", "his", "himself"}
_FEMALE = {"she", "her", "hers", "herself"}
_RELATIVE = {"who", "whom", "whose"}
_TITLES = set(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "sen",
        "senator",
        "rep",
        "representative",
        "gov",
        "governor",
        "president",
        "vice",
        "pres",
        "gen",
        "general",
        "lt",
        "col",
        "capt",
        "sgt",
        "adm",
        "rev",
        "sir",
        "lord",
        "lady",
        "dame",
        "judge",
        "justice",
        "mayor",
        "chief",
        "secretary",
        "minister",
        "premier",
        "ambassador",
        "commissioner",
        "chairman",
        "chairwoman",
        "speaker",
        "leader",
        "candidate",
        "nominee",
        "former",
        "first",
        "the",
        "attorney",
        "state",
        "sec",
    ]
)
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
_PARTICLES = {"de", "van", "von", "der", "bin", "al", "da", "di", "le", "la", "du", "del"}
_PREPS = {"to", "of", "for", "with", "by", "from", "at", "on", "in", "against", "about"}
_DROP_WORDS = {"the", "a", "an", "his", "her", "their", "its", "this", "that"}
_HONORIFIC_GENDER = {"mr": "m", "mrs": "f", "ms": "f", "miss": "f"}
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")


def fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).lower()


def name_key(name: str | None) -> tuple[str | None, str] | None:
    """(first, last) of a name for comparison: case, accents, honorifics, initials,
    suffixes and possessives dropped; a one-word name is (None, word)."""
    if not name:
        return None
    name = re.sub(r"[’']s\b", "", fold(name))
    words = re.findall(r"[a-z][a-z'-]*\.?", name)
    while words and words[0].rstrip(".") in _TITLES:
        words = words[1:]
    words = [
        w.rstrip(".") for w in words if not (len(w.rstrip(".")) == 1 or w.rstrip(".") in _SUFFIXES)
    ]
    if not words:
        return None
    return (None, words[0]) if len(words) == 1 else (words[0], words[-1])


def clean_name(text: str) -> list[str]:
    """Words of a PERSON entity, possessive, parenthetical, suffix and leading titles or
    lower-case words dropped ("Sen. Bernie Sanders's" -> ["Bernie", "Sanders"])."""
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"[’']s?\s*$", "", text.strip())
    words = [w.strip(',;:"“”') for w in text.split()]
    words = [w for w in words if w]
    while words and (
        words[0].lower().rstrip(".") in _TITLES or not words[0][:1].isupper() or words[0] == "-"
    ):
        words = words[1:]
    while words and words[-1].lower().rstrip(".,") in _SUFFIXES:
        words = words[:-1]
    if not words or not all(w[:1].isupper() or w.lower() in _PARTICLES for w in words):
        return []
    return words


@dataclass
class Mention:
    start: int
    end: int
    words: list[str]


class Article:
    """The people of one article: PERSON mentions, identities and their fullest names."""

    def __init__(self, text: str, ents: list[tuple[int, int]]) -> None:
        self.text = text
        self.mentions: list[Mention] = []
        self.full: dict[tuple[str, str], list[str]] = {}  # (first, last) -> fullest words
        self.firsts: dict[str, set[str]] = {}  # surname -> given names seen with it
        self.lasts: set[str] = set()
        title_end = text.find("\n")  # the first line is the headline ("Obama Says ...")
        for s, e in ents:
            if s < title_end:
                continue
            words = clean_name(text[s:e])
            if not words:
                continue
            self.mentions.append(Mention(s, e, words))
            key = name_key(" ".join(words))
            if key is None:
                continue
            self.lasts.add(key[1])
            if key[0] is not None:
                self.firsts.setdefault(key[1], set()).add(key[0])
            best = self.full.get(key)
            if best is None or len(words) > len(best):
                self.full[key] = words
        self._complete_names(text, title_end)
        self.by_first: dict[str, set[tuple[str, str]]] = {}
        for first, last in self.full:
            if first is not None:
                self.by_first.setdefault(first, set()).add((first, last))
        # Surname mentions the NER missed ("Although Trump said") still mark a person.
        for m in re.finditer(r"\b[A-Z][\w'’-]+", text):
            w = fold(re.sub(r"[’']s$", "", m.group()))
            if w in self.lasts and not any(x.start <= m.start() < x.end for x in self.mentions):
                self.mentions.append(Mention(m.start(), m.end(), [m.group()]))
        self.mentions.sort(key=lambda x: x.start)
        self._gender: dict[tuple[str | None, str], str | None] = {}

    def _complete_names(self, text: str, title_end: int) -> None:
        """A surname the NER only found alone gets the given name the article writes
        before it, if there is one such capitalised word (not a title or a stop word):
        "Cecile Richards" where NER tagged only "Richards"."""
        for last in [k[1] for k in self.full if k[0] is None]:
            if self.firsts.get(last):
                continue
            given = set()
            for m in re.finditer(r"\b([A-Z][a-z]+)\s+([A-Z][\w'’-]+)", text[title_end + 1 :]):
                if fold(re.sub(r"[’']s$", "", m.group(2))) != last:
                    continue
                first = m.group(1)
                if first.lower() not in _TITLES and first.lower() not in STOP_WORDS:
                    given.add(first)
            if len(given) == 1:
                first = given.pop()
                key = (fold(first), last)
                self.firsts.setdefault(last, set()).add(key[0])
                self.full[key] = [first, *self.full.pop((None, last))]

    def identity(self, words: list[str], hint: str | None = None) -> tuple[str | None, str] | None:
        """(first, last) of the person a name mention refers to, or None if ambiguous."""
        key = name_key(" ".join(words))
        if key is None:
            return None
        if key[0] is not None:
            return key
        w = key[1]
        if not self.firsts.get(w) and len(self.by_first.get(w, ())) == 1:
            return next(iter(self.by_first[w]))  # "Hillary" for the one Hillary Clinton
        if w in self.lasts:
            firsts = sorted(self.firsts.get(w, ()))
            if hint and len(firsts) > 1:
                firsts = [f for f in firsts if self.gender((f, w)) == hint]
            if len(firsts) == 1:
                return (firsts[0], w)
            return (None, w) if not firsts and not self.firsts.get(w) else None
        people = self.by_first.get(w, set())
        return next(iter(people)) if len(people) == 1 else None

    def canonical(self, ident: tuple[str | None, str]) -> str:
        if ident in self.full:
            return " ".join(self.full[ident])
        return " ".join(w.capitalize() for w in ident if w)

    def gender(self, ident: tuple[str | None, str]) -> str | None:
        if ident not in self._gender:
            found = set()
            for m in re.finditer(
                r"\b(Mr|Mrs|Ms|Miss)\.?\s+(?:[A-Z][\w'’-]+\s+)?([A-Z][\w'’-]+)", self.text
            ):
                if fold(m.group(2)) == ident[1]:
                    found.add(_HONORIFIC_GENDER[m.group(1).lower()])
            g = found.pop() if len(found) == 1 else None
            if g is None and not found and ident[0] is not None:
                g = name_gender(self.canonical(ident))
            self._gender[ident] = g
        return self._gender[ident]

    def mention_identity(self, m: Mention) -> tuple[str | None, str] | None:
        return self.identity(m.words)


@dataclass
class PersonGold:
    name: str | None  # None: a person source whose referent cannot be determined
    how: str  # name | surname | given | relative | pronoun | role
    ident: tuple[str | None, str] | None = None


def _is_head(art: Article, s: int, e: int, ms: int, me: int) -> bool:
    """The name at [ms, me) heads source [s, e): nothing but an appositive, a parenthetical
    or a relative clause after it, no preposition before it ("a spokeswoman for Clinton")."""
    tail = art.text[me:e]
    if not re.match(r"^(?:[’']s?)?\s*(?:$|[,(—–-]|who\b|whom\b|whose\b)", tail):
        return False  # "Clinton's spokesman", "the Trump campaign": a modifier
    if re.match(r"^[’']s\s*\S", tail):
        return False
    before = re.findall(r"[\w'-]+", art.text[s:ms])
    return not any(w.lower() in _PREPS for w in before)


def _source_names(art: Article, s: int, e: int) -> list[Mention]:
    """The name mention heading a source span (see module docstring), or none."""
    head = re.split(r",|\(|\s(?:who|whom|whose)\b", art.text[s:e], maxsplit=1)[0]
    if re.search(r"\s(?:and|or|&)\s", head) or head[:1].isdigit():
        return []  # "Merkley, Brown and Menendez", "31 Latinos": a group
    for m in art.mentions:
        if s <= m.start and m.end <= e and _is_head(art, s, e, m.start, m.end):
            return [m]
    # A capitalised word of the source that is a known surname or given name.
    for w in _WORD.finditer(art.text, s, e):
        word = fold(re.sub(r"[’']s$", "", w.group()))
        if not w.group()[:1].isupper() or not (word in art.lasts or word in art.by_first):
            continue
        if _is_head(art, s, e, w.start(), w.end()):
            return [Mention(w.start(), w.end(), [w.group()])]
    return []


def _title_hint(art: Article, s: int) -> str | None:
    m = re.search(r"\b(Mr|Mrs|Ms|Miss)\.?\s*$", art.text[max(0, s - 6) : s])
    return _HONORIFIC_GENDER[m.group(1).lower()] if m else None


def _by_role(art: Article, words: list[str]) -> tuple[str | None, str] | None:
    """The one person whose mentions carry description `words` (less determiners and
    possessives) right before the name or at the start of an appositive after it."""
    need = [fold(w) for w in words if fold(w) not in _DROP_WORDS]
    if not need:
        return None
    found = set()
    for m in art.mentions:
        before = [fold(w) for w in re.findall(r"[\w'-]+", art.text[max(0, m.start - 80) : m.start])]
        app = re.match(r",\s+(?:the|a|an)\s+([^,.;]{2,80})[,.;]", art.text[m.end : m.end + 90])
        after = [fold(w) for w in re.findall(r"[\w'-]+", app.group(1))] if app else []
        if before[-len(need) :] == need or after[: len(need)] == need:
            ident = art.mention_identity(m)
            if ident is not None:
                found.add(ident)
    return found.pop() if len(found) == 1 else None


def _is_person_role(words: list[str]) -> bool:
    """A definite description headed by a role noun ("the candidate", "the former
    secretary of state"); indefinite ones ("a spokesman") introduce someone new."""
    head = re.split(r"\s(?:of|for|at|to|in)\s", " ".join(words).lower(), maxsplit=1)[0].split()
    return bool(words) and words[0].lower() == "the" and head[-1] in ROLE_NOUNS


def derive(art: Article, golds) -> list[PersonGold | None]:
    """Person gold for each gold attribution (see module docstring)."""
    out: list[PersonGold | None] = [None] * len(golds)
    order = sorted(
        (i for i, g in enumerate(golds) if g.source), key=lambda i: golds[i].source[0][0]
    )
    for i in order:
        g = golds[i]
        s, e = g.source[0][0], g.source[-1][1]
        src = " ".join(art.text[a:b] for a, b in g.source).strip()
        low = src.lower()
        if low in _MALE or low in _FEMALE:
            out[i] = _pronoun(art, golds, out, order, i, "m" if low in _MALE else "f")
        elif low in _RELATIVE:
            out[i] = _relative(art, s)
        else:
            names = _source_names(art, s, e)
            if names:
                m = names[0]
                ident = art.identity(m.words, _title_hint(art, m.start))
                how = "name" if len(clean_name(" ".join(m.words))) >= 2 else "surname"
                if (
                    how == "surname"
                    and ident is not None
                    and ident[1] != name_key(" ".join(m.words))[1]
                ):
                    how = "given"
                out[i] = PersonGold(art.canonical(ident) if ident else None, how, ident)
            elif _is_person_role(src.split()):
                ident = _by_role(art, src.split())
                if ident is not None:
                    out[i] = PersonGold(art.canonical(ident), "role", ident)
    return out


def _relative(art: Article, s: int) -> PersonGold:
    for m in reversed(art.mentions):
        if m.end > s:
            continue
        gap = art.text[m.end : s]
        if not re.fullmatch(r"[\s,]*", gap):
            break
        before = re.findall(r"[\w'-]+", art.text[max(0, m.start - 20) : m.start])
        if before and before[-1].lower() in _PREPS:
            break
        ident = art.mention_identity(m)
        if ident is not None:
            return PersonGold(art.canonical(ident), "relative", ident)
        break
    return PersonGold(None, "relative")


def _pronoun(art: Article, golds, out, order, i: int, g: str) -> PersonGold:
    pos = golds[i].source[0][0]
    same = _MALE if g == "m" else _FEMALE
    for j in reversed(order[: order.index(i)]):
        gj = golds[j]
        start = gj.source[0][0]
        if pos - start > 2000:
            break
        src = " ".join(art.text[a:b] for a, b in gj.source).strip().lower()
        if src in same:
            continue
        pg = out[j]
        if pg is None or pg.ident is None or pg.how == "pronoun":
            continue
        if art.gender(pg.ident) not in (g, None):
            continue
        # Another person of this gender (or of unknown gender) mentioned in between.
        end = gj.source[-1][1]
        for m in art.mentions:
            if end <= m.start < pos:
                other = art.mention_identity(m)
                if other is None or (other[1] != pg.ident[1] and art.gender(other) in (g, None)):
                    return PersonGold(None, "pronoun")
        return PersonGold(pg.name, "pronoun", pg.ident)
    return PersonGold(None, "pronoun")


# Third-person pronouns and relatives have antecedents: they stay nameable.
_REFERRING = {"he", "him", "his", "she", "her", "hers", "it", "its", "they", "them", "their"}
_UNNAMEABLE = {"i", "me", "my", "we", "us", "our", "you", "your"} | set(STOP_WORDS) - _REFERRING - {
    "who",
    "whom",
    "whose",
    "which",
    "that",
    "this",
}


def nameable(source: str) -> bool:
    """A gold source the text itself can name: not the writer or the reader ("I", "we",
    "you") and not a bare quantifier ("some", "many", "both")."""
    words = [w.lower().strip(",.") for w in source.split()]
    return bool(words) and not all(w in _UNNAMEABLE for w in words)


def person_ents(texts: list[str]) -> list[list[tuple[int, int]]]:
    """PERSON entity spans of each text, cached on disk (bench/evaldata.cache_dir) by the
    texts' hash: NER over PolNeAR train takes about a minute."""
    h = hashlib.sha256(MODEL_NAME.encode())
    for t in texts:
        h.update(hashlib.sha256(t.encode("utf-8")).digest())
    path = cache_dir() / f"person-ents-{h.hexdigest()[:24]}.json"
    if path.exists():
        return [[tuple(x) for x in doc] for doc in json.loads(path.read_text())]
    found = _run_ner(texts)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(found))
    tmp.replace(path)
    return found


def _run_ner(texts: list[str]) -> list[list[tuple[int, int]]]:
    import spacy

    nlp = spacy.load(
        MODEL_NAME,
        exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"],
    )
    return [
        [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "PERSON"]
        for doc in nlp.pipe(texts, batch_size=16)
    ]


def evaluate(docs, preds, ents, show: str = "") -> tuple[dict, list[str]]:
    name = Counter()
    by_how: dict[str, Counter] = {}
    cons: dict[str, Counter] = {}
    nospk = Counter()
    undetermined = Counter()
    examples: list[str] = []
    for (doc_name, text, golds), ps, doc_ents in zip(docs, preds, ents, strict=True):
        art = Article(text, doc_ents)
        pg = derive(art, golds)
        groups = group_indices(ps)
        matched = dice_matches([_chars(g.content) for g in golds], group_chars(ps, groups))
        hit_groups = {pi: gi for gi, pi in matched.items()}
        for pi, grp in enumerate(groups):
            p = ps[grp[0]]
            c = cons.setdefault(getattr(p, "construction", "") or "-", Counter())
            c["n"] += 1
            c["hit"] += pi in hit_groups
            nospk["pred_none"] += p.speaker is None
            nospk["pred_none_hit"] += p.speaker is None and pi in hit_groups
            if pi not in hit_groups and show == "fp":
                examples.append(f"{doc_name} [{p.construction}] {p.speaker!r}: {p.quote[:120]!r}")
        for gi, pi in matched.items():
            g, p = golds[gi], ps[groups[pi][0]]
            if g.source:
                nospk["found_src"] += 1
                nospk["none"] += p.speaker is None
                if g.kind == "direct":
                    nospk["found_direct"] += 1
                    nospk["none_direct"] += p.speaker is None
                if nameable(" ".join(text[a:b] for a, b in g.source)):
                    nospk["found_nameable"] += 1
                    nospk["none_nameable"] += p.speaker is None
                if p.speaker is None and show == "nospeaker":
                    src = " ".join(text[a:b] for a, b in g.source)
                    examples.append(
                        f"{doc_name} src={src!r} mention={p.mention!r} [{p.construction}] "
                        f"{p.quote[:100]!r}"
                    )
            gold = pg[gi]
            if gold is None:
                continue
            if gold.name is None:
                undetermined[gold.how] += 1
                continue
            ok = name_key(p.speaker) == name_key(gold.name)
            name["n"] += 1
            name["ok"] += ok
            h = by_how.setdefault(gold.how, Counter())
            h["n"] += 1
            h["ok"] += ok
            c = cons.setdefault(getattr(p, "construction", "") or "-", Counter())
            c["name_n"] += 1
            c["name_ok"] += ok
            if not ok and show in {"names", gold.how}:
                src = " ".join(text[a:b] for a, b in g.source)
                examples.append(
                    f"{doc_name} [{gold.how}] gold={gold.name!r} pred={p.speaker!r} "
                    f"mention={p.mention!r} src={src!r} [{p.construction}] {p.quote[:80]!r}"
                )

    def rate(a, b):
        return a / b if b else 0.0

    res = {
        "name_accuracy": rate(name["ok"], name["n"]),
        "name_n": name["n"],
        "name_by_gold": {
            k: {"n": v["n"], "accuracy": rate(v["ok"], v["n"])} for k, v in sorted(by_how.items())
        },
        "undetermined_person_gold_found": dict(sorted(undetermined.items())),
        "no_speaker_rate": rate(nospk["none"], nospk["found_src"]),
        "no_speaker_n": nospk["found_src"],
        "no_speaker_rate_nameable": rate(nospk["none_nameable"], nospk["found_nameable"]),
        "no_speaker_nameable_n": nospk["found_nameable"],
        "no_speaker_rate_direct": rate(nospk["none_direct"], nospk["found_direct"]),
        "no_speaker_direct_n": nospk["found_direct"],
        "unknown_speaker_predictions": nospk["pred_none"],
        "unknown_speaker_precision": rate(nospk["pred_none_hit"], nospk["pred_none"]),
        "by_construction": {
            k: {
                "n": v["n"],
                "precision": rate(v["hit"], v["n"]),
                "name_n": v["name_n"],
                "name_accuracy": rate(v["name_ok"], v["name_n"]),
            }
            for k, v in sorted(cons.items(), key=lambda kv: -kv[1]["n"])
        },
    }
    return res, examples


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("split", type=Path, help="split folder with text/ and attributions/")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--limit", type=int, default=0, help="score only the first N articles")
    ap.add_argument(
        "--show",
        default="",
        help="print wrong names (names, or one gold kind: pronoun, surname, ...), "
        "nospeaker or fp examples",
    )
    ap.add_argument("--n", type=int, default=25)
    args = ap.parse_args(argv)
    docs = load_split(args.split, args.limit)
    if not docs:
        print(f"no annotated articles under {args.split}", file=sys.stderr)
        return 2
    preds = Attributor().extract_many(text for _, text, _ in docs)
    ents = person_ents([text for _, text, _ in docs])
    res = score(docs, preds)
    spk, examples = evaluate(docs, preds, ents, args.show)
    res.update(spk)
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    d = res["dice"]
    print(
        f"{args.split}: {res['documents']} articles, {res['gold']} gold, {res['predicted']} predicted"
    )
    print(f"content (Dice >= 0.5): P {d['precision']:.3f}  R {d['recall']:.3f}  F1 {d['f1']:.3f}")
    print(f"speaker-mention accuracy {res['speaker_accuracy']:.3f} (n={res['speaker_n']})")
    print(f"canonical name accuracy on found {res['name_accuracy']:.3f} (n={res['name_n']})")
    for k, v in res["name_by_gold"].items():
        print(f"    gold from {k:<9}{v['accuracy']:7.3f}  n={v['n']}")
    und = res["undetermined_person_gold_found"]
    print(
        "    found person sources without a determinable gold name (not scored): "
        + ", ".join(f"{k} {v}" for k, v in und.items())
    )
    print(
        f"no speaker on found attributions with a source {res['no_speaker_rate']:.1%} "
        f"(n={res['no_speaker_n']}); with a source the text can name "
        f"{res['no_speaker_rate_nameable']:.1%} (n={res['no_speaker_nameable_n']}); "
        f"on found direct quotes {res['no_speaker_rate_direct']:.1%} "
        f"(n={res['no_speaker_direct_n']})"
    )
    print(
        f"predictions without a speaker: {res['unknown_speaker_predictions']}, precision "
        f"{res['unknown_speaker_precision']:.3f}"
    )
    print(f"{'construction':<16}{'n':>6}{'P':>8}{'name n':>8}{'name acc':>10}")
    for k, v in res["by_construction"].items():
        print(f"{k:<16}{v['n']:6d}{v['precision']:8.3f}{v['name_n']:8d}{v['name_accuracy']:10.3f}")
    if args.show:
        print(f"\n== {args.show} ({len(examples)})")
        for s in examples[: args.n]:
            print("  " + s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
