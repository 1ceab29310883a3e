"""Dependency-parse rules: find cue, source and content inside one parsed sentence.

Each rule reads a construction news writers use for attribution:
  X said (that) C / C, X said / said X, C      -> cue verb with a ccomp (or parataxis host)
  X wants to C                                 -> cognition/intent verb with an xcomp
  X expressed concerns over C                  -> speech verb with a long direct object
  according to X, C / C, according to X        -> "according" phrase and its host clause
  in X's view, C                               -> "view" phrase and its host clause
  it was reported by X that C / X was quoted as saying C -> agent / head-chain subjects
Spans are returned relative to the sentence text; the engine adds the sentence offset.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from .lexicon import (
    COGNITION_FORMS,
    CUE_FORMS,
    GROUP_NOUNS,
    NAMING_LEMMAS,
    NOUN_CUES,
    NOUN_PREPS,
    OBJECT_LEMMAS,
    PREP_CONTENT,
    ROLE_NOUNS,
    SEEM_FORMS,
    SPEECH_FORMS,
    VIEW_NOUNS,
    WEAK_CUES,
    XCOMP_FORMS,
)
from .speakers import MentionInfo, classify_noun_phrase, is_titleish, split_name

PRONOUNS = {"he", "she", "they", "i", "we", "you", "it", "him", "them", "us", "me"}
EXPLETIVES = {"it", "there", "this", "that", "which", "what"}
_NOT_CONTENT = PRONOUNS | EXPLETIVES  # an object that is one of these is no content

# Speech verbs whose direct object is the addressee, not the content.
_ADDRESSEE_OBJ = {
    "tell",
    "ask",
    "call",
    "inform",
    "advise",
    "notify",
    "urge",
    "warn",
    "assure",
    "reassure",
    "accuse",
    "praise",
    "criticize",
    "criticise",
    "blame",
    "thank",
    "remind",
    "show",
    "find",
    "answer",
}
_DOBJ_CONTENT = {
    "say",
    "express",
    "voice",
    "raise",
    "reiterate",
    "repeat",
    "acknowledge",
    "deny",
    "announce",
    "predict",
    "admit",
    "confirm",
    "concede",
    "propose",
    "suggest",
    "recommend",
    "demand",
    "promise",
    "pledge",
    "vow",
    "describe",
    "mention",
    "reveal",
    "disclose",
    "estimate",
    "stress",
    "emphasize",
    "emphasise",
    "underline",
    "underscore",
    "highlight",
    "tout",
    "question",
}
_PUNCT_STRIP = " \t\n,;:—–-"


@dataclass(slots=True)
class RawAttribution:
    content: tuple[int, int]  # sentence-relative char span (not yet trimmed)
    cue: tuple[int, int]
    cue_text: str
    source: MentionInfo | None
    lemma: str
    bare: bool = False  # a cue with a source but no content in its sentence ("he said.")
    rule: str = "fast"  # which construction found it; keys the learned gate (gate.py)


def _text(doc: Doc) -> str:
    """doc.text joins every token on each call; the rules read it often, so keep it."""
    t = doc.user_data.get("_text")
    if t is None:
        t = doc.user_data["_text"] = doc.text
    return t


def _span_chars(tokens: list[Token]) -> tuple[int, int]:
    return tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)


def _pronoun_mention(head: Token) -> MentionInfo:
    low = head.lower_
    return MentionInfo(
        (head.idx, head.idx + len(head.text)),
        head.text,
        "person" if low in {"he", "she", "him", "his"} else "unknown",
        pronoun=True,
        plural=low in {"they", "them", "we", "us", "their"},
        head_lower=low,
    )


def _core_bounds(head: Token) -> tuple[int, int, Token | None]:
    """(first, last token index, first appositive) of the core noun phrase headed by `head`:
    the left part of the subtree plus right-hand "of/at/for" modifiers of common nouns, but
    not appositives, relative clauses or participial modifiers (those carry the role)."""
    doc = head.doc
    left = head.left_edge.i
    right = head.i
    appos: Token | None = None
    for c in head.rights:
        if c.dep_ == "appos" and appos is None:
            appos = c
            break
        if (
            c.dep_ in {"prep", "compound", "nummod", "amod", "poss", "case"}
            and head.tag_ not in {"NNP", "NNPS"}
            # "Trump, in Kentucky, said": an adjunct after a comma is no part of the phrase
            and not any(t.is_punct for t in doc[head.i + 1 : c.i])
        ):
            right = max(right, c.right_edge.i)
        elif c.dep_ == "punct":
            continue
        elif (
            c.dep_ in {"relcl", "acl"}
            and head.lower_ in _QUANTIFIERS
            and c.left_edge.i == head.i + 1
        ):
            right = max(right, c.right_edge.i)  # "those surveyed", "those who back her"
        elif c.dep_ in {"relcl", "acl", "cc", "conj"}:
            break
    while left < head.i and doc[left].is_punct:
        left += 1
    return left, right, appos


def _proper_mention(
    head: Token, left: int, core: list[Token], span: tuple[int, int]
) -> MentionInfo:
    """A phrase headed by a proper noun: a person's name (titles and descriptors split off
    into the role, speakers.split_name) or an organisation's whole name."""
    doc = head.doc
    phrase_start = doc[left].idx
    phrase = _text(doc)[phrase_start : head.idx + len(head.text)]
    split = split_name(phrase)
    # Classified by the name itself: "Fox Business moderator Gerard Baker" is a person.
    named = phrase[split.start : split.end].split() if split else [t.text for t in core]
    kind = classify_noun_phrase(named, head.text, head.tag_, True)
    # "The New York Post", "the Justice Department": the whole phrase is the name.
    the_name = doc[left].lower_ == "the" and all(
        t.text[:1].isupper() or t.is_punct for t in doc[left + 1 : head.i + 1]
    )
    # ... unless a title stands before the last two words: "The Kestrel Port Authority
    # Director Ingrid Solberg" is Ingrid Solberg, the rest her role.
    if the_name and split is not None and split.role:
        the_name = not any(
            is_titleish(w) or w.lower() in ROLE_NOUNS for w in split.role.split()[-2:]
        )
    if split is None or kind != "person" or the_name:
        name = _text(doc)[span[0] : span[1]]
        if name.lower().startswith("the "):
            name = name[4:]
        kind = "organisation" if kind == "person" else kind
        return MentionInfo(span, _text(doc)[span[0] : span[1]], kind, name=name)
    span = (phrase_start + split.start, phrase_start + split.end)
    name = _text(doc)[span[0] : span[1]]
    return MentionInfo(span, name, kind, name=name, role=split.role, gender=split.gender)


def _appositive_role(head: Token, appos: Token) -> str | None:
    """The appositive's words as the role ("Tomas Berg, a spokesman for the union")."""
    doc = head.doc
    # The tagger sometimes splits one appositive into several ("an ex - professor").
    last = max((c for c in head.rights if c.dep_ == "appos"), key=lambda c: c.i)
    a_toks = list(doc[appos.left_edge.i : last.right_edge.i + 1])
    if a_toks and "(" in (a_toks[0].text, doc[max(a_toks[0].i - 1, 0)].text):
        return None  # "Claire McCaskill (D-Mo.)": a party and state, not a role
    while a_toks and (a_toks[-1].is_punct):
        a_toks.pop()
    while a_toks and a_toks[0].lower_ in {"the", "a", "an"}:
        a_toks.pop(0)
    if not a_toks:
        return None
    s, e = _span_chars(a_toks)
    return _text(doc)[s:e]


def _drop_the(role: str) -> str:
    """A role as shown: "The Podesta Group's CEO" -> "Podesta Group's CEO"."""
    return role.removeprefix("The ").removeprefix("the ")


def _name_at_end(head: Token, left: int) -> MentionInfo | None:
    """A subject such as "Sirius XM Vice President for news and talk Dave Gorab" or "The
    Council on American-Islamic Relations National Executive Director Nihad Awad": the
    parser heads it on the title or the organisation and hangs the person's name off a
    preposition or a conjunction. A name of two or more capitalised words closing the
    whole unpunctuated phrase, right before the verb, is the speaker; the rest the role."""
    doc = head.doc
    last = head.right_edge
    if (
        last.i < head.i + 2
        or last.i + 1 >= len(doc)
        or last.i + 1 != head.head.i
        or not all(t.tag_ == "NNP" for t in doc[last.i - 1 : last.i + 1])
        or any(t.is_punct and t.text != "-" for t in doc[left : last.i + 1])
    ):
        return None
    text = _text(doc)
    start = doc[left].idx
    phrase = text[start : last.idx + len(last.text)]
    split = split_name(phrase)
    if split is None or split.end != len(phrase) or not split.role:
        return None
    role = split.role.split()
    if role[-1].lower() in {"and", "or", "&"} or not any(
        is_titleish(w) or w.lower() in ROLE_NOUNS for w in role
    ):
        return None  # "Tomas Berg and Peter Lund said": two people, not a role and a name
    named = phrase[split.start : split.end].split()
    if len(named) < 2 or classify_noun_phrase(named, last.text, "NNP", True) != "person":
        return None
    span = (start + split.start, start + split.end)
    return MentionInfo(
        span,
        text[span[0] : span[1]],
        "person",
        name=text[span[0] : span[1]],
        role=_drop_the(split.role),
        gender=split.gender,
    )


def mention_for(head: Token) -> MentionInfo:
    """Describe the subject phrase headed by `head`: name vs role vs description."""
    low = head.lower_
    if low in PRONOUNS or low in {"his", "their"}:
        return _pronoun_mention(head)
    if low in _VOICED:
        owner = next((c for c in head.children if c.dep_ == "poss"), None)
        if owner is not None and (
            owner.tag_ in {"NNP", "NNPS"} or owner.lower_ in PRONOUNS | {"his", "their"}
        ):
            return mention_for(owner)  # "Sanders's argument", "his remarks": Sanders, he
    doc = head.doc
    left, right, appos = _core_bounds(head)
    core = list(doc[left : right + 1])
    span = _span_chars(core)
    if appos is not None and appos.tag_ == "NNP" and is_titleish(head.text):
        # "The Podesta Group's CEO, Kimberley Fritts,": the appositive is the name.
        inner = mention_for(appos)
        inner.role = _drop_the(_text(doc)[doc[left].idx : span[1]])
        return inner
    if _is_proper(head) and (named := _name_at_end(head, left)) is not None:
        return named
    if not _is_proper(head) and (named := _identified_as(head)) is not None:
        return named
    if _is_proper(head):
        m = _proper_mention(head, left, core, span)
    elif appos is not None and appos.tag_ == "NNP" and _person_appositive(appos):
        # "The minister, Ines Morales, said", "an Israeli blogger, Tal Schneider": the
        # appositive is the name, the head the role.
        inner = mention_for(appos)
        core_toks = [t for t in core if t.lower_ not in {"the", "a", "an"}]
        inner.role = _text(doc)[core_toks[0].idx : span[1]] if core_toks else head.lower_
        return inner
    else:
        kind = classify_noun_phrase([t.text for t in core], head.text, head.tag_, False)
        role = head.lower_ if head.lower_ in ROLE_NOUNS else None
        m = MentionInfo(span, _text(doc)[span[0] : span[1]], kind, role=role)
    if appos is not None:
        m.role = _appositive_role(head, appos) or m.role
    m.plural = head.tag_ in {"NNS", "NNPS"} or head.lower_ in GROUP_NOUNS
    m.head_lower = head.lower_
    return m


_IDENTIFYING = {"identified", "named"}


def _identified_as(head: Token) -> MentionInfo | None:
    """ "A woman later identified as Eva Resnick-Day, an activist, demanded": the person the
    description is identified as (the parser hangs the name off "identified", which may
    even become the sentence's verb)."""
    verbs = [c for c in head.children if c.dep_ == "acl"]
    if head.dep_ == "nsubj":
        verbs.append(head.head)
    for v in verbs:
        if v.lower_ not in _IDENTIFYING or v.tag_ != "VBN":
            continue
        prep = next((c for c in v.children if c.dep_ == "prep" and c.lower_ == "as"), None)
        obj = next((c for c in prep.children if c.dep_ == "pobj"), None) if prep else None
        if obj is not None and obj.tag_ == "NNP":
            inner = mention_for(obj)
            if inner.kind == "person" and inner.name and len(inner.name.split()) >= 2:
                return inner
    return None


def _person_appositive(appos: Token) -> bool:
    """An appositive that names a person: a name of two words or more, not an
    organisation's."""
    inner = mention_for(appos)
    return inner.kind == "person" and inner.name is not None and len(inner.name.split()) >= 2


def _is_proper(head: Token) -> bool:
    """A proper-noun head: tagged so, the lower-case end of a hyphenated name ("Moon
    Jae-in" ends in the token "in"), or a capitalised singular noun inside the sentence
    (the tagger takes "Trump" for the noun now and then)."""
    if head.tag_ in {"NNP", "NNPS"}:
        return head.text[:1].isupper()
    doc = head.doc
    if head.i >= 2 and doc[head.i - 1].text == "-":
        hyph, before = doc[head.i - 1], doc[head.i - 2]
        return (
            before.text[:1].isupper()
            and hyph.idx == before.idx + len(before.text)
            and head.idx == hyph.idx + 1
        )
    return (
        head.tag_ == "NN"
        and head.text[:1].isupper()
        and head.text[1:].islower()
        and head.i > 0
        and not doc[head.i - 1].is_punct
    )


def _quoted_after(verb: Token, subj: Token) -> bool:
    """A "subject" after the verb that opens with a quote mark is a quoted title ('said on Fox
    News’s “Fox and Friends.”'), not the speaker."""
    edge = subj.left_edge.i
    return subj.i > verb.i and edge > 0 and subj.doc[edge - 1].text in {"“", '"', "``"}


def _own_subject(cur: Token) -> tuple[bool, Token | None]:
    """(whether `cur`'s own dependents decide its speaker, the speaker): a passive's agent,
    else its subject, where a relative pronoun stands for its antecedent and an expletive
    for nobody (but a referring "it")."""
    # Several subjects happen when a preceding quote is mis-parsed as one ("“Good
    # reporter,” Trump said"): the one nearest the verb is the speaker. Subjects before the
    # verb come first ("analysts said concerns over X" puts the content in a second nsubj).
    subjs = [
        c for c in cur.children if c.dep_ in {"nsubj", "nsubjpass"} and not _quoted_after(cur, c)
    ]
    subj = min(subjs, key=lambda c: (c.i > cur.i, abs(c.i - cur.i))) if subjs else None
    agent = next((c for c in cur.children if c.dep_ == "agent"), None)
    # "X was described by officials as Y": the passive's agent is the speaker
    if agent is not None and (
        subj is None or subj.lower_ in EXPLETIVES or subj.dep_ == "nsubjpass"
    ):
        pobj = next((c for c in agent.children if c.dep_ == "pobj"), None)
        if pobj is not None:
            return True, pobj
    if subj is None:
        return False, None
    if subj.tag_ in {"WP", "WDT"}:  # "Smith, who said ..." -> Smith
        if cur.dep_ != "relcl":
            return True, None
        noun = cur.head
        giver = _issued(noun) if noun.lower_ in _SPOKEN else None
        # "Trump gave a speech that attacked X": the speech is Trump's words
        return True, (_subject(giver) if giver is not None else noun)
    if subj.lower_ in EXPLETIVES:
        # "It said on Friday that ...", "“...,” it added": the active subject of a speech or
        # thought verb is a referring "it" (a company, a report), not the dummy of "it
        # seems" / "it is said".
        referring = (
            subj.lower_ == "it"
            and subj.dep_ == "nsubj"
            and (cur.lower_ in SPEECH_FORMS or cur.lower_ in COGNITION_FORMS)
        )
        return True, (subj if referring else None)
    return True, subj


_FINITE_TAGS = {"VBD", "VBZ", "VBP"}


def _subject(v: Token) -> Token | None:
    """Who is speaking for cue verb `v`: its subject, the agent of a passive, or the subject
    of the verb it hangs off (participles, conjuncts, "quoted as saying")."""
    cur = v
    for _ in range(5):
        decided, who = _own_subject(cur)
        if decided:
            return who
        if cur is v and v.tag_ == "VBG" and v.i > 0:
            # "footage of Hillary Clinton asking, “…”", "the ad shows Trump saying": the
            # name the participle follows is who speaks, not the clause's subject
            prev = v.doc[v.i - 1]
            if prev.tag_ == "NNP" and prev.dep_ in {"pobj", "dobj"}:
                return prev
        if cur.tag_ in _FINITE_TAGS:
            # '“Cruz,” Beck joked': the parser can make the name a compound of the verb
            named = next((c for c in cur.lefts if c.dep_ == "compound" and c.tag_ == "NNP"), None)
            if named is not None:
                return named
        if cur.dep_ == "relcl":
            return cur.head
        if (
            cur.dep_ == "conj"
            and cur.head.dep_ == "ccomp"
            and cur.head.head.i < cur.head.i
            and getattr(_conjoined_cue(cur.head), "i", -1) == cur.i
            and _is_cue_verb(cur.head.head)
        ):
            cur = cur.head.head  # "He says he respects X and calls her Y": He calls
            continue
        if cur.dep_ in {"xcomp", "advcl", "conj", "pcomp"}:
            cur = cur.head
            if cur.dep_ == "prep":
                cur = cur.head
            continue
        if cur.dep_ == "prep":
            cur = cur.head
            continue
        if cur.dep_ == "acomp":
            cur = cur.head  # "voters were likely to say": the subject of "were"
            continue
        if cur.dep_ == "acl" and cur.tag_ == "VBG" and cur.head.tag_.startswith("NN"):
            noun = cur.head
            giver = _issued(noun) if noun.lower_ in _DOCUMENTS else None
            if giver is not None:
                cur = giver  # "X issued a statement saying": X
                continue
            return noun  # "super PACs backing X", "those describing themselves"
        break
    finite = cur.tag_ in _FINITE_TAGS or any(c.dep_ in {"aux", "auxpass"} for c in cur.children)
    return _subject_before(cur) if finite else None


def _subject_before(v: Token) -> Token | None:
    """A finite verb the parser left without a subject ("Alarmed by X, Senator Reid, the
    minority leader, said" hangs "Reid" off "X"): the name or pronoun right before it, past
    one parenthetical between commas ("the minority leader", "44", "exasperated"), or that
    parenthetical when it is the name of the role before it ("In a statement to the paper,
    her adviser, Jake Sullivan, said")."""
    doc = v.doc
    i = v.i - 1
    while i >= 0 and (doc[i].tag_ in {"RB", "MD"} or doc[i].dep_ in {"aux", "auxpass", "neg"}):
        i -= 1  # "Clinton, exasperated, famously responded"
    inner: list[Token] = []
    if i >= 0 and doc[i].text == ",":
        j = i - 1
        while j >= 0 and doc[j].text != "," and i - j <= 12:
            j -= 1
        if j < 0 or doc[j].text != ",":
            return None
        inner, i = list(doc[j + 1 : i]), j - 1
    if i < 0:
        return None
    t = doc[i]
    if t.tag_ in {"NNP", "NNPS"} and t.text[:1].isupper() or t.lower_ in {"he", "she", "they"}:
        return t
    if t.tag_ in {"NN", "NNS"} and len(inner) >= 2 and all(x.tag_ == "NNP" for x in inner):
        return inner[-1]  # "her senior policy adviser, Jake Sullivan, said": the name
    return None


_DOCUMENTS = {"statement", "statements", "release", "letter", "note", "memo", "email", "post"}
# Heads that say nothing without their modifier ("those surveyed").
_QUANTIFIERS = {"those", "some", "many", "most", "all", "few", "several", "others", "anyone"}
# A person's words or views as a subject: "X's argument suggests" is X's.
_VOICED = {
    "argument",
    "arguments",
    "comment",
    "comments",
    "remark",
    "remarks",
    "response",
    "reply",
    "message",
    "contention",
    "claim",
    "claims",
    "assertion",
    "language",
    "words",
    "statement",
    "tweet",
    "tweets",
    "speech",
    "testimony",
    "position",
    "view",
    "views",
    "answer",
    "letter",
}
# What people say or write, whose words are theirs ("a speech that ...").
_SPOKEN = _DOCUMENTS | {
    "speech",
    "remarks",
    "address",
    "interview",
    "tweet",
    "tweets",
    "ad",
    "advertisement",
    "op-ed",
    "essay",
    "column",
    "book",
    "message",
    "video",
}


def _issued(noun: Token) -> Token | None:
    """The verb whose object `noun` is ("issued a statement", "in a letter"), or None."""
    if noun.dep_ == "dobj":
        return noun.head
    if noun.dep_ == "pobj" and noun.head.dep_ == "prep":
        return noun.head.head
    return None


def _relative_pronoun(v: Token, ante: Token) -> Token | None:
    """The relative pronoun through which `ante` is the subject of cue verb `v` ("Smith,
    who said ...", "the report, which concluded ..."), climbing as `_subject` does."""
    cur = v
    for _ in range(5):
        subj = [c for c in cur.children if c.dep_ in {"nsubj", "nsubjpass"}]
        if cur.dep_ == "relcl" and cur.head.i == ante.i:
            return next((c for c in subj if c.tag_ in {"WP", "WDT"}), None)
        if subj or cur.dep_ not in {"xcomp", "advcl", "conj", "pcomp", "prep"}:
            return None
        cur = cur.head
    return None


def _source(v: Token, subj: Token) -> MentionInfo:
    """mention_for(subj), noting the relative pronoun if `subj` speaks through one."""
    m = mention_for(subj)
    rel = _relative_pronoun(v, subj)
    if rel is not None:
        m.rel_span = (rel.idx, rel.idx + len(rel.text))
        m.rel_text = rel.text
    return m


def _conjoined_cue(clause: Token) -> Token | None:
    """A speech verb without its own subject conjoined to reported clause `clause` ("said
    he respects X and calls her Y"): a second cue of the outer speaker, mis-attached."""
    return next(
        (
            c
            for c in clause.children
            if c.dep_ == "conj"
            and c.tag_ in {"VBD", "VBZ", "VBP"}
            and c.lower_ in SPEECH_FORMS
            and not any(x.dep_ in {"nsubj", "nsubjpass"} for x in c.children)
        ),
        None,
    )


def _as_phrase(v: Token, obj: Token) -> list[Token]:
    """The "as Y" / "of Y" / "for Y" after verb `v`'s object: what is said of the object."""
    return [
        x
        for c in v.rights
        if c.dep_ == "prep" and c.i > obj.i and c.lower_ in {"of", "as", "for"}
        for x in c.subtree
    ]


def _reduced_passive(v: Token) -> bool:
    """ "he said when asked about X", "told of the plan, she ...": a passive participle with
    no subject or agent of its own. Whoever asked or told is not in the sentence, and the
    main clause's subject is the one addressed."""
    return (
        v.tag_ == "VBN"
        and v.dep_ in {"advcl", "acl", "conj"}
        and not any(c.dep_ in {"nsubj", "nsubjpass", "agent", "auxpass", "aux"} for c in v.children)
        and v.lower_ in {"asked", "told", "questioned", "pressed", "informed", "reminded"}
    )


def _colon_quote(doc: Doc) -> RawAttribution | None:
    """ "As Cornyn put it: “...”", "She went on: “...”": a quotation the clause before a
    colon introduces, whatever its verb, is the words of that clause's subject. Kept only
    where no construction of a cue takes the quote (engine.py)."""
    text = _text(doc)
    colon = next(
        (t for t in doc if t.text == ":" and text[t.idx + 1 : t.idx + 6].lstrip()[:1] in '“"'),
        None,
    )
    if colon is None:
        return None
    s, e = _trim(doc, colon.idx + 1, len(text))
    first = re.match(r"[“\"]([^“”\"]*)", text[s:e])
    if first is None or len(first.group(1).split()) < 3:
        return None  # "two dishes: “fish” and “chips”": no quotation
    named = _name_before(doc, colon)
    if named is not None:  # "... surprises Republican pollster Daron Shaw: “...”"
        return RawAttribution((s, e), (colon.idx, colon.idx + 1), ":", named, ":", rule="namecolon")
    # The clause's verb: the one whose subject comes before the colon (the parser often
    # hangs the clause off the quotation).
    verbs = [
        t
        for t in doc[: colon.i]
        if t.tag_.startswith("VB") and any(c.dep_ == "nsubj" and c.i < colon.i for c in t.children)
    ]
    verb = verbs[-1] if verbs else None
    subj = _subject(verb) if verb is not None else None
    if verb is None or subj is None or subj.lower_ in _NOT_CONTENT - {"he", "she", "they", "we"}:
        return None
    cue = (verb.idx, verb.idx + len(verb.text))
    return RawAttribution((s, e), cue, verb.text, _source(verb, subj), verb.lower_, rule="colon")


def _name_before(doc: Doc, colon: Token) -> MentionInfo | None:
    """A person's full name right before a colon (the words that follow are theirs)."""
    prev = doc[colon.i - 1] if colon.i else None
    if prev is None or prev.tag_ != "NNP":
        return None
    named = mention_for(prev)
    if named.kind != "person" or not named.name or len(named.name.split()) < 2:
        return None
    return named


def _passive_object(v: Token) -> Token | None:
    """The passive subject of a cue verb that has an agent ("the plan was criticised by
    unions as ..."): it plays the object's part in the content."""
    if not any(c.dep_ == "agent" for c in v.children):
        return None
    return next((c for c in v.children if c.dep_ == "nsubjpass"), None)


def _trim(doc: Doc, s: int, e: int) -> tuple[int, int]:
    text = _text(doc)
    while s < e and text[s] in _PUNCT_STRIP:
        s += 1
    while e > s and text[e - 1] in _PUNCT_STRIP + ".":
        e -= 1
    return s, e


def _host_minus(host: Token, cut: Span | list[Token]) -> tuple[int, int] | None:
    """The larger contiguous piece of the host clause's subtree outside `cut`."""
    toks = list(host.subtree)
    cut_i = {t.i for t in cut}
    before = [t for t in toks if t.i < min(cut_i)]
    after = [t for t in toks if t.i > max(cut_i)]
    side = before if len(before) >= len(after) else after
    side = [t for t in side if not t.is_punct or t.text in "\"“”'’"] or side
    if not side or len(side) < 2:
        return None
    return _span_chars(side)


def _has_complement(t: Token) -> bool:
    """Verb `t` has a clause or object after it for content."""
    return any(c.dep_ in {"ccomp", "dobj", "xcomp"} and c.i > t.i for c in t.children)


def _is_cue_verb(t: Token) -> bool:
    return (
        t.tag_.startswith("VB")
        and t.lower_ in CUE_FORMS
        or (t.tag_.startswith("VB") and t.lower_ in XCOMP_FORMS)
    )


def _prep_object(t: Token, preps: set[str]) -> list[Token] | None:
    """The object of a "talk about X" / "rail against X" preposition of verb `t`."""
    for c in t.children:
        if c.dep_ in {"prep", "prt"} and c.lower_ in preps and c.i > t.i:
            if c.dep_ == "prt":  # "lashed out at X"
                nxt = next((x for x in t.children if x.dep_ == "prep" and x.i > c.i), None)
                c = nxt if nxt is not None else c
            obj = next((x for x in c.children if x.dep_ in {"pobj", "pcomp"}), None)
            if obj is not None and obj.lower_ not in _NOT_CONTENT:
                return list(obj.subtree)
    if not preps:  # "discuss X"
        obj = next((x for x in t.children if x.dep_ == "dobj"), None)
        if obj is not None and obj.lower_ not in _NOT_CONTENT:
            return list(obj.subtree)
    return None


def _seem(t: Token) -> RawAttribution | None:
    """ "X seemed to Y" / "X appears unperturbed" / "X is reportedly Y": the clause, no source."""
    doc = t.doc
    if t.tag_ == "RB":
        head = t.head
        if head is t or not head.tag_.startswith(("VB", "JJ", "MD")) and head.dep_ != "ROOT":
            return None
        if _is_cue_verb(head) and _has_complement(head):
            return None  # "he reportedly argued that X": the cue verb's own attribution
        toks = [x for x in head.subtree if x.i != t.i]
    else:
        if not t.tag_.startswith("VB"):
            return None
        comp = next(
            (c for c in t.children if c.dep_ in {"xcomp", "acomp", "ccomp", "attr", "oprd"}),
            None,
        )
        if comp is None or (
            comp.dep_ == "xcomp"
            and not any(c.dep_ == "aux" and c.lower_ == "to" for c in comp.children)
        ):
            return None
        if comp.dep_ == "xcomp" and (
            _is_cue_verb(comp)
            and _has_complement(comp)
            or any(c.dep_ == "ccomp" and c.i > comp.i for c in comp.children)
        ):
            return None  # "She appeared to imply that X": imply is the cue, she its source
        subj = next((c for c in t.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
        toks = list(comp.subtree)
        if subj is not None and subj.lower_ not in EXPLETIVES and comp.dep_ != "ccomp":
            toks = list(subj.subtree) + toks
    toks = [x for x in toks if not (x.is_punct and x.text not in "\"“”'’")]
    if len(toks) < 3:
        return None
    s, e = _trim(doc, *_span_chars([min(toks, key=lambda x: x.i), max(toks, key=lambda x: x.i)]))
    return RawAttribution((s, e), (t.idx, t.idx + len(t.text)), t.text, None, t.lower_, rule="seem")


def _noun_cue(t: Token) -> RawAttribution | None:
    """ "his criticism of X", "the claim that X", "said in a statement that X"."""
    content = None
    for c in t.children:
        if c.lower_ == "to" and t.lower_ in _SPOKEN:
            continue  # "a statement to the Courier", "a letter to donors": the addressee
        if c.dep_ == "prep" and c.lower_ in NOUN_PREPS and c.i > t.i:
            obj = next((x for x in c.children if x.dep_ in {"pobj", "pcomp"}), None)
            if obj is not None and obj.lower_ not in EXPLETIVES:
                content = list(obj.subtree)
                break
        if c.dep_ in {"acl", "ccomp", "relcl"} and c.i > t.i:
            sub = list(c.subtree)
            if sub[0].lower_ == "that" and sub[0].dep_ == "mark":
                content = sub
                break
    if not content:
        return None
    src = next((c for c in t.children if c.dep_ == "poss"), None)
    if src is not None and src.lower_ in {"my", "our", "your", "its"}:
        return None  # "its support for Ukraine": aid, not an attitude; "my view": quoted
    if src is None:
        by = next((c for c in t.children if c.dep_ == "prep" and c.lower_ in {"by", "from"}), None)
        src = next((x for x in by.children if x.dep_ == "pobj"), None) if by else None
    if src is None:
        gov = t.head
        if t.dep_ == "pobj" and gov.dep_ == "prep":
            gov = gov.head
        if t.dep_ in {"dobj", "pobj"} and gov.tag_.startswith("VB"):
            src = _subject(gov)
    if src is None or content[0].i <= src.i <= content[-1].i:
        return None  # "a statement to the Observer, her adviser, X, said": X is no content
    s, e = _trim(t.doc, *_span_chars(content))
    if e - s < 2:
        return None
    return RawAttribution(
        (s, e), (t.idx, t.idx + len(t.text)), t.text, mention_for(src), t.lower_, rule="noun"
    )


_GEN_PREPS = {"about", "at", "on", "to", "for", "against", "of", "with", "over", "in"}


def _generic(t: Token, allow: Callable[[str, str], bool] | None) -> RawAttribution | None:
    """A word outside the lexicon with a complement and a subject: a candidate for the
    learned gate only, keyed by construction and word (gate.py decides which are cues).
      gen     verb + clause        "the poll shows X leads", "he bragged that X"
      gxcomp  verb + to-clause     "he refused to X"
      gdobj   verb + object        "she thanked X", "he mocked X"
      gprep   verb + preposition   "pointed to X", "took a swipe at X" (key "pointed to")
      gadj    adjective + prep     "is critical of X", "proud of X" (key "critical of")"""
    doc = t.doc
    head: Token | None = None  # the complement's head
    comp: list[Token] | None = None
    rule = ""
    subj: Token | None = None
    word = t.lower_
    if t.tag_.startswith("VB"):
        if not t.n_rights:  # every construction below needs a dependent after the verb
            return None
        rights = list(t.rights)
        for c in rights:
            if c.dep_ == "ccomp":
                head, rule = c, "gen"
                break
            if c.dep_ == "xcomp" and any(x.dep_ == "aux" and x.lower_ == "to" for x in c.children):
                head, rule = c, "gxcomp"
                break
        if head is None:
            obj = next((c for c in rights if c.dep_ == "dobj"), None)
            if obj is not None and obj.lower_ not in _NOT_CONTENT:
                head, rule = obj, "gdobj"
        if head is not None:
            if allow is not None and not allow(rule, word):
                return None
            comp = list(head.subtree)
        else:
            prep = next(
                (c for c in rights if c.dep_ == "prep" and c.lower_ in _GEN_PREPS),
                None,
            )
            obj = next((x for x in prep.children if x.dep_ == "pobj"), None) if prep else None
            if prep is not None and obj is not None and obj.lower_ not in _NOT_CONTENT:
                rule, word = "gprep", f"{word} {prep.lower_}"
                if allow is not None and not allow(rule, word):
                    return None
                comp = list(obj.subtree)
        subj = _subject(t) if comp is not None else None
    elif t.tag_ == "JJ" and t.dep_ == "acomp":
        prep = next((c for c in t.children if c.dep_ == "prep" and c.lower_ in _GEN_PREPS), None)
        obj = next((x for x in prep.children if x.dep_ == "pobj"), None) if prep else None
        if prep is None or obj is None or obj.lower_ in EXPLETIVES:
            return None
        rule, word = "gadj", f"{word} {prep.lower_}"
        if allow is not None and not allow(rule, word):
            return None
        comp = list(obj.subtree)
        subj = _subject(t.head)
    else:
        return None
    if comp is None or subj is None:
        return None
    s, e = _trim(doc, *_span_chars(comp))
    if e - s < 2:
        return None
    src = _source(t if t.tag_.startswith("VB") else t.head, subj)
    return RawAttribution((s, e), (t.idx, t.idx + len(t.text)), t.text, src, word, rule=rule)


def _according(t: Token) -> RawAttribution | None:
    """ "according to X, C" / "C, according to X": the phrase's host clause is the content."""
    doc = t.doc
    to = doc[t.i + 1]
    pobj = next((c for c in to.children if c.dep_ == "pobj"), None)
    if pobj is None:
        return None
    phrase = list(t.subtree)
    host = t.head if t.head is not t else None
    content = _host_minus(host, phrase) if host is not None else None
    if content is None:
        # Attached oddly: take the rest of the sentence on the larger side.
        rest_b = [x for x in doc if x.i < phrase[0].i]
        rest_a = [x for x in doc if x.i > phrase[-1].i]
        side = rest_b if len(rest_b) >= len(rest_a) else rest_a
        if len(side) < 2:
            return None
        content = _span_chars(side)
    return RawAttribution(
        _trim(doc, *content),
        (t.idx, to.idx + 2),
        "according to",
        mention_for(pobj),
        "according to",
        rule="according",
    )


def _in_view(t: Token) -> RawAttribution | None:
    """ "in X's view, C" / "in the view of X, C": the phrase's host clause is X's view."""
    poss = next((c for c in t.children if c.dep_ == "poss"), None)
    if poss is None:
        of = next((c for c in t.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        poss = next((c for c in of.children if c.dep_ == "pobj"), None) if of else None
    if poss is None or poss.lower_ in {"my", "our", "your"}:
        return None
    phrase = list(t.head.subtree)
    content = _host_minus(t.head.head, phrase) if t.head.head is not t.head else None
    if content is None:
        return None
    return RawAttribution(
        _trim(t.doc, *content),
        (t.head.idx, t.idx + len(t.text)),
        _text(t.doc)[t.head.idx : t.idx + len(t.text)],
        mention_for(poss),
        "view",
        rule="view",
    )


def _prep_verb(t: Token) -> RawAttribution | None:
    """ "X pointed to C", "X warned of C": a verb that is no cue on its own, with the
    preposition that makes its object content (lexicon.PREP_CONTENT)."""
    toks = _prep_object(t, PREP_CONTENT[t.lower_])
    subj = _subject(t)
    if not toks or subj is None:
        return None
    return RawAttribution(
        _trim(t.doc, *_span_chars(toks)),
        (t.idx, t.idx + len(t.text)),
        t.text,
        _source(t, subj),
        t.lower_,
        rule="prep",
    )


def _anchored(t: Token) -> tuple[bool, RawAttribution | None]:
    """Whether `t` anchors one of the constructions that are not a cue verb's ("according
    to", "in X's view", "seems to", a noun cue, a verb with a content preposition), and the
    candidate it yields (None if the construction is incomplete)."""
    low = t.lower_
    if low == "according" and t.i + 1 < len(t.doc) and t.doc[t.i + 1].lower_ == "to":
        return True, _according(t)
    if low in VIEW_NOUNS and t.head.lower_ == "in" and t.head.dep_ == "prep":
        return True, _in_view(t)
    if low in SEEM_FORMS:
        return True, _seem(t)
    if low in NOUN_CUES and t.tag_ in {"NN", "NNS"}:
        return True, _noun_cue(t)
    if low in PREP_CONTENT and t.tag_.startswith("VB") and not _is_cue_verb(t):
        return True, _prep_verb(t)
    return False, None


def _ccomp_content(t: Token, ccomp: Token) -> list[Token]:
    """X said C: the clausal complement. "She said she admires X and praised Y", parsed with
    "praised" conjoined to the reported clause: a subjectless speech verb there is the
    speaker's second cue, and ends the content."""
    toks = list(ccomp.subtree)
    second = _conjoined_cue(ccomp)
    if second is not None and ccomp.i > t.i:
        cut = min([second.i] + [c.i for c in ccomp.children if c.dep_ == "cc" and c.i < second.i])
        toks = [x for x in toks if x.i < cut]
    return toks


def _xcomp_content(t: Token) -> list[Token] | None:
    """X wants to C: an infinitive complement."""
    x = next((c for c in t.children if c.dep_ == "xcomp"), None)
    if x is not None and any(c.dep_ == "aux" and c.lower_ == "to" for c in x.children):
        return list(x.subtree)
    return None


def _quoted(tokens: list[Token]) -> bool:
    return any(x.text in '"“”' for x in tokens)


def _call_content(t: Token, lemma: str) -> list[Token] | None:
    """ "X called Y Z": the object and what it was called; "Y was called Z by X": Z.
    A quoted name is taken however the parser hangs it: "called the frontrunner “ISIS’ best
    recruiter”" (the object inside the name), "labeling his actions “an abuse”" (the name
    an apposition of the object)."""
    oprd = next((c for c in t.children if c.dep_ in {"oprd", "xcomp"}), None)
    dobj = next((c for c in t.children if c.dep_ == "dobj"), None)
    if oprd is not None and dobj is None and _passive_object(t) is not None:
        return list(oprd.subtree)  # "X was called “historic” by officials"
    if oprd is None or dobj is None:
        # The name alone, quoted ("call a “special meeting”" names nothing), and only with
        # a speaker doing the naming ("a box labeled “medical problem”" has none).
        name = oprd if dobj is None else (dobj if lemma != "call" else None)
        if name is None or not _quoted(list(name.subtree)) or not t.tag_.startswith("VB"):
            return None
        named_by = _subject(t)
        if named_by is None or named_by.lower_ in EXPLETIVES:
            return None
        return list(name.subtree)
    toks = list(dobj.subtree) + list(oprd.subtree)
    # keep trailing modifiers ("... for the US defence industry")
    for c in t.rights:
        if c.dep_ == "prep" and c.i > oprd.i:
            toks += list(c.subtree)
    return sorted(toks, key=lambda x: x.i)


def _dobj_content(t: Token, lemma: str) -> list[Token] | None:
    """ "X expressed concerns over C": a long object after the verb; also a mis-parsed
    second "subject" ("analysts said concerns over ..." comes out as nsubj)."""
    doc = t.doc
    dobj = next(
        (
            c
            for c in t.children
            if c.dep_ == "dobj"
            or (
                c.dep_ == "nsubj"
                and c.i > t.i
                and not (c.i > 0 and doc[c.i - 1].is_punct)
                and any(x.dep_ == "nsubj" and x.i < t.i for x in t.children)
            )
        ),
        None,
    )
    if (
        dobj is None
        or dobj.lower_ in _NOT_CONTENT
        # "expressed support for X": the noun rule takes X
        or (dobj.lower_ in NOUN_CUES and _noun_cue(dobj) is not None)
    ):
        return None
    sub = list(dobj.subtree)
    if len(sub) < 3 and not _quoted(sub):
        return None
    # "described the closure as regrettable": what was said of the object
    sub += _as_phrase(t, dobj) if lemma in OBJECT_LEMMAS else []
    return sorted(sub, key=lambda x: x.i)


def _object_content(t: Token, lemma: str) -> list[Token] | None:
    """ "accused X of Y", "described X as Y", "blamed X for Y", "referred to X"; "X was
    described by officials as Y": Y is what they said of X."""
    dobj = next((c for c in t.children if c.dep_ == "dobj"), None)
    as_phrase = next(
        (c for c in t.rights if c.dep_ == "prep" and c.lower_ in {"as", "of", "for"}), None
    )
    content = None
    if dobj is None and as_phrase is not None and _passive_object(t) is not None:
        pobj = [c for c in as_phrase.children if c.dep_ in {"pobj", "pcomp", "amod"}]
        if pobj:
            content = list(pobj[0].subtree)
    if dobj is None and lemma == "refer":
        to = next((c for c in t.children if c.dep_ == "prep" and c.lower_ == "to"), None)
        dobj = next((c for c in to.children if c.dep_ == "pobj"), None) if to else None
    if dobj is not None and dobj.lower_ not in EXPLETIVES:
        content = sorted(list(dobj.subtree) + _as_phrase(t, dobj), key=lambda x: x.i)
    return content


def _cue_content(t: Token, lemma: str) -> tuple[list[Token] | None, str, bool]:
    """What cue verb `t` introduces: (tokens, construction, whether it is a real complement,
    which the WEAK_CUES test spares), tried in order; (None, "", False) if nothing."""
    low = t.lower_
    ccomp = next((c for c in t.children if c.dep_ == "ccomp"), None)
    if ccomp is not None:
        return _ccomp_content(t, ccomp), "ccomp", True
    finders: list[tuple[str, bool, Callable[[], list[Token] | None]]] = [
        ("xcomp", low in XCOMP_FORMS, lambda: _xcomp_content(t)),
        ("call", lemma in NAMING_LEMMAS, lambda: _call_content(t, lemma)),
        ("dobj", lemma in _DOBJ_CONTENT, lambda: _dobj_content(t, lemma)),
        ("obj", lemma in OBJECT_LEMMAS, lambda: _object_content(t, lemma)),
    ]
    for how, applies, find in finders:
        toks = find() if applies else None
        if toks is not None:
            return toks, how, False
    if PREP_CONTENT.get(low):
        toks = _prep_object(t, PREP_CONTENT[low])
        if toks is not None:
            return toks, "prep", True
    return None, "", False


def _parenthetical_host(t: Token, inner: list[Token]) -> Token:
    """The clause a parenthetical cue interrupts. "He hoped, he said, that X" is parsed as a
    parenthetical of the clause after it, while it interrupts the clause around it (hoped
    ... that X): climb to that one."""
    doc = t.doc
    host_tok = t.head
    while (
        host_tok.i > t.i
        and host_tok.head.i < inner[0].i
        and host_tok.dep_ in {"ccomp", "xcomp", "advcl", "conj"}
        and inner[0].i > 0
        and doc[inner[0].i - 1].text in ",—–"
        and inner[-1].i + 1 < len(doc)
        and doc[inner[-1].i + 1].text in ",—–"
        and list(host_tok.subtree)[0].i >= inner[0].i - 1
    ):
        host_tok = host_tok.head
    return host_tok


def _parenthetical(t: Token, lemma: str) -> tuple[bool, RawAttribution | None]:
    """ "C, he said" parsed with C as the main clause; "A, she said, B" (cue inside its
    content) takes the whole host clause. (whether the construction applies, its record)."""
    low = t.lower_
    # "As X noted, C", "C, as X said": a speech verb in an as-clause vouches for its host
    said_as = (
        t.dep_ == "advcl"
        and low in SPEECH_FORMS
        and any(c.dep_ == "mark" and c.lower_ == "as" for c in t.children)
    )
    if not (
        lemma not in WEAK_CUES
        and (t.dep_ in {"parataxis", "ccomp"} or said_as)
        and (low in SPEECH_FORMS or low in COGNITION_FORMS)
    ):
        return False, None
    doc = t.doc
    sub = list(t.subtree)
    inner = [x for x in sub if not x.is_punct] or sub
    host_tok = _parenthetical_host(t, inner)
    host = list(host_tok.subtree)
    cont: tuple[int, int] | None
    if said_as:
        # "The port, as X said, has lost money": the clause around it, whole
        whole = [x for x in t.head.subtree if not x.is_punct]
        around = sub[-1].i < whole[-1].i and any(
            c.dep_ in {"nsubj", "nsubjpass"} and c.i < sub[0].i for c in t.head.children
        )
        cont = _span_chars([whole[0], whole[-1]]) if around else _host_minus(t.head, sub)
    elif (
        host_tok.i != t.head.i
        or t.head.i > t.i
        and inner[0].i > host[0].i + 1
        and inner[-1].i < host[-1].i - 1
        and doc[inner[0].i - 1].text in ",—–"
        and doc[inner[-1].i + 1].text in ",—–"
    ):
        cont = _span_chars([host[0], host[-1]])
    elif t.head.i < t.i:
        cont = _host_minus(t.head, sub)
    else:
        cont = None
    if cont is None:
        return t.head.i < t.i, None
    subj = _subject(t)
    return True, RawAttribution(
        _trim(doc, *cont),
        (t.idx, t.idx + len(t.text)),
        t.text,
        _source(t, subj) if subj else None,
        lemma,
        rule="para",
    )


def _cue_verb(t: Token, loose: bool) -> RawAttribution | None:
    """A cue verb's attribution: its content (_cue_content), else the clause it interrupts
    (_parenthetical), else a bare cue ("..., he said.") for the engine to link to a quote."""
    low = t.lower_
    lemma = CUE_FORMS.get(low) or XCOMP_FORMS.get(low, low)
    content_toks, how, clausal = _cue_content(t, lemma)
    if content_toks is None:
        applies, para = _parenthetical(t, lemma)
        if applies:
            return para
    subj = _subject(t)
    if content_toks is None:
        if low in SPEECH_FORMS and (loose or lemma not in WEAK_CUES) and subj is not None:
            return RawAttribution(
                (0, 0),
                (t.idx, t.idx + len(t.text)),
                t.text,
                _source(t, subj),
                lemma,
                bare=True,
                rule="weak_bare" if lemma in WEAK_CUES else "bare",
            )
        return None
    if lemma in WEAK_CUES and not clausal and lemma not in NAMING_LEMMAS:
        if not loose:
            return None
        how = "weak_" + how
    content_toks = [x for x in content_toks if x.i != t.i]
    if not content_toks:
        return None
    s, e = _trim(t.doc, *_span_chars(content_toks))
    if e - s < 2:
        return None
    return RawAttribution(
        (s, e),
        (t.idx, t.idx + len(t.text)),
        t.text,
        _source(t, subj) if subj is not None else None,
        lemma,
        rule=how,
    )


def sentence_attributions(
    doc: Doc,
    loose: bool = False,
    allow: Callable[[str, str], bool] | None = None,
    allow_word: Callable[[str], bool] | None = None,
) -> list[RawAttribution]:
    """All attribution candidates in one parsed sentence, one construction function each.
    `loose` also proposes the low-confidence ones (weak cues without a clause, any verb with
    a clause: _generic) for the gate."""
    out: list[RawAttribution] = []
    colon = _colon_quote(doc)
    if colon is not None:
        out.append(colon)
    for t in doc:
        anchored, found = _anchored(t)
        if anchored:
            pass
        elif not _is_cue_verb(t):
            if (
                loose
                and (t.tag_.startswith("VB") or t.tag_ == "JJ")
                and (allow_word is None or allow_word(t.lower_))
            ):
                found = _generic(t, allow)
        elif not _reduced_passive(t):
            found = _cue_verb(t, loose)
        if found is not None:
            out.append(found)
    return out
