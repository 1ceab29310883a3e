"""Word lists the attribution rules key on.

Cue verbs are kept as lemmas and expanded to their inflected forms here, because the spaCy
lemmatizer is disabled for speed (it costs more than the tagger on short paragraphs). The
lexicon follows PolNeAR's notion of attribution: speech acts *and* states of mind ("believes
that", "fears that"), so belief/cognition verbs are cues too.
"""

from __future__ import annotations

import re

# Verbs of saying / reporting: a clausal complement after them is attributed content.
SPEECH_LEMMAS = ["say", "tell", "add", "note", "state", "argue", "warn", "assure", "express", "explain", "claim", "insist", "stress", "emphasize", "emphasise", "announce", "report", "write", "tweet", "post", "answer", "reply", "respond", "acknowledge", "admit", "concede", "confirm", "deny", "declare", "suggest", "predict", "promise", "pledge", "vow", "recall", "mention", "describe", "accuse", "criticize", "criticise", "praise", "urge", "complain", "observe", "comment", "remark", "testify", "estimate", "conclude", "contend", "maintain", "assert", "allege", "indicate", "reveal", "disclose", "recount", "quip", "joke", "boast", "caution", "reiterate", "repeat", "counter", "retort", "propose", "recommend", "demand", "question", "agree", "disagree", "dismiss", "blame", "charge", "signal", "hint", "show", "find", "told", "ask", "call", "proclaim", "announce", "affirm", "lament", "muse", "speculate", "inform", "advise", "notify", "threaten", "brag", "concur", "forecast", "guarantee", "swear", "stipulate", "convey", "relay", "clarify", "elaborate", "underline", "underscore", "highlight", "point", "acknowledge", "theorize", "tout", "decry", "denounce", "lambast", "slam", "blast", "mock", "reassure", "predict", "suspect", "complain"]

# States of mind: PolNeAR annotates these as attributions ("X believes that ...").
COGNITION_LEMMAS = ["believe", "think", "feel", "know", "hope", "fear", "expect", "doubt", "worry", "suspect", "assume", "consider", "understand", "realize", "realise", "guess", "reckon", "imagine", "wish", "figure", "sense", "recognize", "recognise", "learn", "decide", "determine", "judge", "insist", "trust", "bet"]

# Verbs whose to-infinitive complement PolNeAR marks as content ("X wants to ...").
XCOMP_LEMMAS = set(
    ["want", "hope", "plan", "expect", "intend", "vow", "pledge", "promise", "refuse", "decline", "seek", "threaten", "urge", "ask", "call", "vow", "agree", "offer", "propose"]
)

# Attitude verbs whose direct object is the attributed content in PolNeAR ("X endorsed Y",
# "X accused Y of Z"): evaluations and stances, not just speech.
OBJECT_LEMMAS = set(["endorse", "accuse", "criticize", "criticise", "oppose", "praise", "propose", "describe", "support", "defend", "reject", "blame", "condemn", "denounce", "decry", "slam", "attack", "applaud", "welcome", "back", "dismiss", "seek", "prefer", "recommend", "demand", "refer", "cite", "echo", "portray", "urge", "question", "challenge", "favor", "favour"])

# Irregular inflections of the lemmas above (lemma -> forms).
_IRREGULAR = {
    "say": ["says", "said", "saying"],
    "tell": ["tells", "told", "telling"],
    "write": ["writes", "wrote", "written", "writing"],
    "think": ["thinks", "thought", "thinking"],
    "feel": ["feels", "felt", "feeling"],
    "know": ["knows", "knew", "known", "knowing"],
    "find": ["finds", "found", "finding"],
    "show": ["shows", "showed", "shown", "showing"],
    "understand": ["understands", "understood", "understanding"],
    "swear": ["swears", "swore", "sworn", "swearing"],
    "forecast": ["forecasts", "forecast", "forecasting"],
    "bet": ["bets", "bet", "betting"],
    "learn": ["learns", "learned", "learnt", "learning"],
    "see": ["sees", "saw", "seen", "seeing"],
}


def _inflect(lemma: str) -> list[str]:
    """Regular English verb inflections; good enough for the closed list above."""
    if lemma in _IRREGULAR:
        return [lemma, *_IRREGULAR[lemma]]
    forms = [lemma]
    if lemma.endswith("e"):
        forms += [lemma + "s", lemma + "d", lemma[:-1] + "ing"]
    elif lemma.endswith("y") and lemma[-2] not in "aeiou":
        forms += [lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"]
    elif re.search(r"(s|sh|ch|x|z)$", lemma):
        forms += [lemma + "es", lemma + "ed", lemma + "ing"]
    else:
        stem = lemma
        # Consonant doubling for short CVC verbs (admit -> admitted, quip -> quipped).
        if lemma in {"admit", "quip", "bet", "regret", "commit", "omit", "plan", "stop"}:
            stem = lemma + lemma[-1]
        forms += [lemma + "s", stem + "ed", stem + "ing"]
    return forms


def _form_map(lemmas: list[str] | set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for lemma in lemmas:
        for form in _inflect(lemma):
            out.setdefault(form, lemma)
    return out


SPEECH_FORMS = _form_map(SPEECH_LEMMAS)
COGNITION_FORMS = _form_map(COGNITION_LEMMAS)
XCOMP_FORMS = _form_map(XCOMP_LEMMAS)
OBJECT_FORMS = _form_map(OBJECT_LEMMAS)
CUE_FORMS: dict[str, str] = {**OBJECT_FORMS, **COGNITION_FORMS, **SPEECH_FORMS}

# Ambiguous verbs that are cues only with a clausal complement AND a human-ish subject.
WEAK_CUES = {"show", "find", "see", "call", "ask", "point", "learn", "decide", "determine",
             "judge", "figure", "consider", "question", "charge", "post", "answer", "signal",
             "recognize", "recognise", "sense", "trust", "bet", "feel", "know", "understand"}

# Nouns that head "in X's view" style and nominal cue phrases.
VIEW_NOUNS = {"view", "opinion", "words", "estimation", "judgment", "judgement", "mind", "eyes"}

# Prefilter: a sentence is parsed only if it has one of these words outside quotes. Forms
# that are mostly nouns in news ("state", "plans", "comments", "report") are left out: they
# cost parse time on many sentences for few attributions.
_NOUNISH = {"state", "states", "plan", "plans", "question", "questions", "post", "posts",
            "report", "reports", "comment", "comments", "remark", "remarks", "point", "points",
            "answer", "answers", "call", "calls", "judge", "judges", "sense", "show", "shows",
            "tweet", "tweets", "find", "known", "claim", "claims", "charge", "charges",
            "signal", "signals", "estimate", "estimates", "forecast", "forecasts", "figure", "figures", "bet", "bets", "trust", "hint", "hints", "joke", "jokes",
            "promise", "promises", "demand", "demands", "offer", "offers", "counter",
            "mention", "doubt", "doubts", "fear", "fears", "hope", "hopes", "wish", "guess",
            "learn", "decide", "determine", "consider", "recognize", "recognise", "feeling",
            "understanding", "thinking", "finding", "showing", "warning", "saying", "sees",
            "see", "seen", "seeing", "saw", "ask", "asks", "respond", "agree",
            "observe", "found", "know", "knowing", "feel", "feels"}
PREFILTER_FORMS = (set(CUE_FORMS) | set(XCOMP_FORMS) | {"according", "quoted", "view"}) - _NOUNISH
WORD_RE = re.compile(r"[A-Za-z]+")


def cue_word_positions(sent: str) -> list[int]:
    """Offsets of prefilter cue words in `sent` (a set lookup per word: far cheaper than one
    big alternation regex)."""
    return [m.start() for m in WORD_RE.finditer(sent) if m.group().lower() in PREFILTER_FORMS]


PERSON_PRONOUNS = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f",
                   "i": "1", "we": "1p", "they": "p", "it": "n"}
SUBJECT_PRONOUNS = {"he", "she", "they", "it", "i", "we", "you"}

# Head nouns of groups of people ("experts", "analysts") -> speaker_kind "group".
GROUP_NOUNS = set(["experts", "analysts", "officials", "critics", "observers", "scholars", "researchers", "economists", "supporters", "opponents", "voters", "residents", "people", "sources", "diplomats", "lawmakers", "legislators", "democrats", "republicans", "activists", "scientists", "leaders", "members", "aides", "advisers", "advisors", "investigators", "prosecutors", "authorities", "citizens", "americans", "observers", "pundits", "strategists", "insiders", "commentators", "historians", "protesters", "students", "teachers", "workers", "doctors", "executives", "representatives", "delegates", "officers", "agents", "police", "polls", "surveys", "pollsters", "reporters", "journalists", "staffers", "allies", "rivals", "conservatives", "liberals", "progressives", "donors", "economists", "participants", "witnesses", "organizers", "organisers"])

# Head nouns of organisations ("the government", "the newspaper").
ORG_NOUNS = set(["government", "ministry", "department", "agency", "newspaper", "paper", "campaign", "committee", "commission", "council", "court", "administration", "company", "firm", "group", "party", "office", "bureau", "board", "union", "white", "house", "pentagon", "kremlin", "police", "network", "outlet", "magazine", "journal", "times", "post", "institute", "university", "association", "organization", "organisation", "coalition", "team", "foundation", "center", "centre", "poll", "survey", "report", "study", "statement", "station", "channel", "army", "navy", "federation", "league", "embassy", "parliament", "congress", "senate", "house", "cabinet", "bank", "fund", "corporation", "inc", "corp", "ltd", "agency", "ministry", "service", "services", "network", "website", "site"])

# Role nouns that can refer back to a named person ("the commissioner said").
ROLE_NOUNS = set(["ambassador", "commissioner", "professor", "minister", "president", "secretary", "spokesman", "spokeswoman", "spokesperson", "director", "chairman", "chairwoman", "chair", "governor", "senator", "mayor", "official", "candidate", "nominee", "lawyer", "attorney", "chief", "executive", "leader", "analyst", "expert", "researcher", "economist", "general", "adviser", "advisor", "aide", "representative", "congressman", "congresswoman", "manager", "founder", "author", "judge", "diplomat", "envoy", "premier", "chancellor", "king", "queen", "prince", "officer", "commander", "head", "emeritus", "lecturer", "scholar", "strategist", "pollster"])

TITLE_WORDS = {"mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "sir", "lord",
               "mr.", "mrs.", "ms.", "dr.", "prof.", "sen.", "rep.", "gov.", "gen.", "president",
               "senator", "governor", "professor", "minister", "secretary", "ambassador",
               "commissioner", "judge", "mayor", "chairman", "director"}
