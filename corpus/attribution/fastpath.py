"""Regex fast path for the commonest attribution shapes, so their sentences skip the parser.

The parser (tok2vec dominates) runs ~10k words/s here; attribution has to sustain ~30k.
News attribution is formulaic: "<content>, <source> said." / "<content>, said <Name>, <role>."
/ "according to <source>". These are recognised with anchored regexes over the sentence;
anything less regular (appositives before the verb, subordinate clauses, other cues) falls
back to the parse rules.
"""

from __future__ import annotations

import copy
import re

from corpus.text import SIGNATURE_DASH
from corpus.transcripts import LABEL_WORD

from .lexicon import COGNITION_FORMS, GROUP_NOUNS, SPEECH_FORMS
from .rules import RawAttribution
from .speakers import CALENDAR, MentionInfo, classify_noun_phrase, split_name

# The frequent end-of-sentence speech verbs (and present/perfect forms).
_CUE = (
    r"(?:said|says|added|adds|told\s+(?:reporters|[A-Z][\w.]+)|wrote|writes|noted|notes|"
    r"points\s+out|pointed\s+out|"
    r"stated|states|explained|argued|argues|warned|insisted|continued|recalled|"
    r"acknowledged|asked|tweeted|declared|concluded|suggested|cautioned|predicted|"
    r"claimed|claims|contended|believes|thinks|added\s+in\s+a\s+statement)"
)
_AUX = r"(?:(?:also|later|previously|then|once|recently|has|have|had|would|will|has\s+also)\s+)?"
_PRON = r"(?:he|she|they|we|I)"
_CAP = r"[A-Z][\w'’.-]*"
# Named source: up to 5 capitalised words ("Senate Majority Leader Mitch McConnell").
_NAME = rf"(?:{_CAP}\s+){{0,4}}{_CAP}"
# Described source: determiner + up to 4 words ("a senior administration official").
_DESC = (
    r"(?:[Tt]he|[Aa]n?|[Aa]nother|[Oo]ne|[Tt]wo|[Tt]hree|[Ss]everal|[Ss]ome|[Mm]any|"
    r"[Mm]ost|[Hh]is|[Hh]er|[Tt]heir|[Ii]ts)\s+(?:[\w'’-]+\s+){0,4}?[\w'’-]+"
)
_BARE_PLURAL = r"(?:[A-Za-z][\w-]*\s+){0,3}[a-z][\w-]*s"  # "experts", "Japanese analysts"
_SRC = rf"(?:{_PRON}|{_DESC}|{_NAME}|{_BARE_PLURAL})"
_TAIL = (
    r"(?:\s+(?:in|on|at|during|to|from|after|before|last|this|earlier|Monday|Tuesday|"
    r"Wednesday|Thursday|Friday|Saturday|Sunday)\b[^,;:“”\"]{0,50}?)?"
)
_END = r"\s*[.!?]?[\"”’']*\s*$"

CONTENT_FIRST = re.compile(
    rf"^(?P<content>.{{8,}}?)(?:,|,(?:[\"”]|'')|(?:[\"”]|''),|[\"”]?\s+—|\?[\"”]|![\"”])\s+"
    rf"(?P<src>{_SRC})\s+{_AUX}(?P<cue>{_CUE}){_TAIL}{_END}",
    re.DOTALL,
)
INVERTED = re.compile(
    rf"^(?P<content>.{{8,}}?)(?:,|,(?:[\"”]|'')|(?:[\"”]|''),|\?[\"”]|![\"”])\s+(?P<cue>said|says|added|"
    rf"wrote|noted|explained|argued|warned|asked|recalled)\s+(?P<src>{_DESC}|{_NAME})"
    rf"(?:,\s+(?P<appos>[^,;“”\"]{{3,160}}?))?{_END}",
    re.DOTALL,
)
# "Said Ellis: “...”", "Stated Stone:" [the quote in the next paragraph]: the verb first, then
# its source and a colon; the engine links the quotation after the colon (a bare cue).
INVERTED_COLON = re.compile(
    r"^(?P<cue>Said|Says|Added|Adds|Wrote|Writes|Noted|Notes|Explained|Stated|Declared|"
    rf"Continued|Concluded|Recalled|Replied|Answered)\s+(?P<src>{_NAME}|{_DESC}):"
)
# "He said (that) C." / "Smith says C." — cue-first with a short source and nothing between.
_CUE_FIRST_VERBS = (
    r"(?:said|says|say|added|wrote|writes|noted|notes|argued|argues|warned|"
    r"insisted|insists|believes|thinks|thought|believed|stated|claimed|"
    r"claims|explained|predicted|acknowledged|suggested|told\s+(?:reporters|"
    r"(?:the\s+)?[A-Z][\w.]+(?:\s+[A-Z][\w.]+)?))"
)
CUE_FIRST = re.compile(
    rf"^(?P<src>{_PRON}|{_NAME}|{_DESC}|{_BARE_PLURAL})\s+{_AUX}(?P<cue>{_CUE_FIRST_VERBS})"
    rf"(?:\s+(?:on|in|last|this|at)\s+[A-Z]?[a-z]+(?:\s+[a-z]+)?)?(?:\s+that|:|,)?\s+"
    rf"(?P<content>[^\s].{{8,}}?)\s*[.!?]?[\"”’']*\s*$",
    re.DOTALL,
)
# "X said A, and he railed against B" / "..., but she also insisted that B": a second clause
# with its own pronoun subject is no part of what was said; the parse rules split them.
_SECOND_CLAUSE = re.compile(
    r"(?:[,;—–]|\s-)\s+(?:(?:and|but|although|though|while|yet)\s+)?(?:also\s+)?"
    r"(?:he|she|they|we|I)\s"
)
# "She said A and highlighted B" / "He says A but insists B": a second cue verb conjoined.
_SECOND_CUE = re.compile(
    r"\b(?:and|but)\s+(?:also\s+|then\s+|later\s+)?(?:"
    + "|".join(sorted(SPEECH_FORMS | COGNITION_FORMS, key=len, reverse=True))
    + r")\b"
)


# A described source holds no finite verb ("the flag was removed" is said, not saying).
_VERBISH = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|will|would|could|should|can|may|might|must|"
    r"did|does|do)\b"
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


ACCORDING_END = re.compile(
    rf"^(?P<content>.{{8,}}?),\s+(?P<cue>according\s+to)\s+(?P<src>[^,;“”\"]{{2,80}}?)"
    rf"(?:,\s+(?P<appos>[^,;“”\"]{{3,90}}?))?{_END}",
    re.DOTALL,
)
ACCORDING_START = re.compile(
    r"^(?P<cue>[Aa]ccording\s+to)\s+(?P<src>[^,;“”\"]{2,60}?),\s+(?P<content>[^“”\"]{8,}?)"
    r"\s*[.!?]?\s*$",
    re.DOTALL,
)

_DETS = {
    "the",
    "a",
    "an",
    "another",
    "one",
    "two",
    "three",
    "several",
    "some",
    "many",
    "most",
    "his",
    "her",
    "their",
    "its",
}
_NOT_CONTENT_START = {
    "of",
    "in",
    "on",
    "at",
    "as",
    "when",
    "while",
    "after",
    "before",
    "because",
    "if",
    "to",
    "for",
    "during",
    "about",
    "with",
    "by",
    "from",
    "since",
    "until",
    "through",
    "without",
    "afterward",
    "afterwards",
    "later",
    "earlier",
    "recently",
    "yesterday",
    "today",
    "repeatedly",
}
_NOT_SOURCE = {
    "it",
    "this",
    "that",
    "there",
    "which",
    "what",
    "who",
    "as",
    "and",
    "but",
    "so",
    "if",
    "when",
    "while",
    "because",
}


def _described_name(text: str) -> tuple[int, int, str] | None:
    """(start, end, description) of a person's name ending a described source ("his
    campaign manager Jeff Weaver", "the Post’s Chris Cillizza"), or None. Words must come
    between the determiner and the name: "the Associated Press" is a name itself."""
    split = split_name(text)
    if split is None or len(text[split.start : split.end].split()) < 2:
        return None
    before = text[: split.start].split()
    if len(before) < 2:
        return None
    name = text[split.start : split.end].split()
    if classify_noun_phrase(name, name[-1], "NNP", True) != "person":
        return None
    desc = " ".join(before[1:]) if before[0].lower() in {"the", "a", "an"} else " ".join(before)
    return split.start, split.end, desc


def _mention(sent: str, s: int, e: int, appos: tuple[int, int] | None = None) -> MentionInfo:
    text = sent[s:e]
    low = text.lower()
    if low in {"he", "she", "they", "we", "i"}:
        return MentionInfo(
            (s, e),
            text,
            "person" if low in {"he", "she"} else "unknown",
            pronoun=True,
            plural=low in {"they", "we"},
            head_lower=low,
        )
    words = text.split()
    head = words[-1]
    role = sent[appos[0] : appos[1]] if appos else None
    if role:
        r = role.split()
        if r and r[0].lower() in {"the", "a", "an"}:
            role = " ".join(r[1:]) or None
    named = _described_name(text) if words[0].lower() in _DETS else None
    if named is not None:
        # "his campaign manager Jeff Weaver": the name, with the description as its role
        ns, ne, desc = named
        return MentionInfo(
            (s + ns, s + ne),
            text[ns:ne],
            "person",
            name=text[ns:ne],
            role=role or desc,
            head_lower=text[ns:ne].split()[-1].lower(),
        )
    if (
        words[0].lower() in _DETS
        or not head[:1].isupper()
        or (len(words) == 1 and head.lower() in GROUP_NOUNS)
    ):
        plural = head.lower().endswith("s") and not head.lower().endswith("ss")
        kind = classify_noun_phrase(words, head, "NNS" if plural else "NN", False)
        from .lexicon import ROLE_NOUNS

        if kind == "person" and head.lower() in ROLE_NOUNS and not role:
            role = head.lower()
        return MentionInfo((s, e), text, kind, role=role, plural=plural, head_lower=head.lower())
    # Capitalised run: the name at its end, a title or description before it.
    kind = classify_noun_phrase(words, head, "NNP", True)
    split = split_name(text) if kind == "person" else None
    if split is None:
        return MentionInfo((s, e), text, kind, name=text, head_lower=head.lower())
    ns, ne = s + split.start, s + split.end
    name = sent[ns:ne]
    return MentionInfo(
        (ns, ne),
        name,
        "person",
        name=name,
        role=role or split.role,
        head_lower=name.split()[-1].lower(),
        gender=split.gender,
    )


# "In Whitlock's view, C." / "In the view of Dr. Henrik Aas, a soil scientist at ..., C."
IN_VIEW_POSS = re.compile(
    r"^In\s+(?P<src>his|her|their|(?:[A-Z][\w'’.-]*\s+){0,3}[A-Z][\w.-]*?)(?:['’]s?)?\s+"
    r"(?:own\s+)?(?P<cue>view),\s+"
    r"(?P<content>[^\s“”\"].{8,}?)\s*[.!?]?\s*$",
    re.DOTALL,
)
IN_VIEW_OF = re.compile(
    rf"^In\s+the\s+(?P<cue>view)\s+of\s+(?P<src>{_NAME}|{_DESC}),\s+"
    r"(?:(?P<appos>(?:a|an|the)\s+[^,;“”\"]{2,90}?),\s+)?"
    r"(?P<content>[^\s“”\"].{8,}?)\s*[.!?]?\s*$",
    re.DOTALL,
)
_IN_VIEW_OF_PLAIN = re.compile(
    rf"^In\s+the\s+(?P<cue>view)\s+of\s+(?P<src>{_NAME}|{_DESC}),\s+"
    r"(?P<content>[^\s“”\"].{8,}?)\s*[.!?]?\s*$",
    re.DOTALL,
)
_ROLE_SUFFIX = ("ist", "er", "or", "ian", "ant", "ent", "man", "woman", "ee")


def _role_like(appos: str) -> bool:
    """ "a soil scientist at the Institute": an appositive headed by a role noun."""
    from .lexicon import ROLE_NOUNS

    head = re.split(r"\s+(?:of|at|for|with|in|from|on|to)\s+", appos, maxsplit=1)[0].split()
    if len(head) < 2:
        return False
    w = head[-1].lower()
    return w in ROLE_NOUNS or w.endswith(_ROLE_SUFFIX)


def view_attribution(sent: str) -> RawAttribution | None:
    """ "In X's view, C." / "In the view of X, C." as an indirect attribution, or None."""
    if not sent.startswith("In "):
        return None
    m = IN_VIEW_POSS.match(sent)
    appos = None
    if m is None:
        m = IN_VIEW_OF.match(sent)
        if m is None:
            return None
        if m.group("appos"):
            if _role_like(m.group("appos")):
                appos = m.span("appos")
            else:
                # "In the view of Aas, the orchard, which is old, ...": no appositive.
                m = _IN_VIEW_OF_PLAIN.match(sent)
                if m is None:
                    return None
    ss, se = m.span("src")
    cs, ce = m.span("content")
    if len(sent[cs:ce].split()) < 3:
        return None
    low = sent[ss:se].lower()
    if low in {"his", "her", "their"}:
        mention = MentionInfo(
            (ss, se),
            sent[ss:se],
            "unknown" if low == "their" else "person",
            pronoun=True,
            plural=low == "their",
            head_lower=low,
        )
    else:
        mention = _mention(sent, ss, se, appos)  # "Dr. Henrik Aas": the name "Henrik Aas"
    return RawAttribution((cs, ce), m.span("cue"), "view", mention, "view", rule="view")


# "“A,” she said, “B.”" / "“A,” said X, a role, “B.”": one quote interrupted by its cue.
_INTERRUPT_CUE = (
    r"(?:said|says|added|adds|continued|explained|argued|warned|insisted|noted|wrote|"
    r"recalled|asked|told\s+(?:reporters|[A-Z][\w.]+))"
)
_Q_OPEN = r"(?:“|\"|'')"
_Q_CLOSE = r"(?:”|\"|''|“)"
INTERRUPTED = re.compile(
    rf"^{_Q_OPEN}(?P<q1>[^“”\"]*?[^\s“”\"])[,?!]?{_Q_CLOSE}[,?!]?\s+"
    rf"(?:(?P<src>{_PRON}|{_NAME}|{_DESC})\s+{_AUX}(?P<cue>{_INTERRUPT_CUE})"
    rf"|(?P<cue2>{_INTERRUPT_CUE})\s+(?P<src2>{_DESC}|{_NAME}))"
    rf"(?:,\s+(?P<appos>[^,;“”\"]{{3,90}}?))?[,:]\s+"
    rf"{_Q_OPEN}(?P<q2>[^“”\"]*?[^\s“”\"]){_Q_CLOSE}?\s*$",
    re.DOTALL,
)


# "“Mexico!” the audience screamed back." / "“OK,” barked Oliver.": a quote, then its
# speaker and any verb of saying out of the lexicon. The punctuation inside the closing mark
# makes it speech (a title in quote marks ends without it: "“Star Wars” premiered").
_ANY_VERB = r"[a-z]{3,}(?:ed|s)"
QUOTE_VERB = re.compile(
    rf"^{_Q_OPEN}(?P<content>[^“”\"]*?[^\s“”\"])[,?!]{_Q_CLOSE}\s+"
    rf"(?:(?P<src>{_PRON}|{_NAME}|{_DESC})\s+(?P<cue>{_ANY_VERB})"
    rf"|(?P<cue2>{_ANY_VERB})\s+(?P<src2>{_NAME}))"
    r"(?:\s+(?:back|out|again|loudly|quietly|angrily))?"
    # "... riffed on Hassan's answer", "..., drawing applause": what follows the verb
    r"(?:\s+(?:on|about|at|to|before|after|while|as|in)\b[^“”\"]*|,\s+[a-z][^“”\"]*)?"
    r"\s*[.!?]?\s*$",
    re.DOTALL,
)


def quote_verb_attribution(sent: str) -> RawAttribution | None:
    """A quote followed by its speaker and a verb the lexicon lacks, or None."""
    m = QUOTE_VERB.match(sent)
    if m is None:
        return None
    src, cue = ("src", "cue") if m.group("src") else ("src2", "cue2")
    ss, se = m.span(src)
    if sent[ss:se].split()[0].lower() in _NOT_SOURCE or _VERBISH.search(sent[ss:se]):
        return None
    word = m.group(cue)
    return RawAttribution(
        m.span("content"), m.span(cue), word, _mention(sent, ss, se), word, rule="quoteverb"
    )


def interrupted_attributions(sent: str) -> list[RawAttribution] | None:
    """The two pieces of a quote interrupted by its cue, one record each (same source and
    cue), or None."""
    m = INTERRUPTED.match(sent)
    if m is None:
        return None
    src, cue = ("src", "cue") if m.group("src") else ("src2", "cue2")
    ss, se = m.span(src)
    if sent[ss:se].split()[0].lower() in _NOT_SOURCE:
        return None
    appos = m.span("appos") if m.group("appos") else None
    mention = _mention(sent, ss, se, appos)
    word = m.group(cue)
    # Each piece gets its own mention: the engine shifts mention spans in place.
    return [
        RawAttribution(m.span(q), m.span(cue), word, copy.copy(mention), word.split()[0])
        for q in ("q1", "q2")
    ]


def fast_attributions(sent: str) -> list[RawAttribution] | None:
    """Attributions for `sent` if it has one of the regular shapes, else None (parse it)."""
    if sent[:1] in "“\"'":
        found = interrupted_attributions(sent)
        if found is not None:
            return found
    inverted = INVERTED_COLON.match(sent)
    if inverted is not None:
        cue = inverted.group("cue")
        source = _mention(sent, *inverted.span("src"))
        lemma = SPEECH_FORMS.get(cue.lower(), cue.lower())
        return [RawAttribution((0, 0), inverted.span("cue"), cue, source, lemma, True, "bare")]
    for rx in (CONTENT_FIRST, INVERTED, ACCORDING_END, ACCORDING_START, CUE_FIRST):
        m = rx.match(sent)
        if not m:
            continue
        src_s, src_e = m.span("src")
        src = sent[src_s:src_e].strip()
        if not src or src.split()[0].lower() in _NOT_SOURCE:
            return None
        if src.split()[0].lower().rstrip(".,") in CALENDAR:
            return None  # "McConnell, R-Ky., said Tuesday": a date, the source is before it
        if _VERBISH.search(src):
            return None  # "..., said the flag was removed": a clause, not a source
        cs, ce = m.span("content")
        content = sent[cs:ce]
        if rx is CUE_FIRST and content.split()[0].lower() in _NOT_CONTENT_START:
            return None  # "X said of Apple ...", "X said as he left": no clause follows
        if rx is CUE_FIRST and (_SECOND_CLAUSE.search(content) or _SECOND_CUE.search(content)):
            return None
        if (
            rx is CUE_FIRST
            and "," in sent[m.end("cue") : cs]
            and content.split()[0].endswith("ing")
        ):
            return None  # "“A?” Trump said, looking out on the crowd.": a participle, no clause
        # The content must look like a clause, not a dangling fragment.
        if len(content.split()) < 3:
            return None
        appos = m.span("appos") if "appos" in rx.groupindex and m.group("appos") else None
        if (
            appos
            and re.match(r"(?:who|which)\b", m.group("appos"))
            and any(w in SPEECH_FORMS or w in COGNITION_FORMS for w in _words(m.group("appos")))
        ):
            # "..., said X, who said Y": a second attribution, not a role; parse it. "..., said
            # X, who runs a bakery" keeps its relative clause as X's role.
            return None
        cue = m.group("cue")
        mention = _mention(sent, src_s, src_e, appos)
        lemma = "according to" if cue.lower().startswith("according") else cue.split()[0]
        return [RawAttribution((cs, ce), m.span("cue"), cue, mention, lemma)]
    return None


# "Elizabeth Warren: Trump Is a ‘Proven Failure’" / "TRUMP: The deaths of ..." / "CNN President
# On Trump: ‘We Do Not Pay ...’": a paragraph opening with a short capitalised label and a
# colon is that speaker's words (headlines, transcripts, Q&A). Not a speaker: labels such as
# "Note:", "Update:", "Photo:".
LABEL_COLON = re.compile(
    rf"^(?P<src>(?:(?!(?:On|To|About|Of)\s){LABEL_WORD}\s+){{0,3}}{LABEL_WORD})"
    r"(?:\s+(?:On|To|About|Of|on|to|about|of)\s+[^:\n]{1,40}?)?:\s+(?P<content>\S.{8,}?)\s*$"
)
_NOT_LABEL_TEXT = """note update updated editor editors photo photos watch read related source sources
    correction clarification disclaimer video image images credit q a question answer
    subscribe follow listen advertisement tags topics see also full transcript breaking
    exclusive live posted published contact email twitter facebook by day step part chapter
    warning example bottom why what how who where when the in it this that here there
    graphic chart map table caption file copyright reporting additional writing editing
    summary background analysis opinion commentary review poll results result final total
    p.s ps bonus more key more: previously next now then first second third last tl;dr
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december"""
_NOT_LABEL = set(_NOT_LABEL_TEXT.split())


def label_attribution(par: str) -> RawAttribution | None:
    """A "Label: words" paragraph as an attribution, or None."""
    m = LABEL_COLON.match(par)
    if not m:
        return None
    src = m.group("src")
    words = src.split()
    if words[0].lower().rstrip(".:’'s") in _NOT_LABEL or len(m.group("content").split()) < 3:
        return None
    if words[-1].lower() in _NOT_LABEL or any(c.isdigit() for c in src):
        return None
    ss, se = m.span("src")
    if src.isupper() and len(words) == 1 and len(src) > 4:
        # "TRUMP:" is a person in capitals, not an acronym.
        name = src.capitalize()
        mention = MentionInfo((ss, se), src, "person", name=name, head_lower=name.lower())
    else:
        mention = _mention(par, ss, se)
    return RawAttribution(m.span("content"), (se, se + 1), ":", mention, ":")


# "“I'm so ashamed ...” ― Jane Doe" / "“...” — John Smith, 34, a nurse in Phoenix": a paragraph
# that is one quotation signed with a dash and a name (vox pops, letters, pull quotes). The
# opening mark may be written reversed (”), as some sites do.
SIGNED = re.compile(
    r"^\s*[“”\"](?P<content>[^“”\"]{12,}?)\s*"
    + SIGNATURE_DASH
    + rf"(?P<src>{_NAME})(?:,\s*(?P<appos>[^“”\"\n]{{1,80}}?))?\s*\.?\s*$"
)


def signed_attribution(par: str) -> RawAttribution | None:
    """A quotation paragraph signed "― Name[, role]" as that person's words, or None."""
    m = SIGNED.match(par)
    if m is None or len(m.group("content").split()) < 3:
        return None
    ss, se = m.span("src")
    if par[ss:se].split()[0].lower() in _NOT_LABEL:
        return None
    appos = m.span("appos") if m.group("appos") else None
    ds = m.start("src") - 1
    return RawAttribution(
        m.span("content"), (ds, ds + 1), "―", _mention(par, ss, se, appos), "―", rule="signed"
    )
